"""Throttling for the API: each token (or signed-in employee) gets API_RATE_PER_MINUTE requests."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiToken
from accounts.roles import is_employee
from background.ratelimit import rate_hit


class ApiRateThrottle(BaseThrottle):
    """A per-caller budget per calendar minute, read from settings at every request.

    Keyed by token id for a Bearer token (two tokens of one system have two budgets, and revoking
    a noisy one does not starve the other), by employee for the portal session, and by address for
    the rest. The count is exact across processes (background/ratelimit.py): Redis when REDIS_URL
    is set, else an atomic update in the database. Past the budget: 429 with `Retry-After`.
    """

    def ident_of(self, request):
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            return f"token:{token.pk}"
        if is_employee(request.user):
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view):
        allowed, self.retry_after = rate_hit(
            f"api:{self.ident_of(request)}", limit=settings.API_RATE_PER_MINUTE, seconds=60
        )
        return allowed

    def wait(self):
        return self.retry_after
