from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Everything that serves other systems: audit log, idempotency, provisioning, webhooks, outbox."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (HR systems)"
