"""The referrals API: /api/v1/referrals/. Every read goes through `referrals_visible_to` (the
viewset's queryset); what the schema says of it is in schema.py."""

import django_filters
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.roles import is_service
from config.api import IsoDateTimeFilter

from . import schema, selectors, services
from .models import Referral
from .serializers import ReferralCreateSerializer, ReferralDetailSerializer, ReferralMoveSerializer, ReferralSerializer


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Referral.Status.choices)
    opening = django_filters.NumberFilter(field_name="opening_id", help_text="An opening id.")
    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time: only referrals changed since then."
    )

    class Meta:
        model = Referral
        fields = ["status", "opening", "updated_since"]


@schema.referral_viewset
class ReferralViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = ReferralFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        """Every read of this viewset, the answer after a create or a move included: the caller's scope."""
        qs = selectors.referrals_visible_to(self.request.user)
        if self.action == "list":
            return selectors.with_details(qs)
        return selectors.with_history(qs)

    def get_serializer_class(self):
        if self.action == "list":
            return ReferralSerializer
        if self.action == "create":
            return ReferralCreateSerializer
        if self.action in ("update", "partial_update"):
            return ReferralMoveSerializer
        return ReferralDetailSerializer

    def replay_check(self, referral, *, method):
        """An idempotent replay of a move is the caller's only while they may still act on it."""
        user = self.request.user
        if method == "PATCH" and not (services.runs_pipeline(user, referral) or referral.referrer_id == user.pk):
            raise PermissionDenied("You may no longer move this referral on.")

    def _detail(self, referral_id, code=status.HTTP_200_OK):
        """The referral as it is now, read again through the caller's scope like every other read."""
        referral = selectors.get_visible_referral_or_404(self.request.user, referral_id, self.get_queryset())
        return Response(ReferralDetailSerializer(referral, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        if is_service(request.user):
            raise PermissionDenied("Referrals are made by employees, not by service tokens.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = services.referral_submit(referrer=request.user, **serializer.validated_data)
        return self._detail(referral.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        referral = self.get_object()  # 404 when the caller may not see it
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.referral_move(referral=referral, by=request.user, **serializer.validated_data)
        return self._detail(referral.pk)
