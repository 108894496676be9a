"""Response times: reminders to posters, escalations to HR, and what the referrer is told.

The rules (issue 20):

- a referral still `submitted` REFERRAL_RESPONSE_DAYS working days after it was made reminds its
  poster once (`response_reminder`); after REFERRAL_ESCALATION_DAYS working days HR is told
  (`response_escalation`) and it shows on /hr/ under "Waiting too long";
- any other active status (in review, interviewing, offered) untouched for REFERRAL_STALE_DAYS
  calendar days does both at once (`stale_reminder`, `stale_escalation`);
- reminders respect the poster's notification settings (checked when the email is built);
  escalations to HR always go, to every active member of the HR group.

Exactly once per referral, status and kind: `reminders_send` writes a ReferralReminder marker and
its email in the outbox in one transaction, and the marker's unique constraint refuses a second
one. A second run, a run racing this one, or the run after one that was killed halfway therefore
queues only what is missing; the outbox (background/emails.py) sends each email once under its
lease. Working days skip Saturdays, Sundays and the public holidays of the poster's location
(`Location.country`, through the `holidays` package).
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from statistics import median

import holidays
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from background.emails import email_queue

from .models import Referral, ReferralReminder

S = Referral.Status
K = ReferralReminder.Kind
STALE_STATUSES = (S.IN_REVIEW, S.INTERVIEWING, S.OFFERED)


# --- Working days ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of `country` (ISO 3166 code, the `holidays` package) in `year`; none for
    no country or one the package does not know."""
    if not country:
        return frozenset()
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


def is_working_day(day: date, country: str = "") -> bool:
    """Monday to Friday, except the public holidays of `country` (the poster's location's)."""
    return day.weekday() < 5 and day not in public_holidays(country, day.year)


def add_working_days(start: date, days: int, country: str = "") -> date:
    """The date `days` working days after `start` (a referral made on a Friday with 5 days is due
    the next Friday, later if a public holiday falls in between)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current, country):
            added += 1
    return current


def working_days_between(start: date, end: date, country: str = "") -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    whole_weeks, rest = divmod((end - start).days, 7)
    count = whole_weeks * 5
    day = start + timedelta(days=whole_weeks * 7)
    for _ in range(rest):
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    if country:
        for year in range(start.year, end.year + 1):
            count -= sum(1 for h in public_holidays(country, year) if start < h <= end and h.weekday() < 5)
    return count


def poster_country(referral) -> str:
    """Whose calendar counts: the poster's location's country (loaded with the referral)."""
    location = referral.opening.posted_by.location
    return location.country if location is not None else ""


# --- What is due ---------------------------------------------------------------------------------


def due_kinds(referral, *, today: date) -> list[str]:
    """The reminders and escalations `referral` has earned by `today`, whatever was already sent.

    Submitted: counted in working days since it was made. Other active statuses: calendar days since
    the status last changed. Ended referrals earn none.
    """
    if referral.status == S.SUBMITTED:
        waited = working_days_between(timezone.localdate(referral.created_at), today, poster_country(referral))
        kinds = []
        if waited >= settings.REFERRAL_RESPONSE_DAYS:
            kinds.append(K.RESPONSE_REMINDER)
        if waited >= settings.REFERRAL_ESCALATION_DAYS:
            kinds.append(K.RESPONSE_ESCALATION)
        return kinds
    if referral.status in STALE_STATUSES:
        untouched = (today - timezone.localdate(referral.status_changed_at)).days
        if untouched >= settings.REFERRAL_STALE_DAYS:
            return [K.STALE_REMINDER, K.STALE_ESCALATION]
    return []


def _candidates(now: datetime):
    """Active referrals old enough to owe something. Working days are never fewer than calendar
    days, so the calendar cut-off lets the database drop the young ones first."""
    first = min(settings.REFERRAL_RESPONSE_DAYS, settings.REFERRAL_ESCALATION_DAYS)
    submitted = Referral.objects.filter(status=S.SUBMITTED, created_at__lte=now - timedelta(days=first))
    stale = Referral.objects.filter(
        status__in=STALE_STATUSES, status_changed_at__lte=now - timedelta(days=settings.REFERRAL_STALE_DAYS)
    )
    return (
        (submitted | stale)
        .filter(personal_data_erased_at__isnull=True)
        .select_related("opening__posted_by__location")
        .order_by("pk")
    )


def reminders_send(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """The daily run: queue every reminder and escalation that is due and not yet queued.

    Each (referral, status, kind) is queued at most once, ever: its marker and its email commit
    together, and the unique constraint refuses the second marker. Returns counts per kind.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = {kind: 0 for kind in K.values}
    done = set(
        ReferralReminder.objects.filter(
            referral__status=F("status"), referral__in=_candidates(now).values("pk")
        ).values_list("referral_id", "status", "kind")
    )
    for referral in _candidates(now).iterator(batch):
        for kind in due_kinds(referral, today=today):
            if (referral.pk, referral.status, kind) in done:
                continue
            if _queue_once(referral, kind, now):
                sent[kind] += 1
    return sent


