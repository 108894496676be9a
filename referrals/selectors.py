"""Reads on referrals. `referrals_visible_to` is the one place that says who sees a referral.

Portal pages, the API, the dashboard and the opening page all start from it and never restate it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from accounts.models import User
from accounts.roles import has_scope, is_employee
from config.http import get_or_404

from .models import Referral, ReferralEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from accounts.principals import ServicePrincipal
    from openings.models import Opening

    # Whoever asks: an employee, a service token's principal, or nobody signed in.
    Viewer = User | ServicePrincipal | AnonymousUser | None

VIEW_ALL_PERMISSION = "referrals.view_all_referrals"


def viewer_sees_all_referrals(user: Viewer) -> bool:
    """HR: the HR group, or a service token whose scope grants `referrals.view_all_referrals`."""
    return has_scope(user, VIEW_ALL_PERMISSION)


def referrals_visible_to(user: Viewer) -> QuerySet[Referral]:
    """The referrals `user` may see, with their candidate's personal data.

    The rule (issue 6): a referral is seen by its referrer, by the poster of its opening, and by HR
    (`referrals.view_all_referrals`); by nobody else, through any channel. Anonymous and deactivated
    callers, and service tokens without that permission, see none. Whoever else asks gets a 404,
    exactly as for an id that does not exist.
    """
    if viewer_sees_all_referrals(user):
        return Referral.objects.all()
    if not is_employee(user):
        return Referral.objects.none()
    return Referral.objects.filter(Q(referrer_id=user.pk) | Q(opening__posted_by_id=user.pk))


def get_visible_referral_or_404(user: Viewer, pk: object, queryset: QuerySet[Referral] | None = None) -> Referral:
    """The referral if `user` may see it (`queryset` already scoped to them, or the rule's own);
    otherwise Http404, exactly as for an id that does not exist."""
    qs = queryset if queryset is not None else referrals_visible_to(user)
    return get_or_404(qs, pk, "No referral matches the given query.")


def with_details(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """What every page and the API show with a referral, loaded in a fixed number of queries."""
    return queryset.select_related(
        "opening",
        "opening__division",
        "opening__location",
        "opening__posted_by",
        "opening__posted_by__location",  # whose public holidays count (referrals.reminders)
        "referrer",
        "candidate_employee",
        "bonus",  # shown only to those who may see it (referrals.bonuses.attach_bonuses)
    )


def with_history(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    return with_details(queryset).prefetch_related(
        Prefetch("events", queryset=ReferralEvent.objects.select_related("by").order_by("at", "id"))
    )


def with_opening_sight(user: Viewer, referrals: Iterable[Referral]) -> list[Referral]:
    """Mark each referral with what `user` may know of its opening, in one query for the lot.

    `opening_visible`: whether `user` may see the opening (openings/visibility.py), so a page links
    to it; `opening_shown_title`: its title for those who may see it, otherwise the title as it was
    when the referral was made (an excluded referrer keeps their referral, not the opening).
    """
    from openings.models import Opening

    referrals = list(referrals)
    ids = {r.opening_id for r in referrals}
    visible = set(Opening.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for referral in referrals:
        referral.opening_visible = referral.opening_id in visible
        referral.opening_shown_title = (
            referral.opening.title if referral.opening_visible else (referral.opening_title or "an opening")
        )
    return referrals


def referrals_made_by(user: Viewer) -> QuerySet[Referral]:
    """The referrals `user` made (their own "I'm interested" included), newest first."""
    return with_history(referrals_visible_to(user).filter(referrer_id=user.pk)).order_by("-created_at", "-id")


def referrals_to_openings_of(user: Viewer) -> QuerySet[Referral]:
    """Referrals to the openings `user` posted: their pipeline, grouped by opening then stage."""
    return with_history(referrals_visible_to(user).filter(opening__posted_by_id=user.pk)).order_by(
        "-opening__created_at", "opening_id", "created_at", "id"
    )


def referral_summary(user: Viewer) -> list[tuple[str, str, int]]:
    """How many of `user`'s referrals are in each status (the dashboard panel)."""
    rows = referrals_visible_to(user).filter(referrer_id=user.pk).values("status").annotate(n=Count("id")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    return [(value, label, counts[value]) for value, label in Referral.Status.choices if counts.get(value)]


def referral_counts_for_opening(user: Viewer, opening: Opening) -> dict[str, int | bool]:
    """On an opening page: how many referrals to it `user` may see (theirs; all for poster and HR).

    Also `referred`: the people `user` referred themselves (not their own interest), and `applied`:
    whether `user` put themselves forward and is still being considered (then "I'm interested" is
    not offered again, as referral_express_interest would refuse it).
    """
    qs = referrals_visible_to(user).filter(opening_id=opening.pk)
    mine = Q(referrer_id=user.pk)
    counts = qs.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status__in=Referral.ACTIVE_STATUSES)),
        referred=Count("id", filter=mine & Q(is_self_referral=False)),
        applied=Count("id", filter=mine & Q(is_self_referral=True, status__in=Referral.ACTIVE_STATUSES)),
    )
    counts["applied"] = bool(counts["applied"])
    return counts


