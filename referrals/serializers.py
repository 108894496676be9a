from rest_framework import serializers

from config.api import StrictFieldsMixin

from .models import BonusEvent, Referral, ReferralBonus, ReferralEvent
from .services import CANDIDATE_FIELDS

# The candidate's fields and their lengths are declared once, in referrals.services.CANDIDATE_FIELDS.
LIMIT = CANDIDATE_FIELDS


class ReferralEventSerializer(serializers.ModelSerializer):
    by = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The employee who made the change; null for an HR system or the board itself.",
    )
    by_name = serializers.CharField(source="actor_label", read_only=True, help_text="Who made the change, for people.")
    from_status = serializers.CharField(read_only=True, help_text="Empty for the submission.")

    class Meta:
        model = ReferralEvent
        fields = ["from_status", "to_status", "by", "by_name", "by_service", "at", "comment"]
        read_only_fields = fields


class ReferralSerializer(serializers.ModelSerializer):
    """A referral as its referrer, the opening's poster and HR see it."""

    opening = serializers.PrimaryKeyRelatedField(read_only=True)
    referrer = serializers.PrimaryKeyRelatedField(read_only=True)
    candidate_employee = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The employee id when the candidate works here (internal move or self-referral).",
    )
    candidate_email = serializers.CharField(
        read_only=True, help_text="The candidate's email address; empty once erased."
    )
    candidate_profile_url = serializers.CharField(
        read_only=True, help_text="A link to the candidate's profile (http or https), or empty."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "opening",
            "referrer",
            "candidate_name",
            "candidate_email",
            "candidate_phone",
            "candidate_profile_url",
            "candidate_employee",
            "is_self_referral",
            "relationship",
            "why_fit",
            "consent_confirmed",
            "status",
            "decline_reason",
            "created_at",
            "updated_at",
            "status_changed_at",
            "personal_data_erased_at",
        ]
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    history = ReferralEventSerializer(source="events", many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "history"]
        read_only_fields = fields


class ReferralCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """POST body. Shapes only; referrals/services.py decides (visibility, open, consent, duplicates)."""

    opening = serializers.IntegerField(
        help_text="The opening's id. One you may not see is answered as one that does not exist."
    )
    candidate_name = serializers.CharField(max_length=LIMIT["candidate_name"])
    candidate_email = serializers.EmailField(max_length=LIMIT["candidate_email"])
    candidate_phone = serializers.CharField(
        max_length=LIMIT["candidate_phone"], required=False, allow_blank=True, default=""
    )
    candidate_profile_url = serializers.URLField(
        max_length=LIMIT["candidate_profile_url"], required=False, allow_blank=True, default=""
    )
    relationship = serializers.CharField(
        max_length=LIMIT["relationship"],
        required=False,
        allow_blank=True,
        default="",
        help_text="How you know each other.",
    )
    why_fit = serializers.CharField(
        max_length=LIMIT["why_fit"], required=False, allow_blank=True, default="", help_text="Why they fit."
    )
    note = serializers.CharField(
        max_length=LIMIT["why_fit"],
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Same as why_fit (SPEC.md's name); give one of them.",
    )
    consent_confirmed = serializers.BooleanField(help_text="Must be true: the candidate agreed to be referred.")

    def validate(self, attrs):
        note = attrs.pop("note", "")
        if note and attrs.get("why_fit"):
            raise serializers.ValidationError({"note": ["Give either note or why_fit, not both."]})
        if note:
            attrs["why_fit"] = note
        return attrs


class ReferralMoveSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH body: move the referral on (poster or HR), or withdraw it (referrer)."""

    status = serializers.ChoiceField(choices=Referral.Status.choices)
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="The referrer sees it."
    )
    decline_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when status is declined."
    )


class BonusEventSerializer(serializers.ModelSerializer):
    by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The employee, if one acted.")
    by_name = serializers.CharField(source="actor_label", read_only=True)
    from_status = serializers.CharField(read_only=True, help_text="Empty when the bonus was created.")

    class Meta:
        model = BonusEvent
        fields = ["from_status", "to_status", "by", "by_name", "by_service", "at", "reference", "comment"]
        read_only_fields = fields


class BonusSerializer(serializers.ModelSerializer):
    """A referral bonus as HR and payroll see it."""

    referral = serializers.PrimaryKeyRelatedField(read_only=True)
    referrer = serializers.IntegerField(source="referral.referrer_id", read_only=True, help_text="The referrer's id.")
    referrer_employee_id = serializers.CharField(source="referral.referrer.employee_id", read_only=True)
    opening = serializers.IntegerField(source="referral.opening_id", read_only=True)
    division = serializers.CharField(
        source="referral.opening.division.code", read_only=True, help_text="The opening's division code."
    )

    class Meta:
        model = ReferralBonus
        fields = [
            "id",
            "referral",
            "referrer",
            "referrer_employee_id",
            "opening",
            "division",
            "amount",
            "currency",
            "status",
            "start_date",
            "eligible_on",
            "payroll_reference",
            "forfeit_reason",
            "created_at",
            "updated_at",
            "status_changed_at",
        ]
        read_only_fields = fields


class BonusDetailSerializer(BonusSerializer):
    history = BonusEventSerializer(source="events", many=True, read_only=True)

    class Meta(BonusSerializer.Meta):
        fields = [*BonusSerializer.Meta.fields, "history"]
        read_only_fields = fields


class BonusActionSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH body: approve an eligible bonus, mark an approved one paid, or forfeit one."""

    status = serializers.ChoiceField(choices=[("approved", "approved"), ("paid", "paid"), ("forfeited", "forfeited")])
    payroll_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Required when status is paid."
    )
    forfeit_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when status is forfeited; the referrer reads it.",
    )

    def validate(self, attrs):
        if attrs["status"] == "paid" and not attrs.get("payroll_reference", "").strip():
            raise serializers.ValidationError({"payroll_reference": ["Give the payroll reference of the payment."]})
        if attrs["status"] == "forfeited" and not attrs.get("forfeit_reason", "").strip():
            raise serializers.ValidationError(
                {"forfeit_reason": ["Give a reason for forfeiting: the referrer will read it."]}
            )
        if attrs["status"] != "paid" and attrs.get("payroll_reference"):
            raise serializers.ValidationError({"payroll_reference": ["Only a paid bonus has a payroll reference."]})
        if attrs["status"] != "forfeited" and attrs.get("forfeit_reason"):
            raise serializers.ValidationError({"forfeit_reason": ["Only a forfeited bonus has a reason."]})
        return attrs
