"""The API for HR systems: provisioning by HR identifiers, the audit log, webhooks.

Thin views: they check the shape of the input and call provisioning.py / webhooks.py. The audit
row and the idempotency key are handled for every write by middleware.py; what the schema says of
each view is in schema.py.
"""

import django_filters
from django.conf import settings
from django.shortcuts import get_object_or_404
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Division, Location, User
from accounts.roles import can_manage_employees, has_scope
from accounts.serializers import DivisionSerializer, EmployeeSerializer, LocationSerializer
from config.api import CursorPagination, IsoDateTimeFilter, error_response

from . import audit, schema, webhooks
from .models import AuditEvent, WebhookDelivery, WebhookEndpoint
from .provisioning import ProvisioningError, employees_import, org_unit_upsert, report_of
from .serializers import (
    AuditEventSerializer,
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


@schema.employee_by_employee_id
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


@schema.employee_bulk
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


@schema.division_by_code
class DivisionByCodeView(_OrgUnitByCodeView):
    model = Division
    output = DivisionSerializer
    audit_object_type = "division"


@schema.location_by_code
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


@schema.audit_event_viewset
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    permission_classes = [HasActionPermission]
    required_perms = {"list": "integrations.view_auditevent", "retrieve": "integrations.view_auditevent"}
    filterset_class = AuditEventFilter
    pagination_class = NewestFirstPagination
    queryset = AuditEvent.objects.select_related("service_account", "token")


# --- Webhooks -----------------------------------------------------------------------------------


@schema.webhook_endpoint_viewset
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

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        webhooks.endpoint_rotate_secret(endpoint=endpoint)
        audit.note(request, changes={"secret": "rotated"})
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

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
