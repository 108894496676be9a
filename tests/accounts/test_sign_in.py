"""Sign-in through allauth: passwords, deactivation, domain-restricted sign-up, provisioned
employees setting a password by the reset email, and the rate limits."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail

from accounts import services
from accounts.models import User

PASSWORD = "correct-horse-battery"  # tests/factories.py
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
LOGIN_URL = "/accounts/login/"
SIGNUP_URL = "/accounts/signup/"
RESET_URL = "/accounts/password/reset/"
# A page that needs a signed-in employee (the settings page belongs to accounts and stays small).
HOME = "/settings/"


def sign_in(client, email, password):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def signed_in_as(client):
    """The id of the employee the client's session belongs to, or None."""
    return client.session.get(SESSION_KEY)


def link_in(message, path_prefix):
    match = re.search(r"https?://testserver(" + re.escape(path_prefix) + r"\S+)", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


# --- email and password ---------------------------------------------------------------------


def test_sign_in_with_email_and_password(client, poster):
    response = sign_in(client, "poster@example.com", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == str(poster.pk)
    assert client.get(HOME).status_code == 200


def test_sign_in_ignores_the_case_of_the_address(client, poster):
    response = sign_in(client, "Poster@EXAMPLE.com", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(poster.pk)


def test_wrong_password_is_refused(client, poster):
    response = sign_in(client, "poster@example.com", "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert signed_in_as(client) is None
    assert client.get(HOME).status_code == 302


def test_unknown_address_is_refused(client, db):
    response = sign_in(client, "nobody@example.com", PASSWORD)

    assert response.status_code == 200
    assert signed_in_as(client) is None


def test_deactivated_employee_cannot_sign_in(client, former):
    response = sign_in(client, "former@example.com", PASSWORD)

    assert signed_in_as(client) is None
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert client.get(HOME).status_code == 302


def test_open_session_becomes_anonymous_after_deactivation(client, poster):
    assert sign_in(client, "poster@example.com", PASSWORD).status_code == 302
    assert client.get(HOME).status_code == 200

    services.employee_deactivate(employee=poster)

    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert response.wsgi_request.user.is_anonymous


def test_open_session_loses_the_api_after_deactivation(client, poster):
    client.force_login(poster)
    assert client.get("/api/v1/me/").status_code == 200

    services.employee_deactivate(employee=poster)

    assert client.get("/api/v1/me/").status_code == 401


def test_sign_out(client, poster):
    client.force_login(poster)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert signed_in_as(client) is None


# --- domain-restricted sign-up --------------------------------------------------------------


def signup(client, email, password=NEW_PASSWORD):
    return client.post(SIGNUP_URL, {"email": email, "password1": password, "password2": password})


def test_sign_up_is_closed_without_allowed_domains(client, db, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = []

    page = client.get(SIGNUP_URL)
    response = signup(client, "new.person@example.com")

    assert "account/signup_closed.html" in [t.name for t in page.templates]
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mail.outbox == []


def test_sign_up_with_an_allowed_domain_sends_a_verification_email(client, db, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]

    response = signup(client, "New.Person@Example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert user.is_active
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_signed_up_employee_signs_in_once_the_address_is_verified(client, db, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    signup(client, "new.person@example.com")
    user = User.objects.get(email="new.person@example.com")
    client.logout()

    # Before verification: no session, the verification page instead.
    sign_in(client, "new.person@example.com", NEW_PASSWORD)
    assert signed_in_as(client) is None

    confirm = link_in(mail.outbox[0], "/accounts/confirm-email/")
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    response = sign_in(client, "new.person@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(user.pk)


@pytest.mark.parametrize(
    "email",
    [
        "someone@gmail.com",
        "someone@sub.example.com",
        "someone@example.com.evil.org",
        "someone@notexample.com",
    ],
)
def test_sign_up_from_a_foreign_domain_is_refused(client, db, settings, email):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com", "example.org"]

    response = signup(client, email)

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert "company addresses" in str(response.context["form"].errors["email"])
    assert not User.objects.filter(email=email).exists()
    assert mail.outbox == []


def test_sign_up_accepts_every_listed_domain(client, db, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com", "example.org"]

    assert signup(client, "someone@example.org").status_code == 302
    assert User.objects.filter(email="someone@example.org").exists()


def test_sign_up_with_a_taken_address_creates_nobody(client, poster, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]

    signup(client, "POSTER@example.com")

    assert User.objects.filter(email__iexact="poster@example.com").count() == 1
    assert User.objects.get(pk=poster.pk).check_password(PASSWORD)


# --- provisioned employees set their password through the reset email --------------------


def provision(**fields):
    return services.employee_create(email="provisioned@example.com", full_name="Pia Provisioned", **fields)


def test_provisioned_employee_has_no_usable_password(db):
    employee = provision()

    assert not employee.has_usable_password()
    assert EmailAddress.objects.get(user=employee).verified


@pytest.mark.parametrize("domains", [[], ["example.com"], ["other.org"]])
def test_provisioned_employee_sets_a_password_through_the_reset_email(client, db, settings, domains):
    # Whatever sign-up allows, HR-provisioned people must be able to set their password.
    settings.ALLOWED_SIGNUP_DOMAINS = domains
    employee = provision()
    assert sign_in(client, "provisioned@example.com", "").status_code == 200
    assert signed_in_as(client) is None

    response = client.post(RESET_URL, {"email": "provisioned@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["provisioned@example.com"]

    reset = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    form_page = client.get(reset, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    employee.refresh_from_db()
    assert employee.has_usable_password()
    assert employee.check_password(NEW_PASSWORD)

    client.logout()
    response = sign_in(client, "provisioned@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(employee.pk)


def test_employee_provisioned_through_the_api_can_set_a_password(client, hr_service_api, db):
    response = hr_service_api.post(
        "/api/v1/employees/", {"email": "api.hire@example.com", "full_name": "Api Hire"}, format="json"
    )
    assert response.status_code == 201

    client.post(RESET_URL, {"email": "api.hire@example.com"})
    assert len(mail.outbox) == 1
    reset = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    page = client.get(reset, follow=True)
    client.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    sign_in(client, "api.hire@example.com", NEW_PASSWORD)
    assert signed_in_as(client) == str(User.objects.get(email="api.hire@example.com").pk)


def test_reset_for_an_unknown_address_sends_no_password_link(client, db):
    response = client.post(RESET_URL, {"email": "nobody@example.com"})

    # The same answer as for a known address, so the form does not reveal who works here.
    assert response.status_code == 302
    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)


def test_reset_for_a_deactivated_employee_sends_no_password_link(client, former):
    client.post(RESET_URL, {"email": "former@example.com"})

    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)


def test_employee_cannot_add_a_foreign_address(client, poster, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    client.force_login(poster)

    response = client.post("/accounts/email/", {"action_add": "", "email": "me@gmail.com"})

    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="me@gmail.com").exists()


# --- rate limits ----------------------------------------------------------------------------


def test_rate_limits_are_on(settings):
    limits = settings.ACCOUNT_RATE_LIMITS
    assert limits is not False
    for action in ("login", "login_failed", "signup", "reset_password", "confirm_email"):
        assert limits.get(action), action


def test_repeated_failed_sign_ins_lock_the_address(client, poster):
    for _ in range(5):
        response = sign_in(client, "poster@example.com", "wrong")
        assert "Too many failed login attempts" not in response.content.decode()

    response = sign_in(client, "poster@example.com", "wrong")
    assert "Too many failed login attempts" in response.content.decode()

    # Even the right password is refused while the address is locked.
    response = sign_in(client, "poster@example.com", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert signed_in_as(client) is None


def test_locking_one_address_leaves_another_alone(client, poster, direct):
    for _ in range(6):
        sign_in(client, "poster@example.com", "wrong")

    response = sign_in(client, "direct@example.com", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(direct.pk)


def test_password_reset_requests_are_rate_limited(client, poster):
    for _ in range(5):
        client.post(RESET_URL, {"email": "poster@example.com"})
    sent = len(mail.outbox)

    response = client.post(RESET_URL, {"email": "poster@example.com"})

    assert response.status_code == 429
    assert len(mail.outbox) == sent
