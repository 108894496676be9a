"""What the API keeps for other systems: the audit log, idempotency keys, the outbox and webhooks.

Rules live in the modules beside this one (audit.py, idempotency.py, outbox.py, webhooks.py); the
models hold fields and the constraints the database must enforce itself.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

EVENT_TYPES = {
    "opening.created": "An opening was posted (as a draft or open).",
    "opening.updated": "An opening's fields or exclusions changed, or it was published or reopened.",
    "opening.closed": "An opening was closed (by its poster, HR or its closing date).",
    "referral.created": "Someone was referred to an opening.",
    "referral.status_changed": "A referral moved along the pipeline (or was withdrawn).",
    "employee.deactivated": "An employee left: they can no longer sign in and their tokens are revoked.",
    "event.created": "An event (training, conference, meetup, …) was created in the portal, the API or by sync.",
    "event.updated": "An event's fields changed (title, kind, time, place, description, organiser).",
    "event.deleted": "An event was deleted, with its attendee list.",
    "event.attendees_changed": "People joined or left an event's attendee list: the ids added and removed.",
    "bonus.eligible": "A referral bonus passed its retention date and awaits HR's approval.",
    "bonus.approved": "HR approved a referral bonus for payroll.",
    "bonus.paid": "Payroll paid a referral bonus (with its payroll reference).",
    "bonus.forfeited": "A referral bonus was forfeited (the hire left before the retention date).",
}
EVENT_TYPE_CHOICES = [(name, name) for name in EVENT_TYPES]

webhook_url_validator = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// address.")


def validate_event_types(value):
    """A webhook subscribes to at least one event type, and only to types that exist."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError("Choose at least one event type.")
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}.")


class AuditEvent(models.Model):
    """One successful write through the API: who (employee or service account and token), what
    (action, object, changes), when, and the request id to find it in the server logs.

    `actor_label` keeps the name even if the employee, service account or token is deleted later.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The employee who made the change (personal token or portal session).",
    )
    service_account = models.ForeignKey(
        "accounts.ServiceAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey("accounts.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=255, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    action = models.CharField(max_length=100, db_index=True, help_text='e.g. "employee.update".')
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    changes = models.JSONField(
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text="For an update {field: [old, new]}; otherwise the payload that was accepted.",
    )
    request_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["service_account", "at"], name="audit_service_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"


class IdempotencyRecord(models.Model):
    """The first successful answer to a request sent with an `Idempotency-Key`.

    The unique (principal, key) pair is the lock: the record is inserted in the same transaction as
    the work, so a second request with the same key waits for the first and then replays its answer
    instead of running twice.
    """

    principal = models.CharField(max_length=64, help_text='"user:<id>" or "service:<id>".')
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and canonical body.")
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_principal_key_unique")]

    def __str__(self):
        return f"{self.principal} {self.key}"


def generate_webhook_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A receiver that HR subscribed to some event types.

    Deliveries are signed with `secret`; after a rotation the previous secret also signs until
    `previous_secret_expires_at`, so the receiver can switch over without losing an event.
    """

    url = models.URLField(max_length=500, validators=[webhook_url_validator])
    description = models.CharField(max_length=255, blank=True)
    events = models.JSONField(
        default=list, validators=[validate_event_types], help_text="The event types this endpoint receives."
    )
    secret = models.CharField(max_length=100, default=generate_webhook_secret)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_service = models.ForeignKey(
        "accounts.ServiceAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_with_token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The service token that subscribed: its scope must still read each event type when it is sent.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type):
        return event_type in (self.events or [])


class OutboxEvent(models.Model):
    """Something that happened, written in the same transaction as the change (outbox.emit)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64, choices=EVENT_TYPE_CHOICES, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbox event"

    def __str__(self):
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint, with its attempts (see webhooks.py for the schedule)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="When it is due (or, while an attempt runs, when it may be taken over). Empty once done.",
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True, help_text="How long the last attempt took.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
        ]

    def __str__(self):
        return f"{self.event.type} → {self.endpoint_id} ({self.status})"
