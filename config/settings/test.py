"""Tests: fast hashing, mail kept in memory, tasks run at once in the test process."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS}  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Throttling has its own tests; elsewhere the budget must never be what a test runs into.
API_RATE_PER_MINUTE = 1_000_000
# Serve static files from the app folders, not from a collected STATIC_ROOT that a benchmark or a
# collectstatic may be rewriting while the suite runs.
WHITENOISE_AUTOREFRESH = True
# The tests' webhook receivers listen on 127.0.0.1: allowed here explicitly, as an HR system on the
# company network would be (tests/integrations/test_destinations.py proves it is refused otherwise).
WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
REDIS_URL = ""  # the API counters use the database in tests; the Redis path has its own tests
# One connection in tests (pytest-django allows only the default alias); the concurrency tests use
# one connection per thread anyway.
DATABASES.pop("counters", None)  # noqa: F405
RATE_COUNTER_DATABASE = "default"
