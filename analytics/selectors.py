"""The analytics' figures for a date range, as tables (analytics/tables.py) ready for the page,
the CSV export and the API. Every count goes through the small-cell rule (analytics/privacy.py).

Referral figures start from `referrals_visible_to(viewer)` like the rest of /hr/; reach figures
read the stored snapshots (analytics/reach.py), never the rule per page view. A fixed number of
queries whatever the company's size or the range's length.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date

from django.db.models import Case, CharField, Count, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from referrals.models import Referral, ReferralEvent
from referrals.selectors import first_response_at, referrals_visible_to

from .forms import Range
from .models import ReachCell, ReachSnapshot
from .privacy import MIN_GROUP, cell, share
from .reach import HIDDEN, TENURE_BANDS, tenure_case
from .tables import Column, Table

S = Referral.Status
# The pipeline's forward stages: a referral has reached a stage if it ever entered it or a later one.
STAGES = [S.SUBMITTED, S.IN_REVIEW, S.INTERVIEWING, S.OFFERED, S.HIRED]
# Days shown in the over-time tables of reach by group, and points on the company-wide chart.
TREND_COLUMNS = 6
TREND_POINTS = 60
EXTERNAL = "external"


def _referrals(viewer, rng: Range):
    qs = referrals_visible_to(viewer).filter(created_at__gte=rng.since, created_at__lt=rng.until)
    if rng.division is not None:
        qs = qs.filter(opening__division=rng.division)
    return qs


def _pct(part, whole):
    """A percentage of two cells, hidden when either is."""
    if whole.value is None:
        return None
    return share(part, whole.value)


def funnel_table(viewer, rng: Range) -> Table:
    """Referrals made in the range, by the furthest stage each reached, and the conversion from
    each stage to the next. Two queries."""
    referrals = _referrals(viewer, rng)
    total = referrals.count()
    reached = ReferralEvent.objects.filter(referral__in=referrals).aggregate(
        **{
            stage: Count("referral_id", distinct=True, filter=Q(to_status__in=STAGES[i:]))
            for i, stage in enumerate(STAGES[1:], start=1)
        }
    )
    counts = [cell(total)] + [cell(reached[stage] or 0) for stage in STAGES[1:]]
    rows = []
    for i, stage in enumerate(STAGES):
        rows.append(
            {
                "stage": S(stage).label,
                "referrals": counts[i],
                "from_previous": _pct(counts[i], counts[i - 1]) if i else None,
                "from_start": _pct(counts[i], counts[0]) if i else None,
            }
        )
    rows[0]["from_previous"] = rows[0]["from_start"] = 100.0 if total else 0.0
    return Table(
        "funnel",
        "Referral funnel",
        "Referrals made in the range by the furthest stage they reached, with the conversion from the stage before.",
        [
            Column("stage", "Stage"),
            Column("referrals", "Referrals"),
            Column("from_previous", "From the stage before", "%"),
            Column("from_start", "From submitted", "%"),
        ],
        rows,
    )


def _months(rng: Range) -> list[date]:
    months, day = [], rng.start.replace(day=1)
    while day <= rng.end:
        months.append(day)
        day = day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)
    return months


def monthly_table(viewer, rng: Range) -> Table:
    """Referrals made and hires made, per calendar month of the range. Two queries."""
    tz = timezone.get_current_timezone()
    made = dict(
        _referrals(viewer, rng)
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    hired = dict(
        _hire_events(viewer, rng)
        .annotate(month=TruncMonth("at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("referral_id", distinct=True))
        .order_by()
    )
    made = {_as_date(k): v for k, v in made.items()}
    hired = {_as_date(k): v for k, v in hired.items()}
    rows = [
        {"month": m.strftime("%Y-%m"), "referrals": cell(made.get(m, 0)), "hires": cell(hired.get(m, 0))}
        for m in _months(rng)
    ]
    return Table(
        "monthly",
        "Referrals and hires per month",
        "Referrals made and referred candidates hired in each month of the range.",
        [Column("month", "Month"), Column("referrals", "Referrals"), Column("hires", "Hires")],
        rows,
    )


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _hire_events(viewer, rng: Range):
    """The moves to hired within the range, of referrals the viewer sees (any creation date)."""
    referrals = referrals_visible_to(viewer)
    if rng.division is not None:
        referrals = referrals.filter(opening__division=rng.division)
    return ReferralEvent.objects.filter(
        to_status=S.HIRED, at__gte=rng.since, at__lt=rng.until, referral__in=referrals.values("pk")
    )


def medians_table(viewer, rng: Range) -> Table:
    """Median days from submission to the first response and to the hire, per division of the
    opening, for referrals made in the range. One query.

    The first response is the first change of status away from `submitted` made by someone other
    than the referrer (a referrer withdrawing is no response); the HR system's changes count.
    A median over fewer than 5 referrals is not shown.
    """
    events = ReferralEvent.objects.filter(referral=OuterRef("pk")).order_by("at", "pk").values("at")
    hire = events.filter(to_status=S.HIRED)[:1]
    rows_db = (
        _referrals(viewer, rng)
        .annotate(first_at=first_response_at(), hired_at=Subquery(hire))
        .values_list(Coalesce("opening__division__name", Value("None")), "created_at", "first_at", "hired_at")
        .order_by()
    )
    spans = defaultdict(lambda: ([], []))
    for division, created, first_at, hired_at in rows_db:
        if first_at is not None:
            spans[division][0].append((first_at - created).total_seconds() / 86400)
        if hired_at is not None:
            spans[division][1].append((hired_at - created).total_seconds() / 86400)
    rows = []
    for division in sorted(spans):
        to_first, to_hire = spans[division]
        rows.append(
            {
                "division": division,
                "responded": cell(len(to_first)),
                "to_first_response": _median(to_first),
                "hired": cell(len(to_hire)),
                "to_hire": _median(to_hire),
            }
        )
    return Table(
        "medians",
        "Days to first response and to hire",
        "Median days from a referral's submission to its first response and to the hire, per division.",
        [
            Column("division", "Division"),
            Column("responded", "Responded"),
            Column("to_first_response", "Median days to first response", " days"),
            Column("hired", "Hired"),
            Column("to_hire", "Median days to hire", " days"),
        ],
        rows,
    )


def _median(values: list[float]) -> float | None:
    if len(values) < MIN_GROUP:
        return None
    return round(statistics.median(values), 1)


def hidden_hires_tables(viewer, rng: Range) -> list[Table]:
    """Hires in the range from hidden (network, extended) openings, by the opening's division and
    location and by the hired person's tenure band (external candidates apart). Three queries."""
    hires = _hire_events(viewer, rng).filter(referral__opening__visibility__in=HIDDEN)

    def by(expression):
        rows = hires.annotate(group=expression).values_list("group").annotate(n=Count("referral_id", distinct=True))
        return dict(rows.order_by())

    division = by(Coalesce("referral__opening__division__name", Value("None")))
    location = by(Coalesce("referral__opening__location__name", Value("None")))
    band = tenure_case("referral__candidate_employee__date_joined", rng.end)
    external = Q(referral__candidate_employee__isnull=True)
    tenure = by(Case(When(external, then=Value(EXTERNAL)), default=band, output_field=CharField()))
    labels = {b.key: b.label for b in TENURE_BANDS} | {EXTERNAL: "External candidate"}
    tenure_rows = [(labels[key], tenure.get(key, 0)) for key in [*labels]]
    out = []
    for key, title, pairs in (
        ("hidden_hires_division", "Division", sorted(division.items())),
        ("hidden_hires_location", "Location", sorted(location.items())),
        ("hidden_hires_tenure", "Tenure", tenure_rows),
    ):
        out.append(
            Table(
                key,
                f"Hires from hidden openings by {title.lower()}",
                f"Referred candidates hired in the range into network or extended openings, by {title.lower()}"
                + (" of the hired employee (at the range's end)." if title == "Tenure" else " of the opening."),
                [Column("group", title), Column("hires", "Hires")],
                [{"group": name, "hires": cell(n)} for name, n in pairs],
            )
        )
    return out


