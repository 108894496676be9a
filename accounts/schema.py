"""What the OpenAPI schema says about the accounts API (api.py): its authentication scheme, and
each view's documentation as a decorator applied to the view by name (`@schema.division_viewset`),
so the views keep to their code. The network's endpoints have theirs in network/schema.py.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api import ERROR_RESPONSES

from .serializers import DivisionSerializer, EmployeeSerializer, LocationSerializer, MeSerializer


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `python manage.py issue_token`: personal (acts as the employee) "
            "or a service token scoped `hr`.",
        }


me_view = extend_schema(responses={200: MeSerializer, **ERROR_RESPONSES}, summary="The caller as an employee")

division_viewset = extend_schema_view(
    list=extend_schema(summary="List divisions", responses={200: DivisionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="A division", responses={200: DivisionSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Create a division (scope hr)",
        examples=[OpenApiExample("A division", value={"code": "finance", "name": "Finance"}, request_only=True)],
        responses={201: DivisionSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a division (scope hr)",
        examples=[OpenApiExample("Rename", value={"name": "Finance & Controlling"}, request_only=True)],
        responses={200: DivisionSerializer, **ERROR_RESPONSES},
    ),
)

location_viewset = extend_schema_view(
    list=extend_schema(summary="List locations", responses={200: LocationSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="A location", responses={200: LocationSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Create a location (scope hr)",
        examples=[OpenApiExample("A location", value={"code": "berlin", "name": "Berlin"}, request_only=True)],
        responses={201: LocationSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a location (scope hr)",
        examples=[OpenApiExample("Rename", value={"name": "Berlin Mitte"}, request_only=True)],
        responses={200: LocationSerializer, **ERROR_RESPONSES},
    ),
)

employee_viewset = extend_schema_view(
    list=extend_schema(
        summary="The employee directory", responses={200: EmployeeSerializer(many=True), **ERROR_RESPONSES}
    ),
    retrieve=extend_schema(summary="An employee", responses={200: EmployeeSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Provision an employee (scope hr)",
        examples=[
            OpenApiExample(
                "A new employee",
                value={
                    "email": "lena.fischer@example.com",
                    "full_name": "Lena Fischer",
                    "employee_id": "E100877",
                    "title": "Senior Data Analyst",
                    "job_function": "Data Analysis",
                    "division": "finance",
                    "location": "berlin",
                },
                request_only=True,
            )
        ],
        responses={201: EmployeeSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change or deactivate an employee (scope hr)",
        description="`is_active: false` deactivates: the employee can no longer sign in and their tokens are revoked.",
        examples=[
            OpenApiExample("A new title", value={"title": "Lead Data Analyst"}, request_only=True),
            OpenApiExample("A leaver", value={"is_active": False}, request_only=True),
        ],
        responses={200: EmployeeSerializer, **ERROR_RESPONSES},
    ),
)
