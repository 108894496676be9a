"""Settings from the environment: SSO built from OIDC_* alone, strict parsing, production safety."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from accounts.adapters import SocialAccountAdapter
from accounts.models import User

PROJECT = Path(__file__).resolve().parents[2]
BASE_SETTINGS = PROJECT / "config" / "settings" / "base.py"

# Variables that change what base.py builds; cleared so the machine's environment cannot leak in.
SETTINGS_ENV = [
    "OIDC_SERVER_URL",
    "OIDC_PROVIDER_ID",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_NAME",
    "OIDC_TOKEN_AUTH_METHOD",
    "OIDC_ALLOW_SIGNUP",
    "ALLOWED_SIGNUP_DOMAINS",
    "DEBUG",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CACHE_BACKEND",
    "SITE_URL",
]


def fresh_base_settings(monkeypatch, **env):
    """Execute config/settings/base.py anew under `env`, without touching the loaded settings."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("config.settings._fresh_base", BASE_SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- SSO through OpenID Connect -------------------------------------------------------------


def test_no_sso_provider_without_oidc_server_url(monkeypatch):
    base = fresh_base_settings(monkeypatch, OIDC_CLIENT_ID="client", OIDC_CLIENT_SECRET="secret")

    assert base.SOCIALACCOUNT_PROVIDERS == {}


def test_sso_provider_is_built_from_the_environment(monkeypatch):
    base = fresh_base_settings(
        monkeypatch,
        OIDC_SERVER_URL="https://login.example.com/realms/staff",
        OIDC_CLIENT_ID="referral-board",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_PROVIDER_ID="okta",
        OIDC_NAME="Sign in with Okta",
        OIDC_TOKEN_AUTH_METHOD="client_secret_post",
    )

    config = base.SOCIALACCOUNT_PROVIDERS["openid_connect"]
    assert config["OAUTH_PKCE_ENABLED"] is True
    [app] = config["APPS"]
    assert app["provider_id"] == "okta"
    assert app["name"] == "Sign in with Okta"
    assert app["client_id"] == "referral-board"
    assert app["secret"] == "s3cret"
    assert app["settings"]["server_url"] == "https://login.example.com/realms/staff"
    assert app["settings"]["token_auth_method"] == "client_secret_post"


def test_sso_provider_defaults(monkeypatch):
    base = fresh_base_settings(monkeypatch, OIDC_SERVER_URL="https://idp.example.com")

    [app] = base.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    assert app["provider_id"] == "corporate"
    assert app["settings"]["token_auth_method"] == "client_secret_basic"
    assert base.OIDC_ALLOW_SIGNUP is False


def test_sso_callback_url_is_the_documented_one():
    # The README tells the identity provider's admin to register this redirect URI.
    url = reverse("openid_connect_callback", kwargs={"provider_id": "corporate"})

    assert url == "/accounts/oidc/corporate/login/callback/"


def test_sign_in_page_offers_sso_when_configured(client, db, settings, monkeypatch):
    base = fresh_base_settings(
        monkeypatch, OIDC_SERVER_URL="https://idp.example.com", OIDC_CLIENT_ID="rb", OIDC_NAME="Contoso ID"
    )
    settings.SOCIALACCOUNT_PROVIDERS = base.SOCIALACCOUNT_PROVIDERS

    page = client.get("/accounts/login/").content.decode()

    assert "/accounts/oidc/corporate/login/" in page
    assert "Contoso ID" in page


