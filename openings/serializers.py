from rest_framework import serializers

from accounts.models import Division, Location, User
from config.api import StrictFieldsMixin

from .models import Opening
from .services import EDITABLE_FIELDS, can_manage


class OpeningSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all())
    location = serializers.SlugRelatedField(slug_field="code", queryset=Location.objects.all())
    posted_by = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The poster's employee id (always the caller on POST)."
    )
    excluded = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.active(),
        write_only=True,
        help_text="Employee ids the opening is hidden from. Shown only to the poster and HR.",
    )
    status = serializers.ChoiceField(choices=Opening.Status.choices, required=False)

    class Meta:
        model = Opening
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "status",
            "posted_by",
            "excluded",
            "opened_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "posted_by", "opened_at", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # Who an opening is hidden from is the poster's and HR's business only. Read from the
        # prefetched exclusion rows so a list costs no query per opening.
        if request is not None and can_manage(request.user, instance):
            data["excluded"] = sorted(e.user_id for e in instance.exclusions.all())
        return data
