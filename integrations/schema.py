"""What the OpenAPI schema says about behaviour every endpoint shares (middleware.py, throttling.py).

Documented once here, as a drf-spectacular postprocessing hook, so that every operation (including
those added later) shows the `Idempotency-Key` header and the 409, 413, 422 and 429 answers.
"""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
IDEMPOTENT_METHODS = {"post", "put", "patch"}
BODY_METHODS = {"post", "put", "patch"}

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "description": (
        "Any unique string of 1 to 255 visible ASCII characters (a UUID); anything else is a 400 on "
        "`Idempotency-Key`. Keys belong to the caller (the employee, or the service account behind a token). "
        "Within IDEMPOTENCY_KEY_TTL_HOURS (24) the same key with the same method, path and body returns the first "
        "successful answer again, marked `Idempotent-Replayed: true`, without doing the work again, and only while "
        "the caller may still make that request and read what it answered (otherwise the answer a new request would "
        "get, e.g. 404). The same key with another method, path or body is refused with 422; while the first request "
        "still runs, 409 with `Retry-After`. Only successes are kept, so a refused request may be corrected and "
        "retried under its key."
    ),
}

SHARED_RESPONSES = {
    "429": "Too many requests for this token (API_RATE_PER_MINUTE); wait for `Retry-After` seconds.",
}
BODY_RESPONSES = {"413": "The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."}
IDEMPOTENT_RESPONSES = {
    "409": "A request with the same Idempotency-Key is still running, or the change conflicts with the current state.",
    "422": "The Idempotency-Key was already used for a different request; nothing was written.",
}


def _error(description, headers=None):
    answer = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
    if headers:
        answer["headers"] = headers
    return answer


def document_shared_behaviour(result, generator, request, public):
    """Add the shared header and answers to every operation of the schema."""
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result
    retry_after = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in SHARED_RESPONSES.items():
                responses.setdefault(code, _error(description, retry_after))
            if method in BODY_METHODS and "requestBody" in operation:
                for code, description in BODY_RESPONSES.items():
                    responses.setdefault(code, _error(description))
            if method in IDEMPOTENT_METHODS:
                for code, description in IDEMPOTENT_RESPONSES.items():
                    responses.setdefault(code, _error(description))
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_PARAMETER))
    return result
