from rest_framework import serializers

from config.api import StrictFieldsMixin

from .models import Division, Location, User
from .services import employee_email_problem, employee_id_problem, employee_manager_problem


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

    # The rules are accounts.services' (one function each); these only put them on their fields.

    def validate_email(self, value):
        value = User.objects.normalize_email(value).lower()
        _refuse(employee_email_problem(value, employee=self.instance))
        return value

    def validate_employee_id(self, value):
        value = (value or "").strip() or None
        _refuse(employee_id_problem(value, employee=self.instance))
        return value

    def validate_manager(self, value):
        _refuse(employee_manager_problem(self.instance, value))
        return value


def _refuse(problem):
    if problem:
        raise serializers.ValidationError(problem)


class MeSerializer(EmployeeSerializer):
    class Meta(EmployeeSerializer.Meta):
        read_only_fields = EmployeeSerializer.Meta.fields
