from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Employees and organisation"

    def ready(self):
        from . import roles, schema  # noqa: F401  (schema registers the OpenAPI auth extension)

        # Permissions exist only after every app migrated, so the HR group is synced then.
        post_migrate.connect(roles.sync_hr_group_after_migrate, dispatch_uid="accounts.sync_hr_group")
