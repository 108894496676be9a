"""What the OpenAPI schema says about the referrals API (api.py), kept apart from the views' code.

Each decorator here is applied by name to the view it documents: `@schema.referral_viewset`.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api import ERROR_RESPONSES, ErrorSerializer

from .serializers import (
    BonusActionSerializer,
    BonusDetailSerializer,
    BonusSerializer,
    ReferralCreateSerializer,
    ReferralDetailSerializer,
    ReferralMoveSerializer,
    ReferralSerializer,
)

CREATE_EXAMPLE = OpenApiExample(
    "A referral",
    value={
        "opening": 42,
        "candidate_name": "Ada Lovelace",
        "candidate_email": "ada@example.org",
        "note": "We built the analytics engine together; she led the design.",
        "relationship": "Former colleague at Babbage & Co, 3 years",
        "consent_confirmed": True,
    },
    request_only=True,
)
MOVE_EXAMPLE = OpenApiExample(
    "Decline with a reason",
    value={"status": "declined", "decline_reason": "We chose a candidate with more SQL experience."},
    request_only=True,
)

referral_viewset = extend_schema_view(
    list=extend_schema(
        summary="Referrals the caller may see",
        description="Its referrer, the opening's poster and HR see a referral; nobody else.",
        responses={200: ReferralSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A referral with its history", responses={200: ReferralDetailSerializer, **ERROR_RESPONSES}
    ),
    create=extend_schema(
        summary="Refer someone to an opening",
        description=(
            "Only to an open opening the caller may see and did not post, with the candidate's consent. "
            "An opening the caller may not see is answered exactly as one that does not exist. The same "
            "person (email, case-insensitive) cannot be referred twice to one opening while a referral is active."
        ),
        request=ReferralCreateSerializer,
        examples=[CREATE_EXAMPLE],
        responses={201: ReferralDetailSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Move a referral on (poster or HR) or withdraw it (referrer)",
        description=(
            "Status moves forward only: submitted→in_review→interviewing→offered→hired, and any active "
            "status →declined (with decline_reason) or →withdrawn. Others get 404 if they cannot see it, 403 if they can."
        ),
        request=ReferralMoveSerializer,
        examples=[MOVE_EXAMPLE],
        responses={200: ReferralDetailSerializer, **ERROR_RESPONSES},
    ),
)


PAY_EXAMPLE = OpenApiExample(
    "Mark paid", value={"status": "paid", "payroll_reference": "PAY-2026-11-0042"}, request_only=True
)
FORFEIT_EXAMPLE = OpenApiExample(
    "Forfeit", value={"status": "forfeited", "forfeit_reason": "Left after 40 days."}, request_only=True
)

bonus_viewset = extend_schema_view(
    list=extend_schema(
        summary="Referral bonuses (scope hr)",
        description=(
            "Every referral bonus: pending until BONUS_RETENTION_DAYS after the hire's start date, then eligible, "
            "approved, paid or forfeited. Filter by status and updated_since. Employee tokens without HR get 403."
        ),
        responses={200: BonusSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A referral bonus with its history", responses={200: BonusDetailSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Approve, mark paid or forfeit a bonus (scope hr)",
        description=(
            "status=approved: only an eligible bonus. status=paid with payroll_reference (at most 100 characters): only "
            "an approved bonus. status=forfeited with forfeit_reason: unless paid. A bonus someone else already moved "
            "answers 409 with code already_moved; a move the bonus's status does not allow answers 400."
        ),
        request=BonusActionSerializer,
        examples=[PAY_EXAMPLE, FORFEIT_EXAMPLE],
        responses={200: BonusDetailSerializer, 409: ErrorSerializer, **ERROR_RESPONSES},
    ),
)
