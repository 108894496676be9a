"""API tokens: hashed at rest, issued by `issue_token`, refused when missing, wrong, revoked or
orphaned, and their last use recorded."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, ServiceAccount, User

ME = "/api/v1/me/"
DIVISIONS = "/api/v1/divisions/"


def issue(*args):
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue()


def last_line(output):
    return output.rstrip("\n").splitlines()[-1]


def with_token(plain):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


# --- stored hashed --------------------------------------------------------------------------


def test_token_is_stored_only_as_a_hash(poster):
    token, plain = services.token_issue(user=poster)

    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain.startswith(ApiToken.PREFIX)
    assert plain.startswith(token.key_prefix)
    assert len(token.key_prefix) < len(plain) // 3
    # No column of the row holds the plain token.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table} WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert all(plain not in str(value) for value in row)


def test_each_token_is_different(poster):
    plains = {services.token_issue(user=poster)[1] for _ in range(5)}

    assert len(plains) == 5


def test_a_personal_token_takes_no_scope(poster):
    with pytest.raises(ValueError):
        services.token_issue(user=poster, scope="hr")


def test_a_token_has_exactly_one_owner(poster):
    account = ServiceAccount.objects.create(name="ATS")
    with pytest.raises(ValueError):
        services.token_issue()
    with pytest.raises(ValueError):
        services.token_issue(user=poster, service_account=account, scope="hr")
    with pytest.raises(ValueError):
        services.token_issue(service_account=account, scope="admin")


# --- issue_token ----------------------------------------------------------------------------


def test_issue_token_prints_a_personal_token_alone_on_the_last_line(poster):
    output = issue("poster@example.com")

    plain = last_line(output)
    assert plain.startswith(ApiToken.PREFIX)
    assert " " not in plain
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(plain))
    assert token.user == poster
    assert token.scope == ""

    response = with_token(plain).get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == "poster@example.com"


def test_issue_token_finds_the_employee_whatever_the_case(poster):
    plain = last_line(issue("  POSTER@Example.com "))

    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(plain)).user == poster


def test_issue_token_service_token_with_hr_scope_writes(db):
    output = issue("--service", "HRIS", "--scope", "hr", "--name", "nightly sync")

    plain = last_line(output)
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(plain))
    assert token.service_account.name == "HRIS"
    assert token.scope == "hr"
    assert token.name == "nightly sync"
    assert token.user is None

    response = with_token(plain).post(DIVISIONS, {"code": "research", "name": "Research"}, format="json")
    assert response.status_code == 201
    assert with_token(plain).get(DIVISIONS).status_code == 200


def test_issue_token_reuses_the_service_account(db):
    issue("--service", "HRIS", "--scope", "hr")
    issue("--service", "HRIS", "--scope", "hr:read")

    assert ServiceAccount.objects.filter(name="HRIS").count() == 1
    assert ApiToken.objects.filter(service_account__name="HRIS").count() == 2


def test_issue_token_refuses_a_scope_on_a_personal_token(poster):
    with pytest.raises(CommandError, match="personal token .* takes no --scope"):
        issue("poster@example.com", "--scope", "hr")
    assert not ApiToken.objects.exists()


def test_issue_token_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match="No employee with the email"):
        issue("nobody@example.com")
    assert not ApiToken.objects.exists()


def test_issue_token_refuses_a_deactivated_employee(former):
    with pytest.raises(CommandError, match="deactivated"):
        issue("former@example.com")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        [],  # neither
        ["poster@example.com", "--service", "HRIS", "--scope", "hr"],  # both
        ["--service", "HRIS"],  # a service token without a scope
    ],
)
def test_issue_token_needs_exactly_one_owner_and_a_service_scope(poster, args):
    with pytest.raises(CommandError):
        issue(*args)
    assert not ApiToken.objects.exists()
    assert not ServiceAccount.objects.exists()


def test_issue_token_refuses_an_unknown_scope(db):
    with pytest.raises(CommandError):
        issue("--service", "HRIS", "--scope", "admin")
    assert not ApiToken.objects.exists()


def test_issue_token_refuses_a_disabled_service_account(db):
    ServiceAccount.objects.create(name="HRIS", is_active=False)

    with pytest.raises(CommandError, match="disabled"):
        issue("--service", "HRIS", "--scope", "hr")
    assert not ApiToken.objects.exists()


# --- authentication -------------------------------------------------------------------------


def assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["fields"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_401(db):
    assert_401(APIClient().get(ME))
    assert_401(APIClient().get("/api/v1/employees/"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rb_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Bearer",
        "Bearer two parts",
        "bearer rb_not-a-real-token",
    ],
)
def test_a_wrong_token_is_401(poster, header):
    services.token_issue(user=poster)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_401(client.get(ME))


def test_a_token_with_one_character_changed_is_401(poster):
    _, plain = services.token_issue(user=poster)
    altered = plain[:-1] + ("A" if plain[-1] != "A" else "B")

    assert_401(with_token(altered).get(ME))


def test_a_revoked_token_is_401(poster):
    token, plain = services.token_issue(user=poster)
    assert with_token(plain).get(ME).status_code == 200

    services.token_revoke(token=token)

    assert_401(with_token(plain).get(ME))


def test_revoking_keeps_the_row_and_the_first_revocation_time(poster):
    token, _ = services.token_issue(user=poster)
    services.token_revoke(token=token)
    first = ApiToken.objects.get(pk=token.pk).revoked_at

    services.token_revoke(token=ApiToken.objects.get(pk=token.pk))

    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_a_deactivated_employees_token_is_401(poster):
    _, plain = services.token_issue(user=poster)

    services.employee_deactivate(employee=poster)

    assert_401(with_token(plain).get(ME))
    assert ApiToken.objects.get(user=poster).revoked_at is not None


def test_token_of_an_employee_made_inactive_behind_the_services_back_is_401(poster):
    # Even without revocation (a raw update, the admin's checkbox), an inactive owner is refused.
    _, plain = services.token_issue(user=poster)
    User.objects.filter(pk=poster.pk).update(is_active=False)

    assert_401(with_token(plain).get(ME))


def test_reactivation_does_not_revive_old_tokens(poster):
    _, plain = services.token_issue(user=poster)
    services.employee_deactivate(employee=poster)

    services.employee_reactivate(employee=poster)

    assert_401(with_token(plain).get(ME))


def test_a_disabled_service_accounts_token_is_401(db):
    account = ServiceAccount.objects.create(name="ATS")
    _, plain = services.token_issue(service_account=account, scope="hr")
    assert with_token(plain).get(DIVISIONS).status_code == 200

    ServiceAccount.objects.filter(pk=account.pk).update(is_active=False)

    assert_401(with_token(plain).get(DIVISIONS))


def test_a_bad_token_does_not_fall_back_to_the_session(client, poster):
    client.force_login(poster)

    response = client.get(ME, HTTP_AUTHORIZATION="Bearer rb_wrong")

    assert response.status_code == 401


def test_last_use_is_recorded(poster):
    token, plain = services.token_issue(user=poster)
    assert token.last_used_at is None

    before = timezone.now()
    with_token(plain).get(ME)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at >= before


def test_last_use_is_written_at_most_once_a_minute(poster):
    token, plain = services.token_issue(user=poster)
    recent = timezone.now() - timedelta(seconds=10)
    stale = timezone.now() - timedelta(minutes=5)

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    with_token(plain).get(ME)
    token.refresh_from_db()
    assert token.last_used_at == recent

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    with_token(plain).get(ME)
    token.refresh_from_db()
    assert token.last_used_at > stale


def test_a_refused_token_records_no_use(poster):
    token, plain = services.token_issue(user=poster)
    services.token_revoke(token=token)

    with_token(plain).get(ME)

    token.refresh_from_db()
    assert token.last_used_at is None
