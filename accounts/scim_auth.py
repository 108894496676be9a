"""Who may use SCIM, and the transaction and audit row around each SCIM write.

Kept apart from accounts.scim because django-scim2 imports this class (its AUTH_CHECK_MIDDLEWARE
setting) while its own views module is loading, before accounts.scim could be imported.
"""

import json
import uuid

from django.db import transaction
from django.http import HttpResponse
from django_scim import constants
from django_scim import exceptions as scim_errors

from integrations import audit

from .authentication import authenticate_token
from .roles import can_provision_scim

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def scim_error(status, detail, scim_type=None):
    """The SCIM error body (RFC 7644 section 3.12) as a response."""
    error = scim_errors.SCIMException(detail, status=status, scim_type=scim_type)
    return HttpResponse(json.dumps(error.to_dict()), status=status, content_type=constants.SCIM_CONTENT_TYPE)


class ScimAuthCheck:
    """django-scim2's AUTH_CHECK_MIDDLEWARE, wrapped around each SCIM view's dispatch.

    `Authorization: Bearer <token>` of a usable service token with scope `scim`: otherwise 401 (no
    or bad token) or 403 (any other token, an hr one included), in SCIM's error format. A write
    runs in one transaction with its audit row; an error answer rolls it back, so nothing is
    written (django-scim2 turns the adapters' exceptions into error answers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request, *args, **kwargs):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return self._unauthorized("A bearer token is required: Authorization: Bearer <token>.")
        result = authenticate_token(parts[1])
        if result is None:
            return self._unauthorized("Invalid, revoked or expired token.")
        principal, token = result
        if not can_provision_scim(principal):
            return scim_error(403, "This token may not use SCIM: issue one with --scope scim.")
        request.user, request.auth = principal, token
        if request.method not in WRITE_METHODS:
            return self.get_response(request, *args, **kwargs)
        request.request_id = getattr(request, "request_id", "") or uuid.uuid4().hex
        body = request.body
        with transaction.atomic():
            response = self.get_response(request, *args, **kwargs)
            if response.status_code >= 300:
                transaction.set_rollback(True)
            else:
                audit.audit_record(request=request, response=response, body=body)
        return response

    @staticmethod
    def _unauthorized(detail):
        response = scim_error(401, detail)
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
        return response
