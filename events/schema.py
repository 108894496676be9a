"""The OpenAPI documentation of the events API (drf-spectacular decorations), kept beside the
views so that api.py reads as code."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view

from config.api import ERROR_RESPONSES

from .serializers import (
    AttendancePageSerializer,
    AttendeeChangeSerializer,
    AttendeeListSerializer,
    EventRecordSerializer,
    EventSerializer,
)

TRAINING_EXAMPLE = OpenApiExample(
    "A training from the LMS",
    value={
        "title": "Leadership Training",
        "kind": "training",
        "starts_at": "2026-11-12T09:00:00Z",
        "ends_at": "2026-11-12T17:00:00Z",
        "location": "berlin",
        "online": False,
        "description": "Two days for new team leads.",
        "source": "LMS",
    },
    request_only=True,
)

event_viewset = extend_schema_view(
    list=extend_schema(
        summary="Events (everyone; attendees are not part of an event)",
        description="Every event, oldest id first; `updated_since` for incremental sync (an attendee list change "
        "counts as a change of its event).",
        responses={200: EventSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(summary="An event", responses={200: EventSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Create an event (employees: meetups; scope hr: any kind)",
        description="An employee creates meetups and organises them; an HR employee or a token with scope hr "
        "creates any kind and may name the organiser (or none). The end must not be before the start (400 on "
        "`ends_at`); a location or `online` is needed.",
        examples=[TRAINING_EXAMPLE],
        responses={201: EventSerializer, **ERROR_RESPONSES},
    ),
)

event_by_external_id = extend_schema(
    summary="Create or update an event by the HR system's id (scope hr)",
    description="Idempotent, as `PUT /employees/by-employee-id/…`: 201 when created, 200 when updated or "
    "already as sent (then nothing is written and `updated_at` stays). Fields left out keep their value; "
    "`title`, `kind`, `starts_at` and `ends_at` are needed to create.",
    parameters=[
        OpenApiParameter(
            "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The HR system's event id (≤128)."
        )
    ],
    request=EventRecordSerializer,
    examples=[TRAINING_EXAMPLE],
    responses={200: EventSerializer, 201: EventSerializer, **ERROR_RESPONSES},
)

_ATTENDEES_PARAMETERS = [OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The event id.")]

event_attendees = extend_schema_view(
    get=extend_schema(
        summary="An event's attendees (attendees, the organiser and HR; 404 for anyone else)",
        description="Active employees only: deactivated attendees drop out. Paginated.",
        parameters=[
            *_ATTENDEES_PARAMETERS,
            OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, description="From `next`."),
            OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, description="At most 200."),
        ],
        responses={200: AttendancePageSerializer, **ERROR_RESPONSES},
    ),
    put=extend_schema(
        summary="Replace an event's attendee list by employee ids (organiser or scope hr)",
        description="All or nothing: unknown, deactivated or repeated ids refuse the whole list (400 on "
        "`employees`, naming the ids) and nothing is written. Answers the ids added and removed.",
        parameters=_ATTENDEES_PARAMETERS,
        request=AttendeeListSerializer,
        examples=[OpenApiExample("Three attendees", value={"employees": [12, 57, 301]}, request_only=True)],
        responses={200: AttendeeChangeSerializer, **ERROR_RESPONSES},
    ),
)