# --- Reach, from the snapshots ---------------------------------------------------------------


def latest_snapshot(rng: Range) -> ReachSnapshot | None:
    return ReachSnapshot.objects.filter(day__lte=rng.end).order_by("-day").first()


DIMENSION_TITLES = {"division": "Division", "location": "Location", "tenure": "Tenure"}


def reach_tables(rng: Range) -> dict:
    """Reach now (the last snapshot up to the range's end) by division, location and tenure
    against headcount; reach over the range, company-wide and by group; four queries."""
    snapshot = latest_snapshot(rng)
    tables = {}
    cells = list(snapshot.cells.all()) if snapshot else []
    order = {b.key: i for i, b in enumerate(TENURE_BANDS)}
    for dim, title in DIMENSION_TITLES.items():
        rows = []
        mine = [c for c in cells if c.dimension == dim]
        mine.sort(key=lambda c: (order.get(c.key, 0), c.label) if dim == "tenure" else (c.label, c.key))
        for c in mine:
            head = cell(c.employees)
            reached = cell(c.reached, of=c.employees)
            unreached = cell(c.unreached_90d, of=c.employees)
            rows.append(
                {
                    "group": c.label,
                    "code": c.key,
                    "employees": head,
                    "reached": reached,
                    "reached_share": _pct(reached, head),
                    "headcount_share": share(head, snapshot.employees),
                    "audience_share": share(reached, snapshot.reached),
                    "unreached_90d": unreached,
                }
            )
        tables[f"reach_{dim}"] = Table(
            f"reach_{dim}",
            f"Reach by {title.lower()}",
            f"Active employees who could see at least one open hidden opening on {snapshot.day if snapshot else '—'}, "
            f"by {title.lower()}: each group's share of the company against its share of the people reached, and "
            "those reached by no hidden opening in the last 90 days.",
            [
                Column("group", title),
                Column("employees", "Employees"),
                Column("reached", "Reached"),
                Column("reached_share", "Share of the group reached", "%"),
                Column("headcount_share", "Share of the company", "%"),
                Column("audience_share", "Share of those reached", "%"),
                Column("unreached_90d", "Not reached in 90 days"),
            ],
            rows,
        )
    tables.update(_trend_tables(rng))
    return {"snapshot": snapshot, "tables": tables}


