"""The network in the API: /connections/, /connection-requests/ and /suggestions/.

Thin views over the network selectors, services and suggestions: the caller is always the employee acting (service tokens get
403), a NetworkError becomes `{code, detail, fields}` with its status, and NetworkNotFound is
answered exactly like a missing id.
"""

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from config.api import ERROR_RESPONSES, ErrorSerializer, StrictFieldsMixin, error_response

from ..api import IsEmployee
from ..models import ConnectionRequest, User
from ..serializers import EmployeeSerializer
from . import selectors, services, suggestions

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


class NetworkErrorAnswers:
    """Answer the network's refusals in the API's one error shape."""

    permission_classes = [permissions.IsAuthenticated, IsEmployee]

    def handle_exception(self, exc):
        if isinstance(exc, services.NetworkNotFound):
            exc = NotFound()
        elif isinstance(exc, services.NetworkError):
            return error_response(exc.status_code, exc.code, exc.message, {exc.field: [exc.message]})
        return super().handle_exception(exc)


class ConnectionRequestSerializer(serializers.ModelSerializer):
    sender = EmployeeSerializer(read_only=True)
    recipient = EmployeeSerializer(read_only=True)

    class Meta:
        model = ConnectionRequest
        fields = ["id", "sender", "recipient", "message", "status", "created_at", "responded_at"]
        read_only_fields = fields


class ConnectionRequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.active(), help_text="The employee id of the person to connect with."
    )
    message = serializers.CharField(
        max_length=services.MESSAGE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="An optional short note.",
    )


class SuggestionSerializer(serializers.Serializer):
    employee = EmployeeSerializer(source="person", read_only=True)
    reason = serializers.CharField(
        read_only=True, help_text='e.g. "Same function, Finance, in Berlin · 3 mutual connections".'
    )
    mutual_connections = serializers.IntegerField(source="mutual_count", read_only=True)
    same_function = serializers.BooleanField(read_only=True)


class SuggestionListSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="Always null: suggestions come as one short list.")


@extend_schema_view(
    list=extend_schema(
        summary="The caller's connections",
        description="Accepted connections of the caller, as employees. Leavers are left out.",
        responses={200: EmployeeSerializer(many=True), **ERROR_RESPONSES},
    ),
    destroy=extend_schema(
        summary="Remove a connection",
        description="Ends the connection with the employee of this id, both ways. 404 if you are not connected.",
        responses={204: None, **ERROR_RESPONSES},
    ),
)
class ConnectionViewSet(NetworkErrorAnswers, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's accepted connections."""

    serializer_class = EmployeeSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.connections_of(self.request.user)

    def destroy(self, request, pk=None):
        other = User.objects.active().filter(pk=pk).first()
        services.connection_remove(user=request.user, other=other)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionRequestFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=[("incoming", "Incoming"), ("outgoing", "Outgoing")],
        method="filter_direction",
        help_text="incoming: sent to you; outgoing: sent by you. Default: both.",
    )
    status = django_filters.ChoiceFilter(choices=ConnectionRequest.Status.choices, help_text="Default: pending.")

    class Meta:
        model = ConnectionRequest
        fields = ["direction", "status"]

    def filter_direction(self, queryset, name, value):
        user_id = self.request.user.pk
        return queryset.filter(recipient_id=user_id) if value == "incoming" else queryset.filter(sender_id=user_id)

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=ConnectionRequest.Status.PENDING)
        return super().filter_queryset(queryset)


def _request_action(summary, description):
    return extend_schema(
        summary=summary,
        description=description,
        request=None,
        responses={200: ConnectionRequestSerializer, **NETWORK_ERRORS},
    )


@extend_schema_view(
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
            "request either way (409), a recent decline (409, cooldown), past the daily limit (429)."
        ),
        request=ConnectionRequestCreateSerializer,
        examples=[
            OpenApiExample("A request", value={"to": 42, "message": "We met at the Lisbon offsite."}, request_only=True)
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
class ConnectionRequestViewSet(
    NetworkErrorAnswers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Connection requests the caller sent or received."""

    serializer_class = ConnectionRequestSerializer
    filterset_class = ConnectionRequestFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConnectionRequest.objects.none()
        return selectors.requests_of(self.request.user)

    def create(self, request, *args, **kwargs):
        data = ConnectionRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request_obj = services.connection_request_send(
            sender=request.user, recipient=data.validated_data["to"], message=data.validated_data["message"]
        )
        created = request_obj.status == ConnectionRequest.Status.PENDING
        return self._answer(request_obj, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _act(self, pk, act):
        # Any request by id: the network function answers 404 to whoever may not act on it.
        request_obj = ConnectionRequest.objects.filter(pk=pk).first()
        if request_obj is None:
            raise NotFound()
        act(request_obj=request_obj, by=self.request.user)
        return self._answer(request_obj, status.HTTP_200_OK)

    def _answer(self, request_obj, code):
        fresh = self.get_queryset().get(pk=request_obj.pk)
        return Response(ConnectionRequestSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(pk, services.connection_request_accept)

    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(pk, services.connection_request_decline)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(pk, services.connection_request_withdraw)


class SuggestionListView(NetworkErrorAnswers, APIView):
    """Suggested counterparts for the caller, best first."""

    LIMIT = 20

    @extend_schema(
        summary="Suggested counterparts",
        description=(
            "People with the same job function in another division or location, and people with many mutual "
            "connections, best first, each with the reason. At most 20; `next` is always null."
        ),
        responses={200: SuggestionListSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        found = suggestions.suggestions_for(request.user, limit=self.LIMIT)
        body = {"results": SuggestionSerializer(found, many=True).data, "next": None}
        return Response(body)


router = SimpleRouter(trailing_slash=True)
router.register("connections", ConnectionViewSet, basename="connection")
router.register("connection-requests", ConnectionRequestViewSet, basename="connection-request")

urlpatterns = [
    *router.urls,
    path("suggestions/", SuggestionListView.as_view(), name="suggestion-list"),
]
