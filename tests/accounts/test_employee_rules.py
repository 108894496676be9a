"""The employee rules (one address per employee, nobody their own manager, nobody deactivating
themselves) are one function each in accounts.services, and every channel that writes an employee
gives the same message: the admin, the employees API and provisioning (PUT, bulk, CSV)."""

from accounts import services
from accounts.models import User
from integrations.provisioning import employees_check
from tests.factories import UserFactory
from tests.support.admin import change_data

USERS = "/admin/accounts/user/"


def test_each_rule_answers_its_message_or_none(db):
    ada = UserFactory(email="ada@example.com", employee_id="E1")
    other = UserFactory()

    assert services.employee_email_problem("ADA@example.com") == services.EMAIL_TAKEN_MESSAGE
    assert services.employee_email_problem("ada@example.com", employee=ada) is None
    assert services.employee_id_problem("E1", employee=other) == services.EMPLOYEE_ID_TAKEN_MESSAGE
    assert services.employee_id_problem("E1", employee=ada) is None
    assert services.employee_manager_problem(ada, ada) == services.OWN_MANAGER_MESSAGE
    assert services.employee_manager_problem("E1", "E1") == services.OWN_MANAGER_MESSAGE
    assert services.employee_manager_problem(ada, other) is None
    assert services.employee_manager_problem(None, ada) is None
    assert services.employee_deactivation_problem(actor=ada, employee=ada, is_active=False) == (
        services.SELF_DEACTIVATION_MESSAGE
    )
    assert services.employee_deactivation_problem(actor=ada, employee=ada, is_active=True) is None
    assert services.employee_deactivation_problem(actor=ada, employee=other, is_active=False) is None
    assert services.employee_deactivation_problem(actor=None, employee=ada, is_active=False) is None


def test_the_admin_refuses_hr_their_own_deactivation(client, hr):
    client.force_login(hr)

    response = client.post(f"{USERS}{hr.pk}/change/", change_data(hr, is_active=""))

    assert response.status_code == 200
    assert services.SELF_DEACTIVATION_MESSAGE in response.content.decode()
    assert User.objects.get(pk=hr.pk).is_active


def test_the_admins_bulk_action_leaves_hr_active(client, hr, stranger):
    client.force_login(hr)

    client.post(USERS, {"action": "deactivate_selected", "_selected_action": [hr.pk, stranger.pk]})

    assert User.objects.get(pk=hr.pk).is_active
    assert not User.objects.get(pk=stranger.pk).is_active


def test_the_admin_refuses_someone_as_their_own_manager(client, hr, stranger):
    client.force_login(hr)

    response = client.post(f"{USERS}{stranger.pk}/change/", change_data(stranger, manager=stranger.pk))

    assert response.status_code == 200
    assert services.OWN_MANAGER_MESSAGE in response.content.decode()
    assert User.objects.get(pk=stranger.pk).manager_id is None


def test_the_admin_refuses_another_employees_email_whatever_the_case(client, hr, poster, stranger):
    client.force_login(hr)

    response = client.post(f"{USERS}{stranger.pk}/change/", change_data(stranger, email=poster.email.upper()))

    assert response.status_code == 200
    assert services.EMAIL_TAKEN_MESSAGE in response.content.decode()
    assert User.objects.get(pk=stranger.pk).email == stranger.email


def test_the_api_and_provisioning_give_the_same_messages(hr_service_api, api_as, hr, stranger):
    response = hr_service_api.patch(f"/api/v1/employees/{stranger.pk}/", {"manager": stranger.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["manager"] == [services.OWN_MANAGER_MESSAGE]

    response = api_as(hr).patch(f"/api/v1/employees/{hr.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == services.SELF_DEACTIVATION_MESSAGE

    hr.employee_id = "HR1"
    hr.save()
    rows = [
        {"employee_id": "E7", "email": "e7@example.com", "full_name": "E", "manager_employee_id": "E7"},
        {"employee_id": "HR1", "email": hr.email, "full_name": hr.full_name, "is_active": False},
    ]
    errors, _lookups = employees_check(rows, by=hr)
    assert errors[0]["manager_employee_id"] == [services.OWN_MANAGER_MESSAGE]
    assert errors[1]["is_active"] == [services.SELF_DEACTIVATION_MESSAGE]
