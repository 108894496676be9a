"""What the OpenAPI schema says about the openings API (api.py), kept apart from the views' code.

Each decorator here is applied by name to the view it documents: `@schema.opening_viewset`.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api import ERROR_RESPONSES

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

opening_viewset = extend_schema_view(
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
