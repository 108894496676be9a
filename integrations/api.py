"""The API for HR systems: provisioning by HR identifiers, the audit log, webhooks.

Thin views: they check the shape of the input and call provisioning.py / webhooks.py. The audit
row and the idempotency key are handled for every write by middleware.py.
"""

import django_filters
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Division, Location, User
from accounts.roles import can_manage_employees, has_scope
from accounts.serializers import DivisionSerializer, EmployeeSerializer, LocationSerializer
from config.api import ERROR_RESPONSES, CursorPagination, IsoDateTimeFilter, error_response

from . import audit, webhooks
from .models import AuditEvent, WebhookDelivery, WebhookEndpoint
from .provisioning import ProvisioningError, employees_import, org_unit_upsert, report_of
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


class CanProvision(permissions.BasePermission):
    """Provisioning is HR's: the HR group, or a service token with scope hr:write (or hr)."""

    message = "Provisioning needs an HR service token with scope hr:write, or an HR employee."

    def has_permission(self, request, view):
        return can_manage_employees(request.user)


class HasActionPermission(permissions.BasePermission):
    """The caller holds the permission the view names for the action (`required_perms`).

    Scopes map to permissions in accounts.roles: reads need hr:read, writes hr:write; HR employees
    hold them through the HR group.
    """

    message = (
        "This needs an HR service token with the right scope (hr:read to read, hr:write to change) or an HR employee."
    )

    def has_permission(self, request, view):
        user = request.user
        needed = view.required_perms.get(getattr(view, "action", None) or request.method.lower())
        return bool(needed) and has_scope(user, needed)


def _invalid_rows(errors, total):
    fields = {str(index): row_errors for index, row_errors in errors.items()}
    return error_response(
        status.HTTP_400_BAD_REQUEST,
        "invalid",
        f"{len(errors)} of {total} row(s) are invalid; nothing was written.",
        fields,
    )


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
    },
    request_only=True,
)
LEAVER_EXAMPLE = OpenApiExample(
    "A leaver",
    value={"email": "tom.baker@example.com", "full_name": "Tom Baker", "is_active": False},
    request_only=True,
)


