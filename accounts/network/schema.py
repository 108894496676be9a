"""What the OpenAPI schema says about the network's API (api.py), kept apart from the views' code.

Each decorator here is applied by name to the view it documents: `@schema.connection_viewset`.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status

from config.api import ERROR_RESPONSES, ErrorSerializer

from .serializers import (
    ConnectionRequestCreateSerializer,
    ConnectionRequestSerializer,
    ConnectionSerializer,
    SuggestionListSerializer,
)

NETWORK_ERRORS = {
    **ERROR_RESPONSES,
    status.HTTP_409_CONFLICT: OpenApiResponse(
        ErrorSerializer,
        description="Already connected, already pending, no longer pending, or in the cooldown after a decline.",
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: OpenApiResponse(
        ErrorSerializer, description="Past the daily limit of requests sent."
    ),
}

connection_viewset = extend_schema_view(
    list=extend_schema(
        summary="The caller's connections",
        description=(
            "Accepted connections of the caller, as employees, each with `met_at` (the event where you met, "
            "or null). Leavers are left out."
        ),
        responses={200: ConnectionSerializer(many=True), **ERROR_RESPONSES},
    ),
    destroy=extend_schema(
        summary="Remove a connection",
        description="Ends the connection with the employee of this id, both ways. 404 if you are not connected.",
        responses={204: None, **ERROR_RESPONSES},
    ),
)


def _request_action(summary, description):
    return extend_schema(
        summary=summary,
        description=description,
        request=None,
        responses={200: ConnectionRequestSerializer, **NETWORK_ERRORS},
    )


connection_request_viewset = extend_schema_view(
    list=extend_schema(
        summary="The caller's connection requests",
        description="Pending requests to and from the caller (`status` for others), newest last. Leavers are left out.",
        responses={200: ConnectionRequestSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A connection request you sent or received",
        description="404 for a request between other people.",
        responses={200: ConnectionRequestSerializer, **ERROR_RESPONSES},
    ),
    create=extend_schema(
        summary="Ask someone to connect",
        description=(
            "201 with the new pending request. If that person already asked you, their request is accepted "
            "instead: 200 with it, status `accepted`. Refused: yourself, an existing connection, a pending "
            "request either way (409), a recent decline (409, cooldown), past the daily limit (429). `met_at` "
            "(an event id) says where you met: 400 unless you both attended it."
        ),
        request=ConnectionRequestCreateSerializer,
        examples=[
            OpenApiExample(
                "A request",
                value={"to": 42, "message": "We met at the Lisbon offsite.", "met_at": 7},
                request_only=True,
            )
        ],
        responses={
            201: ConnectionRequestSerializer,
            200: OpenApiResponse(
                ConnectionRequestSerializer, description="Their pending request to you, now accepted."
            ),
            **NETWORK_ERRORS,
        },
    ),
    accept=_request_action(
        "Accept a request (recipient)", "Only the recipient; to anyone else the request does not exist (404)."
    ),
    decline=_request_action(
        "Decline a request (recipient)", "Only the recipient; the sender may ask again after the cooldown."
    ),
    withdraw=_request_action(
        "Withdraw a request (sender)", "Only the sender; to anyone else the request does not exist (404)."
    ),
)

suggestion_list = extend_schema(
    summary="Suggested counterparts",
    description=(
        "Fellow attendees of events you attended (first, with `met_at`: the event's id and title), people "
        "with the same job function in another division or location, and people with many mutual "
        "connections, best first, each with the reason. At most 20; `next` is always null."
    ),
    responses={200: SuggestionListSerializer, **ERROR_RESPONSES},
)
