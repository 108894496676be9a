from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from config.api import StrictFieldsMixin

from .models import Division, Location, User
from .services import (
    SKILLS_MAX,
    employee_email_problem,
    employee_id_problem,
    employee_manager_problem,
    skills_clean,
)


class SkillsField(serializers.ListField):
    """An employee's skills as display names; written through accounts.services.skills_clean
    (normalised, at most SKILLS_MAX), so the API refuses exactly what the profile page refuses."""

    child = serializers.CharField(allow_blank=True, trim_whitespace=False)

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"Up to {SKILLS_MAX} skills; case and spacing are normalised.")
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance.skill_names

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        try:
            return skills_clean(values)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["skills"]) from None


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
        # `country` (optional, ISO 3166, e.g. DE): its public holidays are not working days for
        # the referral reminders (issue 20).
        fields = [*OrgUnitSerializer.Meta.fields, "country"]


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
    skills = SkillsField(required=False)

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
            "skills",
            "what_i_do",
            "open_to_talk",
            "updated_at",
        ]
        # "What I do" and "open to talk" are the employee's own words, written on their profile page.
        read_only_fields = ["id", "what_i_do", "open_to_talk", "updated_at"]
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
