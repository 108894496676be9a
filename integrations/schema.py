"""What the OpenAPI schema says about the integrations API (api.py), and about behaviour every
endpoint shares (middleware.py, throttling.py).

The shared behaviour is documented once, as a drf-spectacular postprocessing hook, so that every
operation (including those added later) shows the `Idempotency-Key` header and the 409, 413, 422
and 429 answers. Each view's own documentation is a decorator below, applied to the view by name
(`@schema.employee_by_employee_id`), so the views keep to their code.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from accounts.serializers import DivisionSerializer, EmployeeSerializer, LocationSerializer
from config.api import ERROR_RESPONSES

from .models import WebhookDelivery
from .serializers import (
    AuditEventSerializer,
    BulkErrorSerializer,
    BulkReportSerializer,
    EmployeeRecordSerializer,
    OrgUnitRecordSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

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


# --- Provisioning ---------------------------------------------------------------------------------

EMPLOYEE_ID_PARAMETER = OpenApiParameter(
    "employee_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The HRIS identifier of the employee."
)
CODE_PARAMETER = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The org unit's code (a slug)."
)

EMPLOYEE_RECORD_EXAMPLE = OpenApiExample(
    "An employee from the HRIS",
    value={
        "email": "lena.fischer@example.com",
        "full_name": "Lena Fischer",
        "title": "Senior Data Analyst",
        "job_function": "Data Analysis",
        "division": "finance",
        "location": "berlin",
        "manager_employee_id": "E100231",
        "is_active": True,
        "skills": ["SQL", "Forecasting", "Python"],
    },
    request_only=True,
)
LEAVER_EXAMPLE = OpenApiExample(
    "A leaver",
    value={"email": "tom.baker@example.com", "full_name": "Tom Baker", "is_active": False},
    request_only=True,
)

employee_by_employee_id = extend_schema(
    summary="Create or update an employee by employee id (scope hr:write)",
    description=(
        "Idempotent: 201 when the employee was created, 200 when updated or already as sent; sending the "
        "same body again changes nothing. Fields left out keep their value (their default on a create). "
        "An employee who has no employee id yet is matched by email and given this one. An email that "
        "belongs to another employee is refused (400 on `email`). `is_active: false` deactivates: no sign-in, "
        "tokens revoked, open sessions end."
    ),
    parameters=[EMPLOYEE_ID_PARAMETER],
    request=EmployeeRecordSerializer,
    examples=[EMPLOYEE_RECORD_EXAMPLE, LEAVER_EXAMPLE],
    responses={200: EmployeeSerializer, 201: EmployeeSerializer, **ERROR_RESPONSES},
)

employee_bulk = extend_schema(
    summary="Create or update many employees at once, all or nothing (scope hr:write)",
    description=(
        "A JSON array of employees (each with its `employee_id`), as from an HRIS export; at most "
        "EMPLOYEES_BULK_MAX_ROWS rows. Every row is checked first: if any is invalid the answer is 400 with "
        "`fields` keyed by row index and nothing is written. Otherwise every row is applied in one transaction "
        "and the answer reports how many were created, updated, unchanged and deactivated, with each row's changes."
    ),
    request=serializers.ListSerializer(child=EmployeeRecordSerializer()),
    examples=[
        OpenApiExample(
            "Two rows",
            value=[
                {
                    "employee_id": "E100231",
                    "email": "priya.natarajan@example.com",
                    "full_name": "Priya Natarajan",
                    "division": "finance",
                    "location": "berlin",
                    "is_active": True,
                },
                {
                    "employee_id": "E100877",
                    "email": "lena.fischer@example.com",
                    "full_name": "Lena Fischer",
                    "title": "Senior Data Analyst",
                    "division": "finance",
                    "location": "berlin",
                    "manager_employee_id": "E100231",
                },
            ],
            request_only=True,
        )
    ],
    responses={
        200: BulkReportSerializer,
        400: BulkErrorSerializer,
        **{k: v for k, v in ERROR_RESPONSES.items() if k != 400},
    },
)


def _org_unit_schema(kind, serializer, example_code, example_name):
    return extend_schema(
        summary=f"Create or rename a {kind} by code (scope hr:write)",
        description=f"Idempotent: 201 when the {kind} was created, 200 when renamed or already as sent.",
        parameters=[CODE_PARAMETER],
        request=OrgUnitRecordSerializer,
        examples=[OpenApiExample(f"A {kind}", value={"name": example_name}, request_only=True)],
        responses={200: serializer, 201: serializer, **ERROR_RESPONSES},
    )


division_by_code = _org_unit_schema("division", DivisionSerializer, "finance", "Finance")
location_by_code = _org_unit_schema("location", LocationSerializer, "berlin", "Berlin")


# --- The audit log ------------------------------------------------------------------------------

audit_event_viewset = extend_schema_view(
    list=extend_schema(
        summary="The audit log of API writes (scope hr:read or HR)",
        description="Newest first. Every successful POST, PUT, PATCH and DELETE under /api/v1/ appears here.",
        responses={200: AuditEventSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One audit event (scope hr:read or HR)", responses={200: AuditEventSerializer, **ERROR_RESPONSES}
    ),
)


# --- Webhooks -----------------------------------------------------------------------------------

WEBHOOK_EXAMPLE = OpenApiExample(
    "Subscribe the ATS",
    value={
        "url": "https://ats.example.com/hooks/referral-board",
        "description": "Greenhouse bridge",
        "events": [
            "opening.created",
            "opening.updated",
            "opening.closed",
            "referral.created",
            "referral.status_changed",
        ],
    },
    request_only=True,
)
WEBHOOK_PATCH_EXAMPLE = OpenApiExample("Pause deliveries", value={"is_active": False}, request_only=True)

webhook_endpoint_viewset = extend_schema_view(
    list=extend_schema(
        summary="Webhook endpoints (scope hr:read or HR)",
        responses={200: WebhookEndpointSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A webhook endpoint (scope hr:read or HR)",
        responses={200: WebhookEndpointSerializer, **ERROR_RESPONSES},
    ),
    create=extend_schema(
        summary="Subscribe an endpoint to events (scope hr:write)",
        description="The answer carries the signing `secret`, shown only this once.",
        examples=[WEBHOOK_EXAMPLE],
        responses={201: WebhookEndpointWithSecretSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint (scope hr:write)",
        examples=[WEBHOOK_PATCH_EXAMPLE],
        responses={200: WebhookEndpointSerializer, **ERROR_RESPONSES},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its delivery log (scope hr:write)",
        responses={204: None, **ERROR_RESPONSES},
    ),
    rotate_secret=extend_schema(
        summary="Rotate the signing secret (scope hr:write)",
        description=(
            "Answers the new `secret` (shown once). For WEBHOOK_SECRET_OVERLAP_HOURS, deliveries carry two "
            "signatures, with the new and the previous secret, so the receiver can switch without missing events."
        ),
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **ERROR_RESPONSES},
    ),
    deliveries=extend_schema(
        summary="The delivery log of an endpoint (scope hr:read or HR)",
        description="Newest first: each event sent (or to be sent) to this endpoint, its attempts and the last answer.",
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=WebhookDelivery.Status.values,
                description="Only deliveries in this status.",
            )
        ],
        responses={200: WebhookDeliverySerializer(many=True), **ERROR_RESPONSES},
    ),
    replay=extend_schema(
        summary="Send a delivery's event again (scope hr:write)",
        description="Creates a new delivery of the same event (same event id) to this endpoint, due now.",
        request=None,
        parameters=[OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={201: WebhookDeliverySerializer, **ERROR_RESPONSES},
    ),
)