def _queue_once(referral, kind, now):
    """Write the marker and its email in one transaction; False if another run already did."""
    try:
        with transaction.atomic():
            # Still in that status now (it may have moved since the list was read).
            if not Referral.objects.filter(pk=referral.pk, status=referral.status).exists():
                return False
            marker = ReferralReminder.objects.create(
                referral=referral, status=referral.status, kind=kind, created_at=now
            )
            email_queue("referral_reminder", marker.pk)
    except IntegrityError:
        return False
    return True


# --- Reads ---------------------------------------------------------------------------------------


def waiting_info(referral, *, now: datetime | None = None) -> dict | None:
    """What the referrer reads on an active referral: who it waits for ("Waiting for Priya
    Natarajan for 6 days": the opening's poster, who moves it on), since when (calendar days in
    the current status), and when to expect an answer (the response or stale date; once passed,
    HR has been told). None for an ended referral. No query when the poster is loaded."""
    if not referral.is_active:
        return None
    today = timezone.localdate(now or timezone.now())
    since = timezone.localdate(referral.status_changed_at)
    poster = referral.opening.posted_by
    if referral.status == S.SUBMITTED:
        made, country = timezone.localdate(referral.created_at), poster_country(referral)
        expect_by = add_working_days(made, settings.REFERRAL_RESPONSE_DAYS, country)
        escalate_on = add_working_days(made, settings.REFERRAL_ESCALATION_DAYS, country)
    else:
        expect_by = escalate_on = since + timedelta(days=settings.REFERRAL_STALE_DAYS)
    return {
        "who": poster.full_name or poster.email,
        "days": (today - since).days,
        "expect_by": expect_by,
        "overdue": today > expect_by,
        "escalated": today >= escalate_on,
    }


def attach_waiting(referrals, *, now=None):
    for referral in referrals:
        referral.waiting = waiting_info(referral, now=now)
    return referrals


def referrals_escalated(user, *, limit: int | None = 20):
    """For HR (/hr/, "Waiting too long", and the count beside HR in the header): referrals escalated
    to HR and still in the status they were escalated in, longest wait first. Nobody else gets any.
    `limit=None` gives the whole queryset (for counting)."""
    from .selectors import referrals_visible_to, viewer_sees_all_referrals, with_details

    if not viewer_sees_all_referrals(user):
        return Referral.objects.none()
    escalated = ReferralReminder.objects.filter(
        referral=OuterRef("pk"), status=OuterRef("status"), kind__in=ReferralReminder.ESCALATIONS
    )
    # EXISTS lets the database start from the few escalation markers (a semi-join) instead of
    # asking a subquery of every active referral: the header counts these on every HR page.
    waiting = referrals_visible_to(user).filter(Exists(escalated), status__in=Referral.ACTIVE_STATUSES)
    if limit is None:
        return waiting
    waiting = waiting.annotate(escalated_at=Subquery(escalated.order_by("created_at").values("created_at")[:1]))
    return with_details(waiting).order_by("status_changed_at", "id")[:limit]


def first_response_medians(user, *, now=None, days=365):
    """For HR (/hr/): the median time to first response, in days, per poster and per division, over
    referrals made in the last `days`. The first response is the first status change away from
    `submitted` by someone other than the referrer (an HR system's change counts). Two queries
    whatever the size: the rows come as (poster, division, made, answered) and the medians are taken
    here (SQLite has no percentile function)."""
    from .selectors import first_response_at, referrals_visible_to, viewer_sees_all_referrals

    if not viewer_sees_all_referrals(user):
        return {"by_poster": [], "by_division": []}
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        referrals_visible_to(user)
        .filter(created_at__gte=since)
        .annotate(answered_at=first_response_at())
        .filter(answered_at__isnull=False)
        .values_list(
            "opening__posted_by_id",
            "opening__posted_by__full_name",
            "opening__division__name",
            "created_at",
            "answered_at",
        )
    )
    posters, divisions = {}, {}
    for poster_id, poster_name, division, made, answered in rows:
        waited = max((answered - made).total_seconds() / 86400, 0)
        posters.setdefault((poster_id, poster_name), []).append(waited)
        divisions.setdefault(division or "—", []).append(waited)

    def table(groups, label, name=lambda key: key):
        result = [{label: name(key), "median_days": round(median(v), 1), "n": len(v)} for key, v in groups.items()]
        return sorted(result, key=lambda r: (-r["median_days"], str(r[label])))

    return {
        "by_poster": table(posters, "poster", name=lambda key: key[1])[:20],
        "by_division": table(divisions, "division")[:20],
    }


def hr_response_overview(user, *, now=None):
    """What /hr/ adds for response times (its own template, hr/_response_times.html): the
    referrals escalated and still waiting, and the median time to first response. Three queries."""
    return {
        "waiting_too_long": list(referrals_escalated(user)),
        "first_response": first_response_medians(user, now=now),
    }
