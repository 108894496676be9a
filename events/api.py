"""The events API: `/api/v1/events/` (GET, POST), `PUT /api/v1/events/by-external-id/<external_id>/`
(idempotent sync, the employees' `by-employee-id` convention) and `/api/v1/events/<id>/attendees/`
(GET, PUT). Thin views: the rules are services.py's and selectors.py's; the audit row and the
idempotency key are the API middleware's.
"""

import django_filters
from django.shortcuts import get_object_or_404
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_act, is_employee, is_hr
from config.api import CursorPagination, IsoDateTimeFilter
from integrations import audit

from . import schema, selectors, services
from .models import Event
from .serializers import AttendanceSerializer, AttendeeListSerializer, EventRecordSerializer, EventSerializer


class ReadsEvents(permissions.BasePermission):
    """Active employees (personal token or session) and HR read events; a service token needs a
    read scope (hr:read or hr). Writes are decided by services.py (403 with the reason)."""

    message = "Reading events needs an employee, or a service token with scope hr:read or hr."

    def has_permission(self, request, view):
        user = request.user
        if not can_act(user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return is_employee(user) or is_hr(user)
        return True


class EventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices)
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code.")
    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time: only events changed since then."
    )

    class Meta:
        model = Event
        fields = ["kind", "location", "updated_since"]


@schema.event_viewset
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = EventSerializer
    filterset_class = EventFilter
    permission_classes = [ReadsEvents]
    audit_object_type = "event"

    def get_queryset(self):
        return selectors.events_listed_to(self.request.user).select_related("location")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        event = services.event_create(by=request.user, **data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


class ManagesAllEvents(permissions.BasePermission):
    """HR: the HR group, or a service token with scope hr (`services.can_manage_all_events`)."""

    message = "Syncing events needs an HR service token with scope hr, or an HR employee."

    def has_permission(self, request, view):
        return services.can_manage_all_events(request.user)


@schema.event_by_external_id
class EventByExternalIdView(APIView):
    permission_classes = [ManagesAllEvents]
    audit_object_type = "event"

    def put(self, request, external_id):
        if len(external_id) > 128:
            raise ValidationError({"external_id": ["Ensure this field has no more than 128 characters."]})
        serializer = EventRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.event_upsert_by_external_id(
            external_id=external_id, by=request.user, fields=dict(serializer.validated_data)
        )
        verb = "create" if outcome.outcome == "created" else "update"
        audit.note(request, action=f"event.{verb}", object_id=outcome.event.pk, changes=outcome.changes)
        code = status.HTTP_201_CREATED if outcome.outcome == "created" else status.HTTP_200_OK
        return Response(EventSerializer(outcome.event).data, status=code)


class AttendeePagination(CursorPagination):
    ordering = "id"


@schema.event_attendees
class EventAttendeesView(APIView):
    """The attendee list: seen by attendees, the organiser and HR; everyone else gets 404, exactly
    like a missing event (`selectors.events_with_attendance_visible_to`)."""

    permission_classes = [ReadsEvents]
    audit_object_type = "event"

    def get_object(self):
        return get_object_or_404(selectors.events_with_attendance_visible_to(self.request.user), pk=self.kwargs["pk"])

    def replay_check(self, event, *, method):
        """An idempotent replay of a PUT is the caller's only while they may still change the list."""
        if method == "PUT" and not services.can_manage_event(self.request.user, event):
            raise PermissionDenied("Only the organiser or HR may change the attendee list.")

    def get(self, request, pk):
        event = self.get_object()
        paginator = AttendeePagination()
        page = paginator.paginate_queryset(selectors.attendances_of(event), request, view=self)
        return paginator.get_paginated_response(AttendanceSerializer(page, many=True).data)

    def put(self, request, pk):
        event = self.get_object()
        serializer = AttendeeListSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.attendees_replace(
            event=event, by=request.user, employee_ids=serializer.validated_data["employees"]
        )
        audit.note(request, action="event.attendees_replace", object_id=event.pk, changes=change)
        return Response(change)


def urlpatterns():
    """The events' routes, listed in config/urls.py beside the router's."""
    from django.urls import path
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter(trailing_slash=True)
    router.register("events", EventViewSet, basename="event")
    return [
        path(
            "events/by-external-id/<str:external_id>/",
            EventByExternalIdView.as_view(),
            name="event-by-external-id",
        ),
        path("events/<int:pk>/attendees/", EventAttendeesView.as_view(), name="event-attendees"),
        *router.urls,
    ]
