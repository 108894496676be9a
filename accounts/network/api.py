"""The network in the API: /connections/, /connection-requests/ and /suggestions/.

Thin views over the network selectors, services and suggestions: the caller is always the
employee acting (service tokens get 403), a NetworkError becomes `{code, detail, fields}` with its
status, and NetworkNotFound is answered exactly like a missing id. The serializers are in
serializers.py, what the schema says of each view in schema.py.
"""

import django_filters
from django.urls import path
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from config.api import error_response

from ..api import IsEmployee
from ..models import ConnectionRequest, User
from . import schema, selectors, services, suggestions
from .serializers import (
    ConnectionRequestCreateSerializer,
    ConnectionRequestSerializer,
    ConnectionSerializer,
    SuggestionSerializer,
)


class NetworkErrorAnswers:
    """Answer the network's refusals in the API's one error shape."""

    permission_classes = [permissions.IsAuthenticated, IsEmployee]

    def handle_exception(self, exc):
        if isinstance(exc, services.NetworkNotFound):
            exc = NotFound()
        elif isinstance(exc, services.NetworkError):
            return error_response(exc.status_code, exc.code, exc.message, {exc.field: [exc.message]})
        return super().handle_exception(exc)


@schema.connection_viewset
class ConnectionViewSet(NetworkErrorAnswers, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's accepted connections."""

    serializer_class = ConnectionSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        # The employee resource lists skills: one prefetch for the page, not one query a person.
        return selectors.connections_of(self.request.user, with_met_at=True).prefetch_related("skills")

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


@schema.connection_request_viewset
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
        return selectors.requests_of(self.request.user).prefetch_related("sender__skills", "recipient__skills")

    def create(self, request, *args, **kwargs):
        data = ConnectionRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request_obj = services.connection_request_send(
            sender=request.user,
            recipient=data.validated_data["to"],
            message=data.validated_data["message"],
            met_at=data.validated_data["met_at"],
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

    @schema.suggestion_list
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
