"""Who may change whom: only a superuser changes a superuser, through every channel (the admin's
change form, its password view, deactivation; the employees API; bulk upsert; the CSV import).
Changing a sign-in address ends the account's sessions and reset links; HR granting admin access
or the HR group is audited."""

import io

import pytest
from allauth.account.forms import default_token_generator
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import may_change_employee, sync_hr_group
from integrations.models import AuditEvent
from tests.integrations.conftest import service_api  # noqa: F401 - the service-token fixture
from tests.support.admin import change_data

USERS = "/admin/accounts/user/"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(
        email="root@example.com", full_name="Rita Root", password="root-pass-2026", employee_id="E0"
    )


@pytest.fixture
def hr_admin(client, hr):
    client.force_login(hr)
    return client


def test_the_rule_itself(root, hr, poster):
    assert not may_change_employee(hr, root)
    assert not may_change_employee(None, root)
    assert may_change_employee(root, root)
    assert may_change_employee(hr, poster)


def test_hr_cannot_set_a_superusers_password_in_the_admin(hr_admin, root):
    page = hr_admin.get(f"{USERS}{root.pk}/password/")
    posted = hr_admin.post(
        f"{USERS}{root.pk}/password/", {"password1": "taken-over-2026!", "password2": "taken-over-2026!"}
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    root.refresh_from_db()
    assert root.check_password("root-pass-2026")


def test_hr_cannot_change_or_deactivate_a_superuser_in_the_admin(hr_admin, root):
    changed = hr_admin.post(f"{USERS}{root.pk}/change/", change_data(root, email="mine@example.com", is_staff=""))
    acted = hr_admin.post(USERS, {"action": "deactivate_selected", "_selected_action": [root.pk]})

    assert changed.status_code == 403
    assert acted.status_code == 302
    root.refresh_from_db()
    assert (root.email, root.is_staff, root.is_active) == ("root@example.com", True, True)


def test_a_superuser_still_changes_a_superuser(client, root):
    other = User.objects.create_superuser(email="root2@example.com", full_name="Ron Root")
    client.force_login(root)

    response = client.post(
        f"{USERS}{other.pk}/password/", {"password1": "new-pass-2026!", "password2": "new-pass-2026!"}
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.check_password("new-pass-2026!")


def test_hr_cannot_change_a_superuser_through_the_api(api_as, hr, root, service_api):  # noqa: F811 - the imported fixture
    as_hr = api_as(hr).patch(f"/api/v1/employees/{root.pk}/", {"email": "mine@example.com"}, format="json")
    as_service = service_api("hr:write").patch(f"/api/v1/employees/{root.pk}/", {"is_active": False}, format="json")
    as_root = api_as(root).patch(f"/api/v1/employees/{root.pk}/", {"title": "Administrator"}, format="json")

    assert as_hr.status_code == 403
    assert as_hr.json()["detail"] == "Only a superuser can change a superuser."
    assert as_service.status_code == 403
    assert as_root.status_code == 200
    root.refresh_from_db()
    assert (root.email, root.is_active, root.title) == ("root@example.com", True, "Administrator")


def test_hr_cannot_change_a_superuser_by_upsert_or_bulk(service_api, root):  # noqa: F811 - the imported fixture
    hris = service_api("hr:write")
    put = hris.put(
        "/api/v1/employees/by-employee-id/E0/", {"email": "mine@example.com", "full_name": "Rita Root"}, format="json"
    )
    bulk = hris.post(
        "/api/v1/employees/bulk/",
        [{"employee_id": "E0", "email": "root@example.com", "full_name": "Rita Root", "is_active": False}],
        format="json",
    )
    unchanged = hris.put(
        "/api/v1/employees/by-employee-id/E0/", {"email": "root@example.com", "full_name": "Rita Root"}, format="json"
    )

    assert put.status_code == 400
    assert put.json()["fields"]["non_field_errors"] == ["Only a superuser can change a superuser."]
    assert bulk.status_code == 400
    assert bulk.json()["fields"]["0"]["non_field_errors"] == ["Only a superuser can change a superuser."]
    assert unchanged.status_code == 200  # an HRIS export that carries the administrator as they are is fine
    root.refresh_from_db()
    assert (root.email, root.is_active) == ("root@example.com", True)


def test_the_csv_import_does_not_change_a_superuser(tmp_path, root):
    path = tmp_path / "hris.csv"
    path.write_text(
        "employee_id,email,full_name,title,job_function,division,location,manager_employee_id,is_active\n"
        "E0,mine@example.com,Rita Root,,,,,,true\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_employees", str(path), stdout=io.StringIO(), stderr=err)

    assert "Only a superuser can change a superuser." in err.getvalue()
    root.refresh_from_db()
    assert root.email == "root@example.com"


def test_a_new_address_ends_sessions_and_reset_links(client, api_as, hr, poster):
    client.force_login(poster)
    reset_token = default_token_generator.make_token(poster)
    assert client.get("/settings/").status_code == 200

    response = api_as(hr).patch(f"/api/v1/employees/{poster.pk}/", {"email": "paula.new@example.com"}, format="json")

    assert response.status_code == 200
    after = client.get("/settings/")
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]
    poster.refresh_from_db()
    assert not default_token_generator.check_token(poster, reset_token)


def test_hr_granting_staff_or_the_hr_group_is_audited(hr_admin, hr, poster, api_as):
    group = sync_hr_group()

    response = hr_admin.post(f"{USERS}{poster.pk}/change/", change_data(poster, is_staff="on", groups=[group.pk]))

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="employee.access_change")
    assert (event.actor, event.object_type, event.object_id) == (hr, "employee", str(poster.pk))
    assert event.changes == {"is_staff": [False, True], "groups": [[], ["HR"]]}
    listed = api_as(hr).get("/api/v1/audit-events/", {"action": "employee.access_change"}).json()["results"]
    assert [e["object_id"] for e in listed] == [str(poster.pk)]
    assert hr_admin.get("/admin/integrations/auditevent/").status_code == 200
    assert str(poster.pk) in hr_admin.get(f"/admin/integrations/auditevent/{event.pk}/change/").content.decode()


def test_a_change_that_leaves_access_alone_is_not_an_access_event(hr_admin, poster):
    response = hr_admin.post(f"{USERS}{poster.pk}/change/", change_data(poster, title="Head of Things"))

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="employee.access_change").exists()
