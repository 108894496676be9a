"""Form data for the admin's pages, shared by the admin tests and the superuser rule's tests."""


def change_data(user, **overrides):
    """What the admin's change form posts for `user`, with overrides."""
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "employee_id": user.employee_id or "",
        "title": user.title,
        "job_function": user.job_function,
        "division": user.division_id or "",
        "location": user.location_id or "",
        "manager": user.manager_id or "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "notify_connection_requests": "on",
        "notify_referrals": "on",
        "digest_enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in ("", None)}
