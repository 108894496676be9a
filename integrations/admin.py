from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from . import webhooks
from .destinations import destination_problem
from .models import EVENT_TYPE_CHOICES, AuditEvent, OutboxEvent, WebhookDelivery, WebhookEndpoint, webhook_url_validator


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are written by the system only: HR reads them, nobody edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "method", "path", "status_code"]
    list_filter = ["action", "method", "object_type", "service_account"]
    search_fields = ["actor_label", "action", "object_id", "path", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["service_account", "token", "actor"]
    readonly_fields = [
        "at",
        "actor",
        "service_account",
        "token",
        "actor_label",
        "method",
        "path",
        "action",
        "object_type",
        "object_id",
        "status_code",
        "changes",
        "request_id",
    ]


def secret_once_response(request, *, title, intro, secrets, back_url):
    """Show a new secret once, in this answer only: never in the messages cookie, never stored
    anywhere the browser could show it again (no-store)."""
    response = TemplateResponse(
        request,
        "admin/secret_once.html",
        {**admin.site.each_context(request), "title": title, "intro": intro, "secrets": secrets, "back_url": back_url},
    )
    response["Cache-Control"] = "no-store"
    return response


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", validators=[webhook_url_validator])
    events = forms.MultipleChoiceField(choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = destination_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The signing secret is shown once, in a message, when the endpoint is created or its secret
    rotated; it is never displayed on the form."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "event_list", "is_active", "rotating", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    actions = ["rotate_secret"]

    @admin.display(description="Events")
    def event_list(self, endpoint):
        return ", ".join(endpoint.events or [])

    @admin.display(description="Previous secret valid until")
    def rotating(self, endpoint):
        return endpoint.previous_secret_expires_at or "—"

    def save_model(self, request, obj, form, change):
        # Through the services, with their rules (destination, the subscriber's read permissions).
        fields = {name: form.cleaned_data[name] for name in ("url", "description", "events", "is_active")}
        try:
            if change:
                webhooks.endpoint_update(endpoint=obj, by=request.user, **fields)
            else:
                created = webhooks.endpoint_create(created_by=request.user, **fields)
                obj.pk, obj.secret = created.pk, created.secret
        except ValidationError as error:
            raise PermissionDenied("; ".join(error.messages)) from None

    def response_add(self, request, obj, post_url_continue=None):
        return secret_once_response(
            request,
            title="Signing secret",
            intro=f"The signing secret for {obj.url}:",
            secrets=[{"label": obj.url, "value": obj.secret}],
            back_url=reverse("admin:integrations_webhookendpoint_changelist"),
        )

    @admin.action(
        description="Rotate the signing secret (the old one keeps signing during the overlap)", permissions=["change"]
    )
    def rotate_secret(self, request, queryset):
        secrets = []
        for endpoint in queryset:
            secret = webhooks.endpoint_rotate_secret(endpoint=endpoint)
            secrets.append({"label": endpoint.url, "value": secret})
        return secret_once_response(
            request,
            title="New signing secrets",
            intro="The previous secrets also sign during the overlap (WEBHOOK_SECRET_OVERLAP_HOURS).",
            secrets=secrets,
            back_url=reverse("admin:integrations_webhookendpoint_changelist"),
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_response_code",
        "duration_ms",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "endpoint", "event__type"]
    search_fields = ["event__id", "endpoint__url", "last_error"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "replay_of",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_response_code",
        "last_error",
        "duration_ms",
        "delivered_at",
        "created_at",
        "body",
    ]
    actions = ["replay"]

    @admin.display(description="Event")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="Body sent")
    def body(self, delivery):
        return format_html("<pre>{}</pre>", webhooks.event_body(delivery.event).decode())

    def has_replay_permission(self, request):
        return request.user.has_perm("integrations.change_webhookendpoint")

    @admin.action(description="Replay: send the event again as a new delivery", permissions=["replay"])
    def replay(self, request, queryset):
        count = 0
        for delivery in queryset.select_related("event", "endpoint"):
            webhooks.delivery_replay(delivery=delivery)
            count += 1
        self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "type", "id"]
    list_filter = ["type"]
    search_fields = ["id"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "type", "payload", "created_at"]
