"""What every API request goes through, in one place: request id, body size cap, and for writes
one transaction holding the idempotency key, the work and the audit row.

Why a middleware rather than a DRF mixin: it covers every endpoint under /api/v1/, including those
added later, without each view having to remember it.
"""

import re
import uuid

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse

from config.http import json_error

from . import audit, idempotency

API_PREFIX = "/api/"
API_V1_PREFIX = "/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ApiMiddleware:
    """For /api/: a request id (`X-Request-Id`, the caller's if sensible, echoed back) and 413 for a
    body over DATA_UPLOAD_MAX_MEMORY_SIZE. For writes under /api/v1/: the idempotency rule
    (idempotency.py) and the audit log (audit.py), both in the transaction of the work; a 5xx
    rolls all of it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        response = self._answer(request)
        response["X-Request-Id"] = request.request_id
        return response

    def _answer(self, request):
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        try:
            body = request.body  # read once here: the cap applies, and the body is fingerprinted
        except RequestDataTooBig:
            return json_error(
                413,
                "request_too_large",
                "The request body is too large.",
                {
                    "non_field_errors": [
                        "Send at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes; split a bulk request into several."
                    ]
                },
            )
        if not request.path.startswith(API_V1_PREFIX):
            return self.get_response(request)
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        with transaction.atomic():
            record = None
            if key is not None and request.method in idempotency.METHODS:
                problem = idempotency.key_problem(key)
                if problem:
                    return json_error(
                        400, "invalid", "The Idempotency-Key header is invalid.", {idempotency.HEADER: [problem]}
                    )
                principal = idempotency.request_principal(request)
                if principal is not None:
                    outcome, record = idempotency.idempotency_begin(
                        principal=principal, key=key, method=request.method, path=request.get_full_path(), body=body
                    )
                    if outcome == idempotency.REPLAY:
                        refusal = idempotency.replay_refusal(request, record)
                        if refusal is not None:
                            return json_error(*refusal)
                    if outcome != idempotency.NEW:
                        return self._earlier(outcome, record)
            request.audit_target = None
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            if 200 <= response.status_code < 300:
                audit.audit_record(request=request, response=response, target=request.audit_target, body=body)
            if record is not None:
                idempotency.idempotency_complete(record, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Just before the view: what it writes to, and that object's fields as they are now.
        if request.method in WRITE_METHODS and request.path.startswith(API_V1_PREFIX):
            target = audit.Target(view_func, view_kwargs, request.method)
            if request.method != "POST" or target.lookup is not None:
                target.capture_before()
            request.audit_target = target
        return None

    @staticmethod
    def _earlier(outcome, record):
        if outcome == idempotency.MISMATCH:
            message = (
                f"This key was already used for another request ({record.method} {record.path} with a different "
                "body). Use a new key for a new request."
            )
            return json_error(
                422,
                "idempotency_key_reused",
                "The Idempotency-Key was used for a different request.",
                {idempotency.HEADER: [message]},
            )
        if outcome == idempotency.IN_PROGRESS:
            return json_error(
                409,
                "idempotency_key_in_progress",
                "A request with this Idempotency-Key is still running.",
                {idempotency.HEADER: ["Retry in a moment to get its answer."]},
                {"Retry-After": "1"},
            )
        replay = HttpResponse(record.response_body, status=record.status_code, content_type=record.content_type or None)
        replay["Idempotent-Replayed"] = "true"
        return replay
