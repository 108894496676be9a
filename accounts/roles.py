"""Who is HR, and what the HR group may do.

SPEC.md gives HR oversight of all openings and referrals and the employee directory. The group's
permissions are declared here and synced after every migrate, so a new model's permission reaches
HR with the migration that adds it.
"""

from django.contrib.auth.models import Group, Permission

HR_GROUP_NAME = "HR"

HR_PERMISSIONS = [
    "accounts.manage_employees",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_division",
    "accounts.add_division",
    "accounts.change_division",
    "accounts.view_location",
    "accounts.add_location",
    "accounts.change_location",
    "accounts.view_apitoken",
    "accounts.change_apitoken",  # revoke
    "accounts.view_serviceaccount",
    "accounts.add_serviceaccount",
    "accounts.change_serviceaccount",  # and issue its tokens (admin action)
    "openings.view_all_openings",
    "openings.view_opening",
    "openings.change_opening",
    "openings.delete_opening",
    "referrals.view_all_referrals",
    "referrals.view_referral",
    "referrals.change_referral",
    "integrations.view_auditevent",
    "integrations.view_webhookendpoint",
    "integrations.add_webhookendpoint",
    "integrations.change_webhookendpoint",
    "integrations.delete_webhookendpoint",
    "integrations.view_webhookdelivery",
    "integrations.view_outboxevent",
    "events.view_event",
    "events.add_event",
    "events.change_event",
    "events.delete_event",
]

# What a service token's scope grants. `hr` is both.
SCOPE_PERMISSIONS = {
    "hr:read": {
        "accounts.view_user",
        "accounts.view_division",
        "accounts.view_location",
        "openings.view_all_openings",
        "openings.view_opening",
        "referrals.view_all_referrals",
        "referrals.view_referral",
        "integrations.view_auditevent",
        "integrations.view_webhookendpoint",
        "integrations.view_webhookdelivery",
    },
    "hr:write": {
        "accounts.manage_employees",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.add_division",
        "accounts.change_division",
        "accounts.add_location",
        "accounts.change_location",
        "openings.change_opening",
        "referrals.change_referral",
        "integrations.add_webhookendpoint",
        "integrations.change_webhookendpoint",
        "integrations.delete_webhookendpoint",
    },
}
SCOPE_PERMISSIONS["hr"] = SCOPE_PERMISSIONS["hr:read"] | SCOPE_PERMISSIONS["hr:write"]


def is_hr(user):
    """HR means holding `openings.view_all_openings` (SPEC.md), as an active employee or service."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("openings.view_all_openings"))


def can_manage_employees(user):
    """Provisioning and deactivating employees is HR's: the HR group or a service scoped `hr`."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("accounts.manage_employees"))


def sync_hr_group():
    group, _ = Group.objects.get_or_create(name=HR_GROUP_NAME)
    wanted = []
    for dotted in HR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        wanted.append((app_label, codename))
    perms = Permission.objects.filter(content_type__app_label__in={a for a, _ in wanted}).select_related("content_type")
    by_key = {(p.content_type.app_label, p.codename): p for p in perms}
    group.permissions.set([by_key[key] for key in wanted if key in by_key])
    return group


def sync_hr_group_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate fires once per app and each app's permissions appear in its own turn, so the
    # group is synced every time (a handful of queries); the last call sees every permission.
    sync_hr_group()


SUPERUSER_ONLY_MESSAGE = "Only a superuser can change a superuser."


def may_change_employee(actor, employee):
    """Who may change whom: nobody but an active superuser changes a superuser.

    The one rule behind every channel that writes an employee (the admin's change form, its
    password view, deactivation, staff and group changes; the employees API; bulk upsert and the
    CSV import). Otherwise HR, who runs the directory, could take over the administrator by
    changing their address or password. `actor` None is a file from the HRIS (the CSV import): it
    is HR's data, so it does not change a superuser either.
    """
    if employee is None or not getattr(employee, "is_superuser", False):
        return True
    return bool(actor is not None and getattr(actor, "is_superuser", False) and actor.is_active)


def employee_change_check(*, actor, employee):
    """Raise PermissionDenied unless `actor` may change `employee` (see may_change_employee)."""
    from django.core.exceptions import PermissionDenied

    if not may_change_employee(actor, employee):
        raise PermissionDenied(SUPERUSER_ONLY_MESSAGE)
