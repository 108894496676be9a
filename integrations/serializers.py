"""Shapes of what HR systems send and receive. Checks of form only; the rules are in the modules."""

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import SkillsField
from config.api import FieldErrorsField, StrictFieldsMixin

from .models import EVENT_TYPES, AuditEvent, OutboxEvent, WebhookDelivery, WebhookEndpoint, webhook_url_validator


class EmployeeRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    """One employee as the HRIS knows them. Fields left out keep their value (or their default
    on a create); `division` and `location` are codes; `is_active: false` deactivates."""

    email = serializers.EmailField(max_length=254, help_text="Work email: the sign-in address.")
    full_name = serializers.CharField(max_length=150)
    title = serializers.CharField(max_length=150, allow_blank=True, required=False)
    job_function = serializers.CharField(max_length=100, allow_blank=True, required=False)
    division = serializers.CharField(
        max_length=32, allow_null=True, allow_blank=True, required=False, help_text="Division code; null for none."
    )
    location = serializers.CharField(
        max_length=32, allow_null=True, allow_blank=True, required=False, help_text="Location code; null for none."
    )
    manager_employee_id = serializers.CharField(
        max_length=64,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text="The manager's employee id (HRIS identifier); null for none.",
    )
    is_active = serializers.BooleanField(required=False, help_text="false deactivates: no sign-in, tokens revoked.")
    skills = SkillsField(required=False)

    def validate_email(self, value):
        return User.objects.normalize_email(value).strip().lower()

    def validate(self, attrs):
        for name in ("division", "location", "manager_employee_id"):
            if name in attrs:
                attrs[name] = (attrs[name] or "").strip() or None
        return attrs


class EmployeeRowSerializer(EmployeeRecordSerializer):
    """One row of the bulk call or of the CSV import: the employee id and the record."""

    employee_id = serializers.CharField(max_length=64, help_text="The HRIS identifier: how rows are matched.")

    def validate_employee_id(self, value):
        value = value.strip()
        if not value or "/" in value:
            raise serializers.ValidationError("Give the employee id (no slashes).")
        return value


class BulkRowReportSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Index of the row in the request.")
    employee_id = serializers.CharField()
    id = serializers.IntegerField(help_text="The employee's id in this API.")
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "deactivated"])
    changes = serializers.DictField(help_text="{field: [old, new]} for what this row changed.")


class BulkReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    rows = BulkRowReportSerializer(many=True)


class BulkErrorSerializer(serializers.Serializer):
    """400 of the bulk call: `fields` maps a row index to that row's {field: [messages]}."""

    code = serializers.CharField()
    detail = serializers.CharField()
    fields = FieldErrorsField(
        help_text='Keyed by row index, e.g. {"3": {"division": ["Unknown division code “xx”."]}}; '
        "non_field_errors when the body itself is refused (not an array, too many rows).",
    )


class OrgUnitRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The employee (id), for a personal token or session; null otherwise."
    )
    service_account = serializers.SlugRelatedField(
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text="The service account's name; null for an employee.",
    )
    token = serializers.SerializerMethodField(help_text="The token's prefix, e.g. rb_AbC123.")
    changes = serializers.JSONField(
        read_only=True, help_text="{field: [old, new]} for an update; else the accepted payload."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
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
        read_only_fields = fields

    def get_token(self, event) -> str | None:
        return event.token.key_prefix if event.token_id else None


class WebhookEndpointSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    url = serializers.URLField(
        max_length=500, validators=[webhook_url_validator], help_text="Where events are POSTed: http:// or https://."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)),
        allow_empty=False,
        help_text="Event types to receive: " + ", ".join(EVENT_TYPES) + ".",
    )
    secret_rotating_until = serializers.DateTimeField(
        source="previous_secret_expires_at",
        read_only=True,
        allow_null=True,
        help_text="While set and in the future, deliveries also carry a signature with the previous secret.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "secret_rotating_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "secret_rotating_until", "created_at", "updated_at"]

    def validate_events(self, value):
        return sorted(set(value))


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Signs every delivery. Shown only now: store it.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = WebhookEndpointSerializer.Meta.fields + ["secret"]
        read_only_fields = WebhookEndpointSerializer.Meta.read_only_fields + ["secret"]


class OutboxEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxEvent
        fields = ["id", "type", "created_at", "payload"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = OutboxEventSerializer(read_only=True)
    replay_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_response_code",
            "last_error",
            "duration_ms",
            "delivered_at",
            "created_at",
            "replay_of",
        ]
        read_only_fields = fields