def test_sign_in_page_has_no_sso_when_not_configured(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    page = client.get("/accounts/login/").content.decode()

    assert "/accounts/oidc/" not in page
    assert 'name="login"' in page


def sociallogin_for(email):
    return SocialLogin(user=User(email=email))


@pytest.mark.parametrize(
    ("allow_signup", "domains", "email", "open_"),
    [
        (False, ["example.com"], "new@example.com", False),  # default: only provisioned people
        (True, ["example.com"], "new@example.com", True),
        (True, ["example.com"], "NEW@Example.COM", True),
        (True, ["example.com"], "new@gmail.com", False),
        (True, [], "new@example.com", False),  # no domains: closed whatever OIDC_ALLOW_SIGNUP says
        (True, ["example.com"], "", False),
    ],
)
def test_sso_sign_up_is_open_only_when_allowed(settings, allow_signup, domains, email, open_):
    settings.OIDC_ALLOW_SIGNUP = allow_signup
    settings.ALLOWED_SIGNUP_DOMAINS = domains
    request = RequestFactory().get("/accounts/oidc/corporate/login/callback/")

    assert SocialAccountAdapter().is_open_for_signup(request, sociallogin_for(email)) is open_


def test_sso_populates_the_full_name():
    request = RequestFactory().get("/")
    sociallogin = SocialLogin(user=User())
    sociallogin.account = SocialAccount(provider="corporate")
    user = SocialAccountAdapter().populate_user(
        request, sociallogin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    )

    assert user.full_name == "Ada Lovelace"
    assert user.email == "ada@example.com"


# --- parsing the environment ----------------------------------------------------------------


def test_signup_domains_are_normalised(monkeypatch):
    base = fresh_base_settings(monkeypatch, ALLOWED_SIGNUP_DOMAINS=" @Example.com, example.org ,, ")

    assert base.ALLOWED_SIGNUP_DOMAINS == ["example.com", "example.org"]


@pytest.mark.parametrize("value", ["flase", "2", "enabled"])
def test_a_misspelt_boolean_fails_at_start_up(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        fresh_base_settings(monkeypatch, DEBUG=value)


def test_a_malformed_integer_fails_at_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE"):
        fresh_base_settings(monkeypatch, DATABASE_URL="postgres://u@db/rb", CONN_MAX_AGE="ten")


def test_sqlite_file_in_the_project_folder_by_default(monkeypatch):
    base = fresh_base_settings(monkeypatch)

    db = base.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]) == PROJECT / "db.sqlite3"


def test_postgresql_from_database_url_with_persistent_connections(monkeypatch):
    base = fresh_base_settings(monkeypatch, DATABASE_URL="postgres://rb:pw@db.internal:5432/referrals")

    db = base.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "referrals"
    assert db["HOST"] == "db.internal"
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is True


def test_rate_limit_cache_is_shared_between_processes_by_default(monkeypatch):
    base = fresh_base_settings(monkeypatch)

    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert base.ACCOUNT_RATE_LIMITS


# --- production settings (in a subprocess: they must be read at start-up) ------------------

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "prod-test-Vb1x9Qm2Lr7Tz4Kp8Wd3Ns6Hj0Yc5Fa2Ue9Gi1Ro7Sl4",
    "ALLOWED_HOSTS": "referrals.example.com",
    "SITE_URL": "https://referrals.example.com",
}


# What the test run itself sets and a production process never has: the browser tests' permission
# for ORM calls beside Playwright's event loop (pytest-django may order them before this file).
HARNESS_ENV = {"DEBUG", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION_ENV, *HARNESS_ENV}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_debug_on():
    # The check is real: the same command fails once something insecure is switched on.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "DEBUG": "true"})

    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert missing in result.stderr


def test_production_honours_the_proxy_and_sends_secure_cookies():
    script = (
        "import json; from django.conf import settings; print(json.dumps({"
        "'proxy': settings.SECURE_PROXY_SSL_HEADER, 'ssl_redirect': settings.SECURE_SSL_REDIRECT,"
        "'session': settings.SESSION_COOKIE_SECURE, 'csrf': settings.CSRF_COOKIE_SECURE,"
        "'hsts': settings.SECURE_HSTS_SECONDS, 'debug': settings.DEBUG,"
        "'csrf_origins': settings.CSRF_TRUSTED_ORIGINS, 'protocol': settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}))"
    )

    result = run_manage("shell", "-c", script, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ssl_redirect"] is True
    assert values["session"] is True and values["csrf"] is True
    assert values["hsts"] >= 31536000
    assert values["debug"] is False
    assert values["csrf_origins"] == ["https://referrals.example.com"]
    assert values["protocol"] == "https"


def test_wsgi_defaults_to_production_settings():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}

    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE)"],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.production"