def _sample(items: list, at_most: int) -> list:
    if len(items) <= at_most:
        return items
    step = (len(items) - 1) / (at_most - 1)
    return [items[round(i * step)] for i in range(at_most)]


def _trend_tables(rng: Range) -> dict:
    days = list(
        ReachSnapshot.objects.filter(day__gte=rng.start, day__lte=rng.end)
        .order_by("day")
        .values_list("pk", "day", "employees", "reached", "unreached_90d")
    )
    points = _sample(days, TREND_POINTS)
    trend_rows = []
    for _pk, day, employees, reached, unreached in points:
        reached_cell = cell(reached, of=employees)
        trend_rows.append(
            {
                "day": day,
                "employees": cell(employees),
                "reached": reached_cell,
                "reached_share": _pct(reached_cell, cell(employees)),
                "unreached_90d": cell(unreached, of=employees),
            }
        )
    tables = {
        "reach_trend": Table(
            "reach_trend",
            "Reach over time",
            "Share of active employees who could see at least one open hidden opening, per snapshot day.",
            [
                Column("day", "Day"),
                Column("employees", "Employees"),
                Column("reached", "Reached"),
                Column("reached_share", "Share reached", "%"),
                Column("unreached_90d", "Not reached in 90 days"),
            ],
            trend_rows,
        )
    }
    columns = _sample(days, TREND_COLUMNS)
    by_group = defaultdict(dict)
    labels = {}
    order = {b.key: i for i, b in enumerate(TENURE_BANDS)}
    for c in ReachCell.objects.filter(snapshot_id__in=[p[0] for p in columns]):
        reached = cell(c.reached, of=c.employees)
        by_group[(c.dimension, c.key)][c.snapshot_id] = _pct(reached, cell(c.employees))
        labels[(c.dimension, c.key)] = c.label
    for dim, title in DIMENSION_TITLES.items():
        keys = sorted(
            (k for k in by_group if k[0] == dim),
            key=lambda k: (order.get(k[1], 0), labels[k]) if dim == "tenure" else (labels[k], k[1]),
        )
        tables[f"reach_trend_{dim}"] = Table(
            f"reach_trend_{dim}",
            f"Reach over time by {title.lower()}",
            f"Share of each {title.lower()} reached by at least one open hidden opening, on days across the range.",
            [Column("group", title)]
            + [Column(f"d{day.isoformat()}", day.isoformat(), "%") for _pk, day, *_r in columns],
            [
                {"group": labels[k]} | {f"d{day.isoformat()}": by_group[k].get(pk) for pk, day, *_r in columns}
                for k in keys
            ],
        )
    return tables


def referral_tables(viewer, rng: Range) -> dict:
    tables = [funnel_table(viewer, rng), monthly_table(viewer, rng), medians_table(viewer, rng)]
    tables += hidden_hires_tables(viewer, rng)
    return {t.key: t for t in tables}
