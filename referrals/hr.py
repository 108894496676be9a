"""The HR dashboard at /hr/: oversight of openings, referrals and the digest in one page.

Every number comes from the same selectors as the rest of the product (`visible_to` for openings,
`referrals_visible_to` for referrals), asked as the HR viewer, so the page cannot show more than
HR may see. A fixed number of aggregate queries, whatever the company's size.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Connection, User
from analytics.views import hr_analytics
from openings.digest import week_of
from openings.models import DigestDelivery, Opening
from openings.visibility import viewer_is_hr

from .models import Referral
from .selectors import referrals_visible_to, viewer_sees_all_referrals

STALE_AFTER = timedelta(days=30)
# Connections an event made: those that name it (`met_at`), made within this long after its end.
EVENT_EFFECT_WINDOW = timedelta(days=30)
EVENTS_SHOWN = 10


def events_by_cross_connections(*, limit=EVENTS_SHOWN):
    """Events by the connections they created across divisions and locations: the rows of the
    table on /hr/, most first, as dicts {met_at_id, met_at__title, met_at__starts_at, n}.

    A connection counts for an event when it names the event (`met_at`: the request was sent from
    the event, so the meeting is on record rather than guessed from co-attendance), it was made
    from the event's start until 30 days after its end, and its two people differ in division or
    in location. Each pair counts once; a leaver's connections do not count. One query.
    """
    return list(
        Connection.objects.active()
        .filter(
            met_at__isnull=False,
            from_user_id__lt=F("to_user_id"),
            created_at__gte=F("met_at__starts_at"),
            created_at__lte=F("met_at__ends_at") + EVENT_EFFECT_WINDOW,
        )
        .filter(
            ~Q(from_user__division_id=F("to_user__division_id")) | ~Q(from_user__location_id=F("to_user__location_id"))
        )
        .values("met_at_id", "met_at__title", "met_at__starts_at")
        .annotate(n=Count("id"))
        .order_by("-n", "-met_at__starts_at", "met_at_id")[:limit]
    )


def hr_overview(user, *, now=None):
    """The figures of the HR dashboard, for an HR viewer."""
    now = now or timezone.now()
    openings = Opening.objects.visible_to(user)
    referrals = referrals_visible_to(user)
    by_status = dict(openings.values_list("status").annotate(n=Count("id")).order_by())
    by_visibility = dict(openings.open().values_list("visibility").annotate(n=Count("id")).order_by())
    funnel = dict(referrals.values_list("status").annotate(n=Count("id")).order_by())
    year_ago = now - timedelta(days=365)
    top_referrers = list(
        referrals.filter(created_at__gte=year_ago, is_self_referral=False)
        .values("referrer_id", "referrer__full_name", "referrer__division__name")
        .annotate(n=Count("id"), hired=Count("id", filter=Q(status=Referral.Status.HIRED)))
        .order_by("-n", "referrer__full_name")[:10]
    )
    # Open for a month without a single referral: the roles word of mouth is not reaching.
    quiet = list(
        openings.open()
        .filter(opened_at__lte=now - STALE_AFTER)
        .annotate(referral_count=Count("referrals"))
        .filter(referral_count=0)
        .select_related("posted_by", "division")
        .order_by("opened_at")[:10]
    )
    by_division = list(
        referrals.values("opening__division__name")
        .annotate(n=Count("id"), active=Count("id", filter=Q(status__in=Referral.ACTIVE_STATUSES)))
        .order_by("-n")[:10]
    )
    week = week_of(now)
    digest = dict(DigestDelivery.objects.filter(week=week).values_list("status").annotate(n=Count("id")).order_by())
    return {
        "employees": User.objects.active().count(),
        "connections": Connection.objects.active().count() // 2,
        "openings_by_status": [(label, by_status.get(value, 0)) for value, label in Opening.Status.choices],
        "open_by_visibility": [(label, by_visibility.get(value, 0)) for value, label in Opening.Visibility.choices],
        "funnel": [(value, label, funnel.get(value, 0)) for value, label in Referral.Status.choices],
        "active_referrals": sum(funnel.get(s, 0) for s in Referral.ACTIVE_STATUSES),
        "hires": funnel.get(Referral.Status.HIRED, 0),
        "top_referrers": top_referrers,
        "quiet_openings": quiet,
        "by_division": by_division,
        "digest_week": week,
        "digest": digest,
        "events_by_connections": events_by_cross_connections(),
    }


@login_required
def dashboard(request):
    if not (viewer_is_hr(request.user) and viewer_sees_all_referrals(request.user)):
        raise PermissionDenied
    from .reminders import hr_response_overview

    # Response times (issue 20) and the analytics (issue 19) come from their own selectors and
    # templates (hr/_response_times.html, analytics/_hr_analytics.html).
    analytics = hr_analytics(request)
    context = hr_overview(request.user) | hr_response_overview(request.user) | analytics
    return render(request, "hr/dashboard.html", context, status=analytics["analytics"]["status"])
