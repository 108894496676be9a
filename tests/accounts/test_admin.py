"""The admin site for HR staff: searchable and filterable, provisioning and deactivation through
the same services as the API, and no way for HR to raise its own rights."""

import pytest
from allauth.account.models import EmailAddress

from accounts import services
from accounts.models import ApiToken, User
from tests.factories import DivisionFactory, UserFactory
from tests.support.admin import change_data

USERS = "/admin/accounts/user/"


@pytest.fixture
def hr_admin(client, hr):
    client.force_login(hr)
    return client


def test_employees_cannot_open_the_admin(client, poster):
    client.force_login(poster)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_hr_searches_and_filters_employees(hr_admin, poster, stranger):
    division = DivisionFactory(code="legal", name="Legal")
    lawyer = UserFactory(full_name="Lena Lawyer", division=division)

    found = hr_admin.get(USERS, {"q": "Poster"})
    filtered = hr_admin.get(USERS, {"division__id__exact": division.pk})

    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [poster]
    assert list(filtered.context["cl"].result_list) == [lawyer]


def test_hr_searches_org_units(hr_admin):
    DivisionFactory(code="legal", name="Legal")

    response = hr_admin.get("/admin/accounts/division/", {"q": "leg"})

    assert [d.code for d in response.context["cl"].result_list] == ["legal"]


def test_hr_provisions_an_employee_without_a_password(hr_admin):
    response = hr_admin.post(
        f"{USERS}add/", {"email": "New.Hire@Example.com", "full_name": "Nia Hire", "employee_id": ""}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(email="new.hire@example.com")
    assert not user.has_usable_password()
    assert user.employee_id is None
    assert EmailAddress.objects.get(user=user).verified


def test_admin_refuses_a_duplicate_email_whatever_the_case(hr_admin, poster):
    response = hr_admin.post(f"{USERS}add/", {"email": "POSTER@example.com", "full_name": "Twin"})

    assert response.status_code == 200
    assert User.objects.filter(email__iexact="poster@example.com").count() == 1


def test_hr_deactivates_through_the_form_and_tokens_are_revoked(hr_admin, stranger):
    services.token_issue(user=stranger)

    response = hr_admin.post(f"{USERS}{stranger.pk}/change/", change_data(stranger, is_active=""))

    assert response.status_code == 302
    stranger.refresh_from_db()
    assert not stranger.is_active
    assert stranger.deactivated_at is not None
    assert not ApiToken.objects.filter(user=stranger, revoked_at__isnull=True).exists()


def test_hr_deactivates_with_the_bulk_action(hr_admin, poster, stranger):
    services.token_issue(user=stranger)

    hr_admin.post(USERS, {"action": "deactivate_selected", "_selected_action": [stranger.pk]})

    assert not User.objects.get(pk=stranger.pk).is_active
    assert not ApiToken.objects.filter(user=stranger, revoked_at__isnull=True).exists()
    assert User.objects.get(pk=poster.pk).is_active


def test_hr_cannot_make_anyone_a_superuser(hr_admin, hr):
    page = hr_admin.get(f"{USERS}{hr.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page

    hr_admin.post(f"{USERS}{hr.pk}/change/", change_data(hr, is_superuser="on", user_permissions=[1, 2]))

    hr.refresh_from_db()
    assert not hr.is_superuser
    assert not hr.user_permissions.exists()


def test_a_superuser_still_grants_superuser(client, stranger):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.get(f"{USERS}{stranger.pk}/change/").content.decode()
    assert 'name="is_superuser"' in page

    client.post(f"{USERS}{stranger.pk}/change/", change_data(stranger, is_superuser="on"))
    assert User.objects.get(pk=stranger.pk).is_superuser


def test_tokens_are_listed_without_their_secret(hr, client, poster):
    client.force_login(hr)
    token, plain = services.token_issue(user=poster, name="laptop")

    page = client.get("/admin/accounts/apitoken/").content.decode()

    assert token.key_prefix in page
    assert plain not in page
    assert token.key_hash not in page
