"""The openings API: /api/v1/openings/. What the schema says of it is in schema.py, its filters
(shared with the portal's list) in filters.py."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.roles import is_service

from . import schema, services
from .filters import OpeningFilter
from .models import Opening, OpeningExclusion
from .serializers import OpeningSerializer


@schema.opening_viewset
class OpeningViewSet(viewsets.ModelViewSet):
    serializer_class = OpeningSerializer
    filterset_class = OpeningFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Opening.objects.visible_to(self.request.user)
            .select_related("division", "location")
            .prefetch_related(Prefetch("exclusions", queryset=OpeningExclusion.objects.only("opening_id", "user_id")))
        )

    def replay_check(self, opening, *, method):
        """An idempotent replay of a change is the caller's only while they may still change it."""
        if method in ("PATCH", "PUT") and not services.can_manage(self.request.user, opening):
            raise PermissionDenied("Only the poster or HR may change this opening.")

    def _manageable(self):
        opening = self.get_object()  # 404 when the caller may not see it
        if not services.can_manage(self.request.user, opening):
            raise PermissionDenied("Only the poster or HR may change this opening.")
        return opening

    def create(self, request, *args, **kwargs):
        if is_service(request.user):
            raise PermissionDenied("Openings are posted by employees, not by service tokens.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        excluded = data.pop("excluded", [])
        opening = services.opening_create(posted_by=request.user, excluded=excluded, **data)
        return Response(self.get_serializer(opening).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        opening = self._manageable()
        serializer = self.get_serializer(opening, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        excluded = data.pop("excluded", None)
        try:
            services.opening_update(opening=opening, by=request.user, excluded=excluded, **data)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=opening.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        opening = self._manageable()
        services.opening_delete(opening=opening, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
