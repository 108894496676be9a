"""Settings shared by every environment. Every knob is read from the environment (see README)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accounts.saml import saml_provider_settings

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "django_scim",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "openings",
    "referrals",
    "integrations",
    "background",
    "events",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # /api/: request id, body cap (413); writes: idempotency keys and the audit log, in one transaction.
    "integrations.middleware.ApiMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# With no DATABASE_URL the project runs on a SQLite file in the project folder. Connections are
# kept open between requests (CONN_MAX_AGE) and health-checked, which matters on PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web and worker) share the file: wait for locks instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler costs tens of milliseconds on the visibility query of a large
    # company, whose plan looks expensive but runs in a few: it never pays off for page requests.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # The API's rate counters are written through a second connection to the same database, so a
    # counter's row lock lasts one UPDATE, not a whole write request (background/ratelimit.py).
    DATABASES["counters"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
RATE_COUNTER_DATABASE = "counters" if "counters" in DATABASES else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email -----------------------------------------------------------------------------------
# Django's own setting names, so any Django email backend can be chosen from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Referral Board <referrals@example.com>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Sign-in (django-allauth) -----------------------------------------------------------------
# Sign-up is open only to these email domains; empty means closed (HR provisions everyone).
ALLOWED_SIGNUP_DOMAINS = [d.lower().lstrip("@") for d in env_list("ALLOWED_SIGNUP_DOMAINS")]
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm", "add_email": "accounts.forms.AddEmailForm"}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated here so that nobody switches them off by accident.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Referral Board] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False

# Corporate SSO: allauth's OpenID Connect provider, configured from the environment alone.
OIDC_PROVIDER_ID = env_str("OIDC_PROVIDER_ID", "corporate")
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL")
SOCIALACCOUNT_PROVIDERS = {}
if OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": env_str("OIDC_NAME", "Company sign-in"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {
                    "server_url": OIDC_SERVER_URL,
                    "token_auth_method": env_str("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
                },
            }
        ],
    }
# Only accounts that HR already provisioned may come in through SSO unless sign-up is open.
OIDC_ALLOW_SIGNUP = env_bool("OIDC_ALLOW_SIGNUP", False)

# SAML 2.0 sign-in: allauth's SAML provider, from the SAML_* variables (accounts/saml.py); off
# when none is set. Sign-up through SAML, like OIDC's, is closed unless SAML_ALLOW_SIGNUP.
_saml = saml_provider_settings(os.environ)
if _saml:
    SOCIALACCOUNT_PROVIDERS["saml"] = _saml
SAML_ALLOW_SIGNUP = env_bool("SAML_ALLOW_SIGNUP", False)

# --- SCIM 2.0 provisioning (accounts/scim.py, on django-scim2) ------------------------------------
# Create a division or location that the identity provider names and the directory lacks;
# off by default, so a typo in the IdP is an error rather than a new division.
SCIM_CREATE_ORG_UNITS = env_bool("SCIM_CREATE_ORG_UNITS", False)
# SCIM groups (by displayName) whose members are HR; other groups are kept and grant nothing.
SCIM_HR_GROUPS = env_list("SCIM_HR_GROUPS")
SCIM_SERVICE_PROVIDER = {
    "NETLOC": urlsplit(SITE_URL).netloc or "localhost",
    "SCHEME": urlsplit(SITE_URL).scheme or "https",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A service token with scope scim: manage.py issue_token --service NAME --scope scim",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        }
    ],
    "USER_ADAPTER": "accounts.scim.ScimUser",
    "GROUP_MODEL": "accounts.models.DirectoryGroup",
    "GROUP_ADAPTER": "accounts.scim.ScimGroup",
    "BASE_LOCATION_GETTER": "accounts.scim.base_location",
    "SERVICE_PROVIDER_CONFIG_MODEL": "accounts.scim.ServiceProviderConfig",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": "accounts.scim.filter_kwargs_getter",
    "AUTH_CHECK_MIDDLEWARE": "accounts.scim_auth.ScimAuthCheck",
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="scim"',
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.ApiRateThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Referral Board API",
    "DESCRIPTION": (
        "The REST API for HR systems: the HRIS pushes employees and org units, the ATS pulls "
        "openings and referrals and pushes referral status. Authenticate with "
        "`Authorization: Bearer <token>` (see `python manage.py issue_token`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.schema.document_shared_behaviour",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "referrals.models.Referral.Status",
        "BonusStatusEnum": "referrals.models.ReferralBonus.Status",
        "BonusActionStatusEnum": [("approved", "approved"), ("paid", "paid"), ("forfeited", "forfeited")],
        "WebhookEventTypeEnum": "integrations.models.EVENT_TYPE_CHOICES",
    },
}

# --- Integrations (HR systems) ------------------------------------------------------------------
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600)  # per token (or per employee's session)
EMPLOYEES_BULK_MAX_ROWS = env_int("EMPLOYEES_BULK_MAX_ROWS", 5000)
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)
# Webhooks go to public addresses only; an HR system on the company network is let through by its
# host name or by its network (CIDR), e.g. WEBHOOK_ALLOWED_NETWORKS=10.20.0.0/16 (integrations/destinations.py).
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")
# A digest's unsubscribe link works this long after it was sent (then: the settings page).
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env_int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", 90)
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS")
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        __import__("ipaddress").ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.20.0.0/16."
        ) from None

# --- Background tasks (Django's tasks API with the database backend and its db_worker) -------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A digest claim or an outbox email is held by its process for LEASE_SECONDS and renewed before
# each send; a process that dies lets it run out and the next run or sweep takes it. It must
# outlast one SMTP exchange (EMAIL_TIMEOUT) with room to spare.
LEASE_SECONDS = env_int("LEASE_SECONDS", 300)
if LEASE_SECONDS < 2 * EMAIL_TIMEOUT + 1:
    raise ImproperlyConfigured("LEASE_SECONDS must be more than twice EMAIL_TIMEOUT (one SMTP exchange).")
# A task a worker started and did not finish within TASK_LEASE_SECONDS (its worker died or hangs)
# is queued again by the next worker's sweep. The work inside is itself leased, so a task run
# twice still sends nothing twice.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 900)
# How often each worker re-queues expired tasks and sends due outbox emails and webhooks.
WORKER_SWEEP_SECONDS = env_int("WORKER_SWEEP_SECONDS", 30)

# --- Security that holds in every environment -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)

# --- Product knobs ----------------------------------------------------------------------------
CONNECTION_REQUEST_COOLDOWN_DAYS = env_int("CONNECTION_REQUEST_COOLDOWN_DAYS", 21)
CONNECTION_REQUESTS_PER_DAY = env_int("CONNECTION_REQUESTS_PER_DAY", 30)
# The currency a new opening's referral bonus starts with (ISO 4217); the poster may change it.
DEFAULT_BONUS_CURRENCY = env_str("DEFAULT_BONUS_CURRENCY", "EUR").upper()[:3]
# Candidates' personal data on referrals that ended (hired, declined, withdrawn) is erased after
# this many days by the daily `erase_expired_referrals`; a salted hash of the email stays so the
# duplicate rule still recognises them. The salt defaults to SECRET_KEY: set REFERRAL_EMAIL_SALT to
# keep recognising earlier candidates across a SECRET_KEY rotation.
REFERRAL_RETENTION_DAYS = env_int("REFERRAL_RETENTION_DAYS", 365)
if REFERRAL_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("REFERRAL_RETENTION_DAYS must be at least 1.")
REFERRAL_EMAIL_SALT = env_str("REFERRAL_EMAIL_SALT")
# Referral bonuses (issue 20): eligible this many days after the hire's start date.
BONUS_RETENTION_DAYS = env_int("BONUS_RETENTION_DAYS", 90)
# Response times (issue 20): a referral still "submitted" after REFERRAL_RESPONSE_DAYS working days
# reminds its poster once; after REFERRAL_ESCALATION_DAYS working days HR is told. Any other active
# status untouched for REFERRAL_STALE_DAYS calendar days does both. `send_referral_reminders` daily.
REFERRAL_RESPONSE_DAYS = env_int("REFERRAL_RESPONSE_DAYS", 5)
REFERRAL_ESCALATION_DAYS = env_int("REFERRAL_ESCALATION_DAYS", 10)
REFERRAL_STALE_DAYS = env_int("REFERRAL_STALE_DAYS", 21)
if min(BONUS_RETENTION_DAYS, REFERRAL_RESPONSE_DAYS, REFERRAL_ESCALATION_DAYS, REFERRAL_STALE_DAYS) < 0:
    raise ImproperlyConfigured("Bonus and response-time day counts cannot be negative.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Rate limits (allauth, API throttling) must hold across every gunicorn process, so the cache is
# shared: Redis when REDIS_URL is set (and the API's counters then live there), else the database
# unless CACHE_BACKEND says otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": env_str("CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"),
            "LOCATION": env_str("CACHE_LOCATION", "referral_board_cache"),
        }
    }
