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


def _org_unit_viewset(kind, plural, serializer, example, renamed):
    """Divisions and locations are documented alike: `example` a new one, `renamed` its new name."""
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: serializer(many=True), **ERROR_RESPONSES}),
        retrieve=extend_schema(summary=f"A {kind}", responses={200: serializer, **ERROR_RESPONSES}),
        create=extend_schema(
            summary=f"Create a {kind} (scope hr)",
            examples=[OpenApiExample(f"A {kind}", value=example, request_only=True)],
            responses={201: serializer, **ERROR_RESPONSES},
        ),
        partial_update=extend_schema(
            summary=f"Change a {kind} (scope hr)",
            examples=[OpenApiExample("Rename", value={"name": renamed}, request_only=True)],
            responses={200: serializer, **ERROR_RESPONSES},
        ),
    )


division_viewset = _org_unit_viewset(
    "division", "divisions", DivisionSerializer, {"code": "finance", "name": "Finance"}, "Finance & Controlling"
)
location_viewset = _org_unit_viewset(
    "location", "locations", LocationSerializer, {"code": "berlin", "name": "Berlin"}, "Berlin Mitte"
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
