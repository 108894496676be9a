"""The accounts API: /me/, /divisions/, /locations/ and /employees/. What the schema says of each
view is in schema.py; the network's endpoints are in network/api.py."""

import django_filters
from django.db.models import Q
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import RetrieveAPIView

from config.api import IsoDateTimeFilter

from . import schema, services
from .models import Division, Location, User
from .roles import can_act, can_manage_employees, employee_change_check, has_scope, is_employee, is_service
from .serializers import DivisionSerializer, EmployeeSerializer, LocationSerializer, MeSerializer


class ReadForAllWriteForHR(permissions.BasePermission):
    """Any signed-in caller reads the directory; only HR (group or service scope) writes it."""

    message = "Only HR may change the directory."

    def has_permission(self, request, view):
        if not can_act(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            # A service token reads the directory only with scope hr:read (or hr).
            return not is_service(request.user) or has_scope(request.user, "accounts.view_user")
        return can_manage_employees(request.user)


class IsEmployee(permissions.BasePermission):
    message = "A service token does not act as an employee."

    def has_permission(self, request, view):
        return is_employee(request.user)


@schema.me_view
class MeView(RetrieveAPIView):
    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated, IsEmployee]

    def get_object(self):
        return User.objects.select_related("division", "location").get(pk=self.request.user.pk)


class OrgUnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [ReadForAllWriteForHR]
    http_method_names = ["get", "post", "patch", "head", "options"]


@schema.division_viewset
class DivisionViewSet(OrgUnitViewSet):
    queryset = Division.objects.all()
    serializer_class = DivisionSerializer


@schema.location_viewset
class LocationViewSet(OrgUnitViewSet):
    queryset = Location.objects.all()
    serializer_class = LocationSerializer


class EmployeeFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(field_name="division__code", help_text="Division code.")
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code.")
    job_function = django_filters.CharFilter(field_name="job_function", lookup_expr="iexact")
    q = django_filters.CharFilter(method="search", help_text="Search in name, email and title.")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    is_active = django_filters.BooleanFilter(help_text="HR only; others always see active employees.")

    class Meta:
        model = User
        fields = ["division", "location", "job_function", "q", "updated_since", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value) | Q(title__icontains=value))


@schema.employee_viewset
class EmployeeViewSet(OrgUnitViewSet):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter

    def get_queryset(self):
        queryset = User.objects.select_related("division", "location").prefetch_related("skills")
        user = self.request.user
        if can_manage_employees(user) or has_scope(user, "accounts.view_user"):
            return queryset
        # Leavers are out of the directory for everyone but HR (readers included: a sync must see them).
        return queryset.active()

    def perform_create(self, serializer):
        serializer.instance = services.employee_create(**serializer.validated_data)

    def perform_update(self, serializer):
        employee = serializer.instance
        employee_change_check(actor=self.request.user, employee=employee)
        problem = services.employee_deactivation_problem(
            actor=self.request.user, employee=employee, is_active=serializer.validated_data.get("is_active")
        )
        if problem:
            raise PermissionDenied(problem)
        serializer.instance = services.employee_update(employee=employee, **serializer.validated_data)
