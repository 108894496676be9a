from django.db.models.functions import Lower
from rest_framework import serializers

from config.api import StrictFieldsMixin

from .models import Division, Location, User


class OrgUnitSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        fields = ["id", "code", "name"]
        read_only_fields = ["id"]


class DivisionSerializer(OrgUnitSerializer):
    class Meta(OrgUnitSerializer.Meta):
        model = Division


class LocationSerializer(OrgUnitSerializer):
    class Meta(OrgUnitSerializer.Meta):
        model = Location


class EmployeeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), allow_null=True, required=False
    )
    location = serializers.SlugRelatedField(
        slug_field="code", queryset=Location.objects.all(), allow_null=True, required=False
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False, help_text="The manager's employee id."
    )
    employee_id = serializers.CharField(max_length=64, allow_null=True, allow_blank=True, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "employee_id",
            "title",
            "job_function",
            "division",
            "location",
            "manager",
            "is_active",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"email": {"validators": []}, "full_name": {"required": True}}

    def validate_email(self, value):
        value = User.objects.normalize_email(value).lower()
        clash = User.objects.annotate(email_ci=Lower("email")).filter(email_ci=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another employee already has this email address.")
        return value

    def validate_employee_id(self, value):
        value = (value or "").strip() or None
        if value is None:
            return None
        clash = User.objects.filter(employee_id=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another employee already has this employee id.")
        return value

    def validate_manager(self, value):
        if value is not None and self.instance is not None and value.pk == self.instance.pk:
            raise serializers.ValidationError("An employee cannot be their own manager.")
        return value


class MeSerializer(EmployeeSerializer):
    class Meta(EmployeeSerializer.Meta):
        read_only_fields = EmployeeSerializer.Meta.fields
