"""How the network's API shows connection requests and suggestions, and reads a new request."""

from rest_framework import serializers

from config.api import StrictFieldsMixin

from ..models import ConnectionRequest, User
from ..serializers import EmployeeSerializer
from . import services


class ConnectionRequestSerializer(serializers.ModelSerializer):
    sender = EmployeeSerializer(read_only=True)
    recipient = EmployeeSerializer(read_only=True)

    class Meta:
        model = ConnectionRequest
        fields = ["id", "sender", "recipient", "message", "status", "created_at", "responded_at"]
        read_only_fields = fields


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


class SuggestionSerializer(serializers.Serializer):
    employee = EmployeeSerializer(source="person", read_only=True)
    reason = serializers.CharField(
        read_only=True, help_text='e.g. "Same function, Finance, in Berlin · 3 mutual connections".'
    )
    mutual_connections = serializers.IntegerField(source="mutual_count", read_only=True)
    same_function = serializers.BooleanField(read_only=True)


class SuggestionListSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="Always null: suggestions come as one short list.")
