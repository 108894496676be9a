"""How the network's API shows connection requests and suggestions, and reads a new request."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictFieldsMixin
from events.models import Event

from ..models import ConnectionRequest, User
from ..serializers import EmployeeSerializer
from . import services


class MetAtSerializer(serializers.Serializer):
    """Where two people met: the event's id and title."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class ConnectionRequestSerializer(serializers.ModelSerializer):
    sender = EmployeeSerializer(read_only=True)
    recipient = EmployeeSerializer(read_only=True)
    met_at = MetAtSerializer(read_only=True, allow_null=True, help_text="The event where they met, or null.")

    class Meta:
        model = ConnectionRequest
        fields = ["id", "sender", "recipient", "message", "met_at", "status", "created_at", "responded_at"]
        read_only_fields = fields


class ConnectionSerializer(EmployeeSerializer):
    """A connection: the other person, and where the two met (annotated by the view's queryset)."""

    met_at = serializers.SerializerMethodField(help_text="The event where you met, or null.")

    class Meta(EmployeeSerializer.Meta):
        fields = [*EmployeeSerializer.Meta.fields, "met_at"]

    @extend_schema_field(MetAtSerializer(allow_null=True))
    def get_met_at(self, person):
        event_id = getattr(person, "met_at_id", None)
        return {"id": event_id, "title": person.met_at_title} if event_id else None


class ConnectionRequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.active(), help_text="The employee id of the person to connect with."
    )
    message = serializers.CharField(
        max_length=services.MESSAGE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="An optional short note.",
    )
    met_at = serializers.PrimaryKeyRelatedField(
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of an event you both attended, where you met.",
    )


class SuggestionSerializer(serializers.Serializer):
    employee = EmployeeSerializer(source="person", read_only=True)
    reason = serializers.CharField(
        read_only=True, help_text='e.g. "Same function, Finance, in Berlin · 3 mutual connections".'
    )
    mutual_connections = serializers.IntegerField(source="mutual_count", read_only=True)
    same_function = serializers.BooleanField(read_only=True)
    met_at = serializers.SerializerMethodField(
        help_text='The event you both attended when it is the reason ("Both at …"), or null.'
    )

    @extend_schema_field(MetAtSerializer(allow_null=True))
    def get_met_at(self, suggestion):
        # The suggestion already carries the event it names (read with the fellow-attendee pool):
        # no query per item.
        event = suggestion.event
        return {"id": event.pk, "title": event.title} if event is not None else None


class SuggestionListSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="Always null: suggestions come as one short list.")
