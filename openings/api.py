from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api import ERROR_RESPONSES

from . import services
from .filters import OpeningFilter
from .models import Opening, OpeningExclusion
from .serializers import OpeningSerializer

OPENING_EXAMPLE = OpenApiExample(
    "An opening",
    value={
        "title": "Senior Data Analyst",
        "description": "Join the pricing team.\n\nMore: https://intranet.example.com/pricing",
        "division": "finance",
        "location": "berlin",
        "employment_type": "full_time",
        "work_arrangement": "hybrid",
        "visibility": "network",
        "status": "open",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="Openings the caller may see", responses={200: OpeningSerializer(many=True), **ERROR_RESPONSES}
    ),
    retrieve=extend_schema(
        summary="An opening the caller may see", responses={200: OpeningSerializer, **ERROR_RESPONSES}
    ),
    create=extend_schema(
        summary="Post an opening (posted_by is the caller)",
        examples=[OPENING_EXAMPLE],
        responses={201: OpeningSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change an opening (poster or HR)",
        description="Status moves draft→open, open→closed, closed→open. Others get 404 if they cannot see it, 403 if they can.",
        examples=[
            OpenApiExample("Close it", value={"status": "closed"}, request_only=True),
            OpenApiExample(
                "Widen the audience", value={"visibility": "extended", "closes_on": "2026-12-31"}, request_only=True
            ),
        ],
        responses={200: OpeningSerializer, **ERROR_RESPONSES},
    ),
    destroy=extend_schema(summary="Delete an opening (poster or HR)", responses={204: None, **ERROR_RESPONSES}),
)
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
        if getattr(request.user, "is_service", False):
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
