from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    """Work that happens later: the email outbox, leases on tasks, the surviving worker and the
    shared rate-limit counters."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "background"
