"""The bonuses API for HR and payroll systems: /api/v1/bonuses/ (scope hr).

Reads: HR (`referrals.view_all_referrals`). Writes, PATCH with `status`: approved, paid (with a
`payroll_reference`) or forfeited (with a `forfeit_reason`): `referrals.manage_bonuses`. The rules
are referrals/bonuses.py's; the audit row is the API middleware's, as for every API write.
"""

import django_filters
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import IsoDateTimeFilter, error_response

from . import bonuses, schema
from .models import ReferralBonus
from .selectors import viewer_sees_all_referrals
from .serializers import BonusActionSerializer, BonusDetailSerializer, BonusSerializer

HR_ONLY = "Referral bonuses are HR's and payroll's: use a token with scope hr."


class BonusFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReferralBonus.Status.choices)
    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time: only bonuses changed since then."
    )

    class Meta:
        model = ReferralBonus
        fields = ["status", "updated_since"]


@schema.bonus_viewset
class BonusViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = ReferralBonus.objects.all()  # the audit middleware's model; reads use get_queryset()
    audit_object_type = "bonus"
    filterset_class = BonusFilter
    http_method_names = ["get", "patch", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not viewer_sees_all_referrals(request.user):
            raise PermissionDenied(HR_ONLY)

    def get_queryset(self):
        qs = bonuses.bonuses_visible_to(self.request.user)
        if self.action == "list":
            return bonuses.with_bonus_details(qs)
        return bonuses.with_bonus_history(qs)

    def get_serializer_class(self):
        if self.action == "list":
            return BonusSerializer
        if self.action in ("update", "partial_update"):
            return BonusActionSerializer
        return BonusDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        bonus = self.get_object()
        if not bonuses.manages_bonuses(request.user):
            raise PermissionDenied("Approving, paying and forfeiting bonuses needs scope hr (write).")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = data["status"]
        try:
            if target == ReferralBonus.Status.APPROVED:
                bonuses.bonus_approve(bonus=bonus, by=request.user, audit=False)
            elif target == ReferralBonus.Status.PAID:
                bonuses.bonus_mark_paid(
                    bonus=bonus, by=request.user, payroll_reference=data.get("payroll_reference", ""), audit=False
                )
            else:
                bonuses.bonus_forfeit(bonus=bonus, by=request.user, reason=data.get("forfeit_reason", ""), audit=False)
        except bonuses.BonusAlreadyMoved as moved:
            return error_response(status.HTTP_409_CONFLICT, "already_moved", moved.message, {"status": [moved.message]})
        fresh = self.get_queryset().get(pk=bonus.pk)
        return Response(BonusDetailSerializer(fresh, context=self.get_serializer_context()).data)
