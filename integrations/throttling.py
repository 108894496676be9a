"""Throttling for the API: each token (or signed-in employee) gets API_RATE_PER_MINUTE requests."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    """A per-caller budget, read from settings at every request (so it can be tuned per environment).

    Keyed by token id for a Bearer token (two tokens of one system have two budgets, and revoking
    a noisy one does not starve the other), by employee for the portal session, and by address for
    the rest. Past the budget: 429 with `Retry-After`, in the API's error shape.
    """

    scope = "api"

    def get_rate(self):
        return f"{settings.API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated and request.user.pk is not None:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