def my_marks(user: Viewer, opening_ids: Iterable[int]) -> dict[int, str]:
    """On the openings list: which of `opening_ids` `user` referred someone to or applied for.

    {opening_id: "applied" | "referred"} ("applied" wins: it is about them). One query.
    """
    marks: dict[int, str] = {}
    if not opening_ids:
        return marks
    rows = referrals_visible_to(user).filter(referrer_id=user.pk, opening_id__in=list(opening_ids))
    for opening_id, is_self in rows.values_list("opening_id", "is_self_referral"):
        if is_self or opening_id not in marks:
            marks[opening_id] = "applied" if is_self else "referred"
    return marks


# Stages in which the poster's decision is what moves a referral on (review it, invite to interview
# or decline); from interviewing on, the pipeline waits for interviews and offers.
WAITING_FOR_POSTER = (Referral.Status.SUBMITTED, Referral.Status.IN_REVIEW)


def referrals_waiting_for(user: Viewer) -> QuerySet[Referral]:
    """Referrals to openings `user` posted that wait for their decision: submitted or in review,
    oldest first (the longest wait comes first)."""
    return with_details(
        referrals_visible_to(user).filter(opening__posted_by_id=user.pk, status__in=WAITING_FOR_POSTER)
    ).order_by("status_changed_at", "id")


def active_pipeline_count(user: Viewer) -> int:
    """How many referrals to `user`'s openings are still in the pipeline (any active stage)."""
    return referrals_visible_to(user).filter(opening__posted_by_id=user.pk, status__in=Referral.ACTIVE_STATUSES).count()


def referral_updates_for(referrer_ids: Iterable[int], *, after: datetime, until: datetime) -> QuerySet[Referral]:
    """Referrals made by `referrer_ids` whose status changed in (after, until], newest change first.

    The digest's "updates on your referrals": a referrer always follows their own referrals, so no
    visibility filter applies. The opening comes in the same query.
    """
    return (
        Referral.objects.filter(referrer_id__in=referrer_ids, status_changed_at__gt=after, status_changed_at__lte=until)
        .select_related("opening")
        .order_by("-status_changed_at")
    )


def first_response_at() -> Subquery:
    """When a referral (the outer row) first got an answer: the first change of status away from
    `submitted` made by someone other than its referrer (a referrer withdrawing is no answer; an HR
    system's change counts). None while nobody has answered. /hr/'s response times and the
    analytics' medians both read it."""
    answers = ReferralEvent.objects.filter(referral=OuterRef("pk"), from_status=Referral.Status.SUBMITTED)
    return Subquery(answers.exclude(by_id=OuterRef("referrer_id")).order_by("at", "pk").values("at")[:1])