@extend_schema(
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
class EmployeeByEmployeeIdView(APIView):
    permission_classes = [CanProvision]
    audit_object_type = "employee"

    def put(self, request, employee_id):
        serializer = EmployeeRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            outcome = employees_import([{"employee_id": employee_id, **request.data}], by=request.user)[0]
        except ProvisioningError as error:
            raise ValidationError(error.errors[0]) from None
        verb = {"created": "create", "deactivated": "deactivate"}.get(outcome.outcome, "update")
        audit.note(request, action=f"employee.{verb}", object_id=outcome.employee.pk, changes=outcome.changes)
        employee = User.objects.select_related("division", "location").get(pk=outcome.employee.pk)
        code = status.HTTP_201_CREATED if outcome.outcome == "created" else status.HTTP_200_OK
        return Response(EmployeeSerializer(employee).data, status=code)


@extend_schema(
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
class EmployeeBulkView(APIView):
    permission_classes = [CanProvision]
    audit_object_type = "employee"

    def post(self, request):
        rows = request.data
        if not isinstance(rows, list):
            raise ValidationError({"non_field_errors": ["Send a JSON array of employees."]})
        if len(rows) > settings.EMPLOYEES_BULK_MAX_ROWS:
            raise ValidationError(
                {
                    "non_field_errors": [
                        f"Send at most {settings.EMPLOYEES_BULK_MAX_ROWS} rows per request ({len(rows)} sent)."
                    ]
                }
            )
        try:
            outcomes = employees_import(rows, by=request.user)
        except ProvisioningError as error:
            return _invalid_rows(error.errors, len(rows))
        report = report_of(outcomes)
        counts = {name: report[name] for name in ("created", "updated", "unchanged", "deactivated")}
        changed = {o.employee.employee_id: o.changes for o in outcomes if o.changes}
        audit.note(request, action="employee.bulk_upsert", changes={"report": counts, "changes": changed})
        return Response(report)


class _OrgUnitByCodeView(APIView):
    permission_classes = [CanProvision]
    model = None
    output = None

    def put(self, request, code):
        code_field = serializers.SlugField(max_length=32)
        try:
            code = code_field.run_validation(code)
        except serializers.ValidationError as error:
            raise ValidationError({"code": error.detail}) from None
        serializer = OrgUnitRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit, outcome, changes = org_unit_upsert(model=self.model, code=code, name=serializer.validated_data["name"])
        verb = "create" if outcome == "created" else "update"
        audit.note(request, action=f"{self.audit_object_type}.{verb}", object_id=unit.pk, changes=changes)
        return Response(
            self.output(unit).data, status=status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
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


@_org_unit_schema("division", DivisionSerializer, "finance", "Finance")
class DivisionByCodeView(_OrgUnitByCodeView):
    model = Division
    output = DivisionSerializer
    audit_object_type = "division"


@_org_unit_schema("location", LocationSerializer, "berlin", "Berlin")
class LocationByCodeView(_OrgUnitByCodeView):
    model = Location
    output = LocationSerializer
    audit_object_type = "location"


# --- The audit log ------------------------------------------------------------------------------


class NewestFirstPagination(CursorPagination):
    ordering = "-id"


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id", help_text="The employee's id.")
    service_account = django_filters.CharFilter(
        field_name="service_account__name", help_text="The service account's name."
    )
    action = django_filters.CharFilter(help_text='e.g. "employee.update".')
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte", help_text="ISO 8601 date-time.")

    class Meta:
        model = AuditEvent
        fields = ["actor", "service_account", "action", "object_type", "object_id", "since"]


@extend_schema_view(
    list=extend_schema(
        summary="The audit log of API writes (scope hr:read or HR)",
        description="Newest first. Every successful POST, PUT, PATCH and DELETE under /api/v1/ appears here.",
        responses={200: AuditEventSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One audit event (scope hr:read or HR)", responses={200: AuditEventSerializer, **ERROR_RESPONSES}
    ),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    permission_classes = [HasActionPermission]
    required_perms = {"list": "integrations.view_auditevent", "retrieve": "integrations.view_auditevent"}
    filterset_class = AuditEventFilter
    pagination_class = NewestFirstPagination
    queryset = AuditEvent.objects.select_related("service_account", "token")


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


@extend_schema_view(
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
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [HasActionPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = WebhookEndpoint.objects.all()
    lookup_value_regex = r"[0-9]+"
    required_perms = {
        "list": "integrations.view_webhookendpoint",
        "retrieve": "integrations.view_webhookendpoint",
        "create": "integrations.add_webhookendpoint",
        "partial_update": "integrations.change_webhookendpoint",
        "destroy": "integrations.delete_webhookendpoint",
        "rotate_secret": "integrations.change_webhookendpoint",
        "deliveries": "integrations.view_webhookdelivery",
        "replay": "integrations.change_webhookendpoint",
    }

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.endpoint_create(created_by=request.user, **serializer.validated_data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = webhooks.endpoint_update(
            endpoint=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        summary="Rotate the signing secret (scope hr:write)",
        description=(
            "Answers the new `secret` (shown once). For WEBHOOK_SECRET_OVERLAP_HOURS, deliveries carry two "
            "signatures, with the new and the previous secret, so the receiver can switch without missing events."
        ),
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        webhooks.endpoint_rotate_secret(endpoint=endpoint)
        audit.note(request, changes={"secret": "rotated"})
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
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
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstPagination)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        queryset = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in WebhookDelivery.Status.values:
                raise ValidationError({"status": [f"Choose one of: {', '.join(WebhookDelivery.Status.values)}."]})
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery's event again (scope hr:write)",
        description="Creates a new delivery of the same event (same event id) to this endpoint, due now.",
        request=None,
        parameters=[OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={201: WebhookDeliverySerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay")
    def replay(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("event"), pk=delivery_id, endpoint=endpoint)
        problem = webhooks.subscription_problem(request.user, [delivery.event.type])
        if problem:
            # A replay answers the event itself: only for a caller who may read that kind of event.
            raise PermissionDenied(problem)
        replay = webhooks.delivery_replay(delivery=delivery)
        audit.note(
            request,
            action="webhook_delivery.replay",
            object_type="webhook_delivery",
            object_id=replay.pk,
            changes={"replay_of": delivery.pk, "event": str(delivery.event_id)},
        )
        replay = WebhookDelivery.objects.select_related("event").get(pk=replay.pk)
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_201_CREATED)


# --- URLs ---------------------------------------------------------------------------------------


def urlpatterns():
    """The integrations' routes, to be listed in config/urls.py before the router (so that
    `employees/bulk/` is not taken for an employee id)."""
    from django.urls import path
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter(trailing_slash=True)
    router.register("audit-events", AuditEventViewSet, basename="audit-event")
    router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
    return [
        path("employees/bulk/", EmployeeBulkView.as_view(), name="employee-bulk"),
        path(
            "employees/by-employee-id/<str:employee_id>/",
            EmployeeByEmployeeIdView.as_view(),
            name="employee-by-employee-id",
        ),
        path("divisions/by-code/<str:code>/", DivisionByCodeView.as_view(), name="division-by-code"),
        path("locations/by-code/<str:code>/", LocationByCodeView.as_view(), name="location-by-code"),
        *router.urls,
    ]
