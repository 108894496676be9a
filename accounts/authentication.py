from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .principals import ServicePrincipal
from .roles import is_employee

# Writing last_used_at on every request would turn each read into a write; a minute is precise
# enough to tell whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def authenticate_token(plain):
    """Return (principal, token) for a usable token, or None.

    Usable means: known hash, not revoked, and its owner still active (an employee who left, or a
    disabled service account, loses API access on the next request).
    """
    if not plain or not plain.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.usable()
        .select_related("user", "service_account")
        .filter(key_hash=ApiToken.hash_key(plain))
        .first()
    )
    if token is None:
        return None
    if token.user_id is not None:
        if not is_employee(token.user):
            return None
        principal = token.user
    else:
        if not token.service_account.is_active:
            return None
        principal = ServicePrincipal(token.service_account, token)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return principal, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. A bad, revoked or orphaned token is a 401, never a fallback."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        result = authenticate_token(parts[1])
        if result is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        return result

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
