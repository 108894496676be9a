from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .roles import is_hr

# (url name, label, who sees it). Sections whose urls are not installed yet are skipped.
NAVIGATION = [
    ("dashboard", "Home", "employee"),
    ("openings:list", "Openings", "employee"),
    ("network:home", "Network", "employee"),
    ("network:people", "People", "employee"),
    ("events:list", "Events", "employee"),
    ("referrals:list", "Referrals", "employee"),
    ("hr:dashboard", "HR", "hr"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        # The sign-in page offers sign-up only when ALLOWED_SIGNUP_DOMAINS opens it.
        return {"nav_items": [], "site_url": settings.SITE_URL, "signup_open": bool(settings.ALLOWED_SIGNUP_DOMAINS)}
    user_is_hr = is_hr(user)
    counts = navigation_counts(user, user_is_hr=user_is_hr)
    items = []
    path = request.path
    for name, label, audience in NAVIGATION:
        if audience == "hr" and not user_is_hr:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        count, count_label = counts.get(name, (0, ""))
        items.append({"url": url, "label": label, "active": active, "count": count, "count_label": count_label})
    waiting = sum(n for n, _label in counts.values())
    return {"nav_items": items, "nav_waiting": waiting, "user_is_hr": user_is_hr, "site_url": settings.SITE_URL}


def navigation_counts(user, *, user_is_hr):
    """What waits for `user`, by navigation entry: {url name: (count, label for screen readers)}.

    Connection requests to them, referrals to their openings waiting for their decision and, for
    HR, referrals waiting too long (escalated to HR, as /hr/ lists them). One query each, whatever the data; the rules are the selectors'.
    """
    from referrals.reminders import referrals_escalated
    from referrals.selectors import referrals_waiting_for

    from .network.selectors import incoming_requests

    counts = {
        "network:home": (incoming_requests(user).count(), "connection requests waiting for you"),
        "referrals:list": (referrals_waiting_for(user).count(), "referrals waiting for your decision"),
    }
    if user_is_hr:
        counts["hr:dashboard"] = (referrals_escalated(user, limit=None).count(), "referrals waiting too long")
    return counts
