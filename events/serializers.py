from rest_framework import serializers

from accounts.models import Location, User
from config.api import StrictFieldsMixin

from .models import Attendance, Event


class EventSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An event as everyone may see it: never its attendees (see `/events/<id>/attendees/`)."""

    location = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        allow_null=True,
        required=False,
        help_text="Location code; null for an online, company-wide event.",
    )
    organiser = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.active(),
        allow_null=True,
        required=False,
        help_text="The organiser's employee id: the caller for an employee; HR may name anyone or nobody.",
    )
    external_id = serializers.CharField(
        max_length=128, allow_null=True, required=False, help_text="The HR system's identifier (unique)."
    )
    source = serializers.CharField(max_length=64, required=False, allow_blank=True)
    online = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "location",
            "online",
            "description",
            "organiser",
            "external_id",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class EventRecordSerializer(EventSerializer):
    """The body of `PUT /events/by-external-id/<external_id>/`: the external id is in the path and
    fields left out keep their value (title, kind, starts_at and ends_at are needed to create)."""

    online = serializers.BooleanField(required=False)
    external_id = None  # in the path

    class Meta(EventSerializer.Meta):
        fields = [name for name in EventSerializer.Meta.fields if name not in ("id", "external_id")]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {name: {"required": False} for name in ("title", "kind", "starts_at", "ends_at")}


class AttendanceSerializer(serializers.ModelSerializer):
    employee = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The attendee's employee id.")
    full_name = serializers.CharField(source="employee.full_name", read_only=True)
    email = serializers.EmailField(source="employee.email", read_only=True)

    class Meta:
        model = Attendance
        fields = ["employee", "full_name", "email", "how", "created_at"]
        read_only_fields = fields


class AttendeeListSerializer(StrictFieldsMixin, serializers.Serializer):
    employees = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=True,
        help_text="The complete attendee list, as employee ids; it replaces the current one.",
    )


class AttendeeChangeSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.IntegerField(), help_text="Employee ids added.")
    removed = serializers.ListField(child=serializers.IntegerField(), help_text="Employee ids removed.")


class AttendancePageSerializer(serializers.Serializer):
    """A page of attendees, as every list of the API: `results` and the cursors."""

    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = AttendanceSerializer(many=True)
