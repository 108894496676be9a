from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.urls import reverse
from django.utils.html import format_html

from integrations.admin import secret_once_response
from integrations.audit import audit_admin_change

from . import services
from .models import ApiToken, Connection, ConnectionRequest, Division, Location, ServiceAccount, User
from .roles import SUPERUSER_ONLY_MESSAGE, employee_change_check, may_change_employee


@admin.register(Division, Location)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "updated_at"]
    search_fields = ["name", "code"]
    ordering = ["name"]


def _refuse(problem):
    if problem:
        raise forms.ValidationError(problem)


class EmployeeChangeForm(UserChangeForm):
    """The admin's change form, under the employee rules every channel applies (accounts.services):
    one address per employee, nobody their own manager, nobody deactivating themselves."""

    actor = None  # set per request by EmployeeAdmin.get_form

    def clean_email(self):
        email = self.cleaned_data.get("email")
        _refuse(services.employee_email_problem(email, employee=self.instance))
        return email

    def clean_manager(self):
        manager = self.cleaned_data.get("manager")
        _refuse(services.employee_manager_problem(self.instance, manager))
        return manager

    def clean_is_active(self):
        is_active = self.cleaned_data.get("is_active")
        _refuse(services.employee_deactivation_problem(actor=self.actor, employee=self.instance, is_active=is_active))
        return is_active


