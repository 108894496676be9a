from django.contrib import admin

from .models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The email outbox, read-only: rows are written by the services and sent by the worker."""

    list_display = ["id", "kind", "object_id", "status", "to", "attempts", "next_attempt_at", "holder", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
