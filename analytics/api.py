"""The analytics API for HR systems: /api/v1/analytics/referral-funnel/, /api/v1/analytics/reach/
and one opening's reach at /api/v1/analytics/reach/openings/<id>/.

The same figures as /hr/ (analytics/selectors.py) and the same small-cell rule: a hidden count is
the string "fewer than 5" (or "all but fewer than 5") where a number would be. Company-wide
figures are HR's (the HR group, or a token with scope hr): anyone else gets 403. One opening's
figures are its poster's and HR's: anyone else gets 404, exactly as for a missing opening.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ERROR_RESPONSES
from openings.models import Opening
from openings.selectors import get_visible_or_404
from openings.services import can_manage

from .forms import range_from
from .opening_reach import opening_reach
from .privacy import cell
from .selectors import reach_tables, referral_tables
from .views import may_see_analytics

RANGE_PARAMETERS = [
    OpenApiParameter(
        "period", str, enum=["30", "90", "365", "custom"], description="Days back from today (default 90)."
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day, with period=custom (or alone with end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day; not before start, at most 5 years after it."),
    OpenApiParameter("division", str, description="A division code: referral figures of its openings only."),
]
COUNT_OR_FEWER = {"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["fewer than 5", "all but fewer than 5"]}]}


class TableSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()
    columns = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text='One object per row, keyed by column. A count about 1 to 4 people reads "fewer than 5".',
    )


def _range(request):
    form = range_from(request.query_params)
    if not form.is_valid():
        raise ValidationError({field: [str(m) for m in msgs] for field, msgs in form.errors.items()})
    return form.range


def _hr_only(request):
    if not may_see_analytics(request.user):
        raise PermissionDenied("The analytics are HR's (the HR group or a token with scope hr).")


def _range_body(rng):
    return {"start": rng.start, "end": rng.end, "division": rng.division.code if rng.division else None}


RANGE_FIELDS = {
    "start": serializers.DateField(),
    "end": serializers.DateField(),
    "division": serializers.CharField(allow_null=True),
}


class ReferralFunnelView(APIView):
    @extend_schema(
        summary="Referral funnel and timings (scope hr)",
        description="Referrals made in the range by the furthest stage reached, with conversions; referrals and "
        "hires per month; median days to first response and to hire per division; hires from hidden openings "
        'by division, location and tenure. Counts about fewer than 5 people read "fewer than 5".',
        parameters=RANGE_PARAMETERS,
        responses={
            200: inline_serializer(
                "ReferralFunnel", {**RANGE_FIELDS, "tables": serializers.DictField(child=TableSerializer())}
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request):
        _hr_only(request)
        rng = _range(request)
        tables = referral_tables(request.user, rng)
        return Response({**_range_body(rng), "tables": {key: t.as_dict() for key, t in tables.items()}})


class ReachView(APIView):
    @extend_schema(
        summary="Reach of hidden openings (scope hr)",
        description="From the last daily snapshot up to the range's end: active employees who could see at least "
        "one open network or extended opening, by division, location and tenure band against headcount, and "
        "those reached by none in 90 days; the same over the range's snapshots. `snapshot` is null before the "
        "first `snapshot_reach`.",
        parameters=RANGE_PARAMETERS,
        responses={
            200: inline_serializer(
                "Reach",
                {
                    **RANGE_FIELDS,
                    "snapshot": inline_serializer(
                        "ReachSnapshotFigures",
                        {
                            "day": serializers.DateField(),
                            "employees": serializers.IntegerField(),
                            "reached": serializers.JSONField(help_text="A count, or “fewer than 5”."),
                            "unreached_90d": serializers.JSONField(help_text="A count, or “fewer than 5”."),
                            "openings": serializers.IntegerField(),
                        },
                        allow_null=True,
                    ),
                    "tables": serializers.DictField(child=TableSerializer()),
                },
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request):
        _hr_only(request)
        rng = _range(request)
        reach = reach_tables(rng)
        snapshot = reach["snapshot"]
        figures = None
        if snapshot is not None:
            figures = {
                "day": snapshot.day,
                "employees": cell(snapshot.employees).public,
                "reached": cell(snapshot.reached, of=snapshot.employees).public,
                "unreached_90d": cell(snapshot.unreached_90d, of=snapshot.employees).public,
                "openings": snapshot.openings,
            }
        tables = {key: t.as_dict() for key, t in reach["tables"].items()}
        return Response({**_range_body(rng), "snapshot": figures, "tables": tables})


class OpeningReachView(APIView):
    @extend_schema(
        summary="One opening's reach by division and location (its poster and HR)",
        description="Who the opening reaches (as if open) by division and location against the company's "
        "headcount, and the sentences that name the places it leaves out. 404 for anyone but its poster and HR, "
        "as for a missing opening.",
        responses={
            200: inline_serializer(
                "OpeningReach",
                {
                    "opening": serializers.IntegerField(),
                    "reached": serializers.JSONField(),
                    "company_share": serializers.FloatField(allow_null=True),
                    "divisions": serializers.ListField(child=serializers.DictField()),
                    "locations": serializers.ListField(child=serializers.DictField()),
                    "nudge": serializers.ListField(child=serializers.CharField()),
                },
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request, pk):
        opening = get_visible_or_404(request.user, pk, Opening.objects.select_related("posted_by"))
        if not can_manage(request.user, opening) and not may_see_analytics(request.user):
            raise Http404  # one they may see but not manage is answered like a missing one
        reach = opening_reach(opening)
        return Response(
            {
                "opening": opening.pk,
                "reached": reach["total"].public,
                "company_share": reach["company_share"],
                "divisions": [r.as_dict() for r in reach["divisions"]],
                "locations": [r.as_dict() for r in reach["locations"]],
                "nudge": reach["nudge"],
            }
        )


def urlpatterns():
    """The analytics routes, listed in config/urls.py beside the router's."""
    from django.urls import path

    return [
        path("analytics/referral-funnel/", ReferralFunnelView.as_view(), name="analytics-referral-funnel"),
        path("analytics/reach/", ReachView.as_view(), name="analytics-reach"),
        path("analytics/reach/openings/<int:pk>/", OpeningReachView.as_view(), name="analytics-opening-reach"),
    ]