@admin.register(User)
class EmployeeAdmin(DjangoUserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "employee_id", "title", "division", "location", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "division", "location", "job_function"]
    search_fields = ["full_name", "email", "employee_id", "title"]
    list_select_related = ["division", "location"]
    autocomplete_fields = ["manager", "division", "location"]
    readonly_fields = ["date_joined", "last_login", "updated_at", "deactivated_at"]
    actions = ["deactivate_selected"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Employee",
            {"fields": ("full_name", "employee_id", "title", "job_function", "division", "location", "manager")},
        ),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Preferences", {"fields": ("notify_connection_requests", "notify_referrals", "digest_enabled")}),
        ("Dates", {"fields": ("date_joined", "last_login", "updated_at", "deactivated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "employee_id", "title", "job_function", "division", "location"),
                "description": "The employee sets a password through “Forgot your password?” on the sign-in page.",
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # HR staff run the directory, but only an administrator grants superuser status or
            # single permissions: otherwise `change_user` would let HR raise its own rights.
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_change_permission(self, request, obj=None):
        # Only a superuser changes a superuser (accounts.roles.may_change_employee): this also
        # closes the password view, which asks the same question.
        if obj is not None and not may_change_employee(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_change_employee(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            # Django's add form asks for passwords; provisioned employees choose their own.
            kwargs["form"] = self._provision_form()
        else:
            kwargs["form"] = EmployeeChangeForm
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a class made for this request: the self-deactivation rule asks who
        return form

    def _provision_form(self):
        class ProvisionForm(forms.ModelForm):
            class Meta:
                model = User
                fields = ["email", "full_name", "employee_id", "title", "job_function", "division", "location"]

            def clean_email(self):
                email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
                _refuse(services.employee_email_problem(email))
                return email

            def clean_employee_id(self):
                return (self.cleaned_data.get("employee_id") or "").strip() or None

            def save(self, commit=True):
                user = super().save(commit=False)
                user.set_unusable_password()
                if commit:
                    user.save()
                return user

        return ProvisionForm

    def save_model(self, request, obj, form, change):
        if change:
            employee_change_check(actor=request.user, employee=User.objects.get(pk=obj.pk))
        # Deactivation through the form must also revoke tokens, like every other channel.
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if not change or "email" in form.changed_data:
            services.employee_set_verified_email(obj)
        if deactivating:
            services.employee_deactivate(employee=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            self._audit_access(request, form)

    def _audit_access(self, request, form):
        """Granting or removing admin access (is_staff) or a group such as HR is an audited action."""
        employee = form.instance
        changes = {}
        if "is_staff" in form.changed_data:
            changes["is_staff"] = [bool(form.initial.get("is_staff")), employee.is_staff]
        before = sorted(g.name if hasattr(g, "name") else str(g) for g in form.initial.get("groups", []))
        after = sorted(employee.groups.values_list("name", flat=True))
        if before != after:
            changes["groups"] = [before, after]
        if changes:
            audit_admin_change(request=request, action="employee.access_change", instance=employee, changes=changes)

    @admin.action(description="Deactivate selected employees (revokes their tokens)")
    def deactivate_selected(self, request, queryset):
        count, refused, oneself = 0, 0, None
        for employee in queryset.filter(is_active=True):
            if not may_change_employee(request.user, employee):
                refused += 1
                continue
            problem = services.employee_deactivation_problem(actor=request.user, employee=employee, is_active=False)
            if problem:
                oneself = problem
                continue
            services.employee_deactivate(employee=employee)
            count += 1
        self.message_user(request, f"{count} employee(s) deactivated.", messages.SUCCESS)
        if refused:
            self.message_user(
                request, f"{refused} superuser(s) left as they are: {SUPERUSER_ONLY_MESSAGE}", messages.ERROR
            )
        if oneself:
            self.message_user(request, oneself, messages.ERROR)


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    """HR creates a service account here, then issues its token with an action: the plain token is
    shown once, on the page the action answers, and only its hash is stored."""

    list_display = ["name", "description", "is_active", "created_at"]
    search_fields = ["name"]
    list_filter = ["is_active"]
    actions = ["issue_token_hr", "issue_token_hr_read", "issue_token_hr_write", "issue_token_scim"]

    def _issue(self, request, queryset, scope):
        issued = []
        for account in queryset:
            if not account.is_active:
                self.message_user(request, f"{account} is disabled: no token issued.", messages.ERROR)
                continue
            token, plain = services.token_issue(
                service_account=account, scope=scope, name=f"issued in the admin by {request.user}"
            )
            issued.append({"label": f"{account} ({scope}, prefix {token.key_prefix})", "value": plain})
        if not issued:
            return None
        # The plain token is rendered in this answer only, never put in the (readable) messages cookie.
        return secret_once_response(
            request,
            title="New API token",
            intro=f"The new token(s) with scope {scope}:",
            secrets=issued,
            back_url=reverse("admin:accounts_serviceaccount_changelist"),
        )

    @admin.action(description="Issue a token with scope hr (read and write)", permissions=["change"])
    def issue_token_hr(self, request, queryset):
        return self._issue(request, queryset, ApiToken.Scope.HR)

    @admin.action(description="Issue a token with scope hr:read", permissions=["change"])
    def issue_token_hr_read(self, request, queryset):
        return self._issue(request, queryset, ApiToken.Scope.HR_READ)

    @admin.action(description="Issue a token with scope hr:write", permissions=["change"])
    def issue_token_hr_write(self, request, queryset):
        return self._issue(request, queryset, ApiToken.Scope.HR_WRITE)

    @admin.action(
        description="Issue a token with scope scim (an identity provider's SCIM client)", permissions=["change"]
    )
    def issue_token_scim(self, request, queryset):
        return self._issue(request, queryset, ApiToken.Scope.SCIM)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token` (the plain token is shown once, there)."""

    list_display = ["key_prefix", "name", "owner", "scope", "created_at", "last_used_at", "status"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["key_prefix", "name", "user__email", "service_account__name"]
    list_select_related = ["user", "service_account"]
    readonly_fields = ["key_prefix", "user", "service_account", "scope", "created_at", "last_used_at", "revoked_at"]
    fields = readonly_fields[:3] + ["name"] + readonly_fields[3:]
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Owner")
    def owner(self, token):
        return token.owner_label

    @admin.display(description="Status")
    def status(self, token):
        if token.revoked_at:
            return format_html('<span style="color:{}">revoked</span>', "#b42318")
        return "active"

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, "Tokens revoked.", messages.SUCCESS)


class NetworkReadOnlyAdmin(admin.ModelAdmin):
    """The network changes only through accounts/network/services.py (pairs of rows written together, the
    cooldown and the daily limit); here it is read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConnectionRequest)
class ConnectionRequestAdmin(NetworkReadOnlyAdmin):
    list_display = ["sender", "recipient", "status", "created_at", "responded_at"]
    list_filter = ["status"]
    search_fields = ["sender__email", "recipient__email"]
    list_select_related = ["sender", "recipient"]
    raw_id_fields = ["sender", "recipient"]


@admin.register(Connection)
class ConnectionAdmin(NetworkReadOnlyAdmin):
    list_display = ["from_user", "to_user", "created_at"]
    search_fields = ["from_user__email", "to_user__email"]
    list_select_related = ["from_user", "to_user"]
    raw_id_fields = ["from_user", "to_user"]
