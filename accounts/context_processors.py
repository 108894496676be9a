from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .roles import is_hr

# (url name, label, who sees it). Sections whose urls are not installed yet are skipped.
NAVIGATION = [
    ("dashboard", "Home", "employee"),
    ("openings:list", "Openings", "employee"),
    ("network:home", "Network", "employee"),
    ("network:people", "People", "employee"),
    ("referrals:list", "Referrals", "employee"),
    ("hr:dashboard", "HR", "hr"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        # The sign-in page offers sign-up only when ALLOWED_SIGNUP_DOMAINS opens it.
        return {"nav_items": [], "site_url": settings.SITE_URL, "signup_open": bool(settings.ALLOWED_SIGNUP_DOMAINS)}
    user_is_hr = is_hr(user)
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
        items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items, "user_is_hr": user_is_hr, "site_url": settings.SITE_URL}
