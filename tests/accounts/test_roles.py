"""The HR group and the two role checks every part of the product asks."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import ApiToken, ServiceAccount
from accounts.principals import ServicePrincipal
from accounts.roles import HR_GROUP_NAME, HR_PERMISSIONS, SCOPE_PERMISSIONS, can_manage_employees, is_hr, sync_hr_group
from tests.factories import UserFactory


def dotted(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"


def test_hr_group_gets_every_declared_permission_that_exists(db):
    group = sync_hr_group()

    granted = {dotted(p) for p in group.permissions.select_related("content_type")}
    existing = {dotted(p) for p in Permission.objects.select_related("content_type")}
    assert granted == set(HR_PERMISSIONS) & existing
    # SPEC.md's HR permission and the directory's exist once their apps migrated.
    assert {"openings.view_all_openings", "accounts.manage_employees", "accounts.change_user"} <= granted


def test_hr_group_sync_is_idempotent_and_repairs_drift(db):
    group = sync_hr_group()
    group.permissions.remove(Permission.objects.get(codename="manage_employees"))
    group.permissions.add(Permission.objects.get(codename="delete_user"))

    again = sync_hr_group()

    assert again.pk == group.pk
    assert Group.objects.filter(name=HR_GROUP_NAME).count() == 1
    codenames = set(again.permissions.values_list("codename", flat=True))
    assert "manage_employees" in codenames
    assert "delete_user" not in codenames


def test_hr_group_skips_a_declared_permission_that_does_not_exist(db, monkeypatch):
    monkeypatch.setattr("accounts.roles.HR_PERMISSIONS", [*HR_PERMISSIONS, "openings.not_a_permission"])

    group = sync_hr_group()

    assert not group.permissions.filter(codename="not_a_permission").exists()
    assert group.permissions.filter(codename="view_all_openings").exists()


def test_hr_group_exists_after_migrate(db):
    # post_migrate syncs it: the test database was built by migrate.
    group = Group.objects.get(name=HR_GROUP_NAME)
    assert group.permissions.filter(codename="view_all_openings").exists()


def test_hr_member_is_hr_and_manages_employees(hr):
    assert is_hr(hr)
    assert can_manage_employees(hr)


def test_plain_employee_is_neither(poster):
    assert not is_hr(poster)
    assert not can_manage_employees(poster)


def test_staff_flag_alone_is_not_hr(db):
    staff = UserFactory(is_staff=True)

    assert not is_hr(staff)
    assert not can_manage_employees(staff)


def test_deactivated_hr_member_is_not_hr(db):
    user = UserFactory(is_active=False)
    user.groups.add(sync_hr_group())

    assert not is_hr(user)
    assert not can_manage_employees(user)


def test_anonymous_is_neither():
    from django.contrib.auth.models import AnonymousUser

    assert not is_hr(AnonymousUser())
    assert not can_manage_employees(AnonymousUser())
    assert not is_hr(None)


@pytest.mark.parametrize(
    ("scope", "hr", "manages"),
    [("hr", True, True), ("hr:read", True, False), ("hr:write", False, True)],
)
def test_service_scopes(db, scope, hr, manages):
    account = ServiceAccount.objects.create(name=f"svc-{scope}")
    principal = ServicePrincipal(account, ApiToken(service_account=account, scope=scope))

    assert is_hr(principal) is hr
    assert can_manage_employees(principal) is manages


def test_hr_scope_is_read_and_write():
    assert SCOPE_PERMISSIONS["hr"] == SCOPE_PERMISSIONS["hr:read"] | SCOPE_PERMISSIONS["hr:write"]


# --- Who is acting: one surface for employees and service principals --------------------------


def test_the_actor_surface_tells_employees_services_and_nobody_apart(db):
    from django.contrib.auth.models import AnonymousUser

    from accounts.roles import actor_label, can_act, has_scope, is_employee, is_service

    employee = UserFactory(email="ada@example.com")
    leaver = UserFactory(is_active=False)
    account = ServiceAccount.objects.create(name="HRIS")
    service = ServicePrincipal(account, ApiToken(service_account=account, scope="hr:read"))

    assert [is_employee(a) for a in (employee, leaver, service, AnonymousUser(), None)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert [can_act(a) for a in (employee, leaver, service, AnonymousUser(), None)] == [True, False, True, False, False]
    assert [is_service(a) for a in (employee, service, None)] == [False, True, False]
    assert has_scope(service, "referrals.view_all_referrals")
    assert not has_scope(service, "referrals.change_referral")
    assert not has_scope(employee, "referrals.view_all_referrals")
    assert [actor_label(a) for a in (employee, service, None, AnonymousUser())] == [
        "ada@example.com",
        "service:HRIS",
        "",
        "",
    ]


def test_actor_record_is_what_every_record_keeps(db):
    from accounts.roles import actor_record

    employee = UserFactory(email="ada@example.com")
    account = ServiceAccount.objects.create(name="HRIS")
    token = ApiToken(service_account=account, scope="hr")
    service = ServicePrincipal(account, token)

    mine = actor_record(employee)
    assert (mine.employee, mine.service_account, mine.token, mine.label) == (employee, None, None, "ada@example.com")
    theirs = actor_record(service)
    assert (theirs.employee, theirs.service_account, theirs.token) == (None, account, token)
    assert (theirs.label, theirs.service_name) == ("service:HRIS", "HRIS")
    board = actor_record(None)
    assert (board.employee, board.service_account, board.token, board.label, board.service_name) == (
        None,
        None,
        None,
        "",
        "",
    )
