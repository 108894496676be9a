"""Idempotency keys: a retried POST, PUT or PATCH does its work once.

The rule. A request that carries `Idempotency-Key` is identified by its caller (the employee, or
the service account behind a service token) and the key. The first such request runs and, if it
succeeds (2xx), its status and body are kept for IDEMPOTENCY_KEY_TTL_HOURS (24 by default). Within
that time, the same key from the same caller
  - with the same method, path and body (JSON compared canonically): gets the kept answer back,
    marked `Idempotent-Replayed: true`, and nothing runs again;
  - with anything else: is refused with 422 and nothing is written.
An answer that was not a success is not kept, so a corrected request may reuse the key.
A replay is given only to a caller who may still make the request and still read what the answer
is about (`replay_refusal`): losing access (removed from HR, a revoked scope) also loses the replay.

The record is inserted before the work, in the same transaction (see middleware.py): a second
request with the same key waits on the unique (principal, key) index until the first commits, then
replays its answer. Two concurrent requests can therefore never both run.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.authentication import authenticate_token
from accounts.roles import can_act, is_service
from config.parsers import loads_or_none

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PUT", "PATCH"})
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as for any header token

NEW, REPLAY, MISMATCH, IN_PROGRESS = "new", "replay", "mismatch", "in_progress"


def key_problem(key):
    """Why `key` is not a usable Idempotency-Key, or None."""
    if not _KEY.match(key or ""):
        return "Use 1 to 255 visible ASCII characters (a UUID is a good key)."
    return None


def ttl():
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def request_principal(request):
    """Whom a key belongs to: "user:<id>" or "service:<id>", resolved as the API will resolve it
    (a Bearer token first, then the portal session). None for a caller who is not signed in; their
    request goes on without idempotency and is refused by the API's authentication."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if parts and parts[0].lower() == "bearer":
        result = authenticate_token(parts[1]) if len(parts) == 2 else None
        if result is None:
            return None
        principal, _token = result
        if is_service(principal):
            return f"service:{principal.service_account.pk}"
        return f"user:{principal.pk}"
    user = getattr(request, "user", None)
    if can_act(user):
        return f"user:{user.pk}"
    return None


def fingerprint(method, path, body):
    """SHA-256 of the method, the full path and the body; JSON bodies are compared canonically,
    so key order and whitespace do not make a retry look like a different request."""
    data = loads_or_none(body)
    canonical = body if data is None else json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def idempotency_begin(*, principal, key, method, path, body):
    """Claim `key` for this request, or find the earlier request that used it.

    Returns (outcome, record): NEW (run the request, then `idempotency_complete`), REPLAY (answer
    with the record), MISMATCH (the key was used for another request) or IN_PROGRESS. Call it
    inside the transaction that does the work.
    """
    now = timezone.now()
    digest = fingerprint(method, path, body)
    IdempotencyRecord.objects.filter(principal=principal, key=key, created_at__lt=now - ttl()).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                principal=principal, key=key, method=method, path=path[:500], fingerprint=digest, created_at=now
            )
        return NEW, record
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None:  # the other request rolled back between our insert and this read
            return idempotency_begin(principal=principal, key=key, method=method, path=path, body=body)
    if record.fingerprint != digest:
        return MISMATCH, record
    if not record.status_code:
        return IN_PROGRESS, record
    return REPLAY, record


def idempotency_complete(record, response):
    """Keep a successful answer for replays; forget the key otherwise (the caller may retry it)."""
    if 200 <= response.status_code < 300:
        record.status_code = response.status_code
        record.response_body = response.content.decode("utf-8", "replace")
        record.content_type = response.get("Content-Type", "")[:100]
        record.save(update_fields=["status_code", "response_body", "content_type"])
    else:
        record.delete()


def idempotency_prune(*, now=None):
    """Delete records past their time to live. Returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - ttl()).delete()
    return deleted


def replay_refusal(request, record):
    """Why the caller may not have `record`'s answer replayed now: (status, code, detail), or None.

    The endpoint's own checks run again as for a new request: authentication and permissions for
    the original method, then, where the answer is about one object (the URL's or the `id` in the
    stored answer), that the caller may still read that object through the same endpoint (its
    scoped queryset; hidden is 404 as everywhere). Nothing is written.
    """
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.http import Http404
    from django.urls import Resolver404, resolve
    from rest_framework import exceptions

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if view_class is None:
        return None
    actions = getattr(match.func, "actions", None)
    view = view_class(**(getattr(match.func, "initkwargs", None) or {}))
    if actions:
        view.action_map = actions
    view.args, view.kwargs, view.format_kwarg = match.args, dict(match.kwargs), None
    view.headers = {}
    try:
        drf_request = view.initialize_request(request)
        view.request = drf_request
        view.perform_authentication(drf_request)
        view.check_permissions(drf_request)
        object_id = _answered_object(view, match.kwargs, record)
        if object_id is not None:
            view.action = "retrieve"
            view.kwargs = {**match.kwargs, _lookup_kwarg(view): object_id}
            obj = view.get_object()
            # An endpoint whose write rule lives past its permissions says it again here.
            check = getattr(view, "replay_check", None)
            if check is not None:
                check(obj, method=request.method)
    except (Http404, exceptions.NotFound):
        return 404, "not_found", "Not found."
    except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed) as error:
        return 401, error.default_code, str(error.detail)
    except (exceptions.PermissionDenied, DjangoPermissionDenied) as error:
        return (
            403,
            "permission_denied",
            str(getattr(error, "detail", "") or "You do not have permission to perform this action."),
        )
    return None


def _lookup_kwarg(view):
    return getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")


def _answered_object(view, url_kwargs, record):
    """The id of the object the answer is about: the URL's, else the `id` in the stored answer."""
    if not hasattr(view, "get_object"):
        return None
    kwarg = _lookup_kwarg(view)
    if kwarg in url_kwargs:
        return url_kwargs[kwarg]
    try:
        answer = json.loads(record.response_body or "null")
    except ValueError:
        return None
    return answer.get("id") if isinstance(answer, dict) else None
