"""The analytics on /hr/ (one context function the dashboard calls) and their CSV export.

HR only: the dashboard already refuses anyone else, and the CSV view asks the same question.
A bad range (end before start, over five years, unknown division) answers 400 with the form's
field messages and no figures.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.http import urlencode

from openings.visibility import viewer_is_hr
from referrals.selectors import viewer_sees_all_referrals

from . import charts
from .forms import range_from
from .selectors import reach_tables, referral_tables

TABLE_ONLY = [
    "reach_trend_division",
    "reach_trend_location",
    "reach_trend_tenure",
    "hidden_hires_division",
    "hidden_hires_location",
    "hidden_hires_tenure",
]
SHARE_SERIES = [("headcount_share", "Share of the company"), ("audience_share", "Share of those reached")]


def may_see_analytics(user) -> bool:
    """Company-wide analytics are HR's: the HR group or a token scoped hr (all openings and referrals)."""
    return viewer_is_hr(user) and viewer_sees_all_referrals(user)


def analytics_tables(viewer, rng) -> tuple[dict, object]:
    """Every table of the analytics for `rng`: the referral figures and the reach figures."""
    reach = reach_tables(rng)
    return referral_tables(viewer, rng) | reach["tables"], reach["snapshot"]


def _charts(tables: dict) -> dict:
    return {
        "funnel": charts.bars(tables["funnel"], label="stage", series=[("referrals", "Referrals")]),
        "monthly": charts.columns(
            tables["monthly"], label="month", series=[("referrals", "Referrals"), ("hires", "Hires")]
        ),
        "medians": charts.bars(
            tables["medians"],
            label="division",
            series=[("to_first_response", "To first response"), ("to_hire", "To hire")],
        ),
        "reach_division": charts.bars(tables["reach_division"], label="group", series=SHARE_SERIES),
        "reach_location": charts.bars(tables["reach_location"], label="group", series=SHARE_SERIES),
        "reach_tenure": charts.bars(tables["reach_tenure"], label="group", series=SHARE_SERIES),
        "reach_trend": charts.line(tables["reach_trend"], label="day", key="reached_share"),
    }


def hr_analytics(request) -> dict:
    """The context the /hr/ dashboard adds for its analytics: {"analytics": {...}}.

    `status` is 400 when the range is refused (the form shows why), else 200.
    """
    form = range_from(request.GET)
    if not form.is_valid():
        return {"analytics": {"form": form, "status": 400}}
    rng = form.range
    tables, snapshot = analytics_tables(request.user, rng)
    return {
        "analytics": {
            "form": form,
            "status": 200,
            "range": rng,
            "snapshot": snapshot,
            "tables": tables,
            "charts": _charts(tables),
            # The tables without a chart, shown as they are (each with its CSV link).
            "extra_tables": [tables[key] for key in TABLE_ONLY],
            "querystring": urlencode(rng.as_params()),
        }
    }


@login_required
def analytics_csv(request, key):
    """/hr/analytics/<table>.csv?<range>: one table's data, with the same small-cell rule."""
    if not may_see_analytics(request.user):
        raise PermissionDenied
    form = range_from(request.GET)
    if not form.is_valid():
        lines = [f"{field}: {msg}" for field, msgs in form.errors.items() for msg in msgs]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    tables, _snapshot = analytics_tables(request.user, form.range)
    if key not in tables:
        raise Http404("No such table.")
    rng = form.range
    response = HttpResponse(tables[key].as_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-{rng.start}-{rng.end}.csv"'
    return response
