from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from . import services
from .models import DigestDelivery, Opening, OpeningExclusion


class ExclusionInline(admin.TabularInline):
    """Read-only here: the exclusion list changes through the opening's form in the portal, where
    the rules apply and the poster is told who keeps following a referral."""

    model = OpeningExclusion
    fields = ["user"]
    readonly_fields = ["user"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OpeningAdminForm(forms.ModelForm):
    class Meta:
        model = Opening
        fields = list(services.EDITABLE_FIELDS)

    def clean(self):
        data = super().clean()
        fields = {name: data[name] for name in self.changed_data if name in services.EDITABLE_FIELDS and name in data}
        try:
            services.opening_fields_check(opening=self.instance, fields=fields)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        return data


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin):
    """HR's view of every opening. Every write goes through openings/services.py: the fields an
    opening's form may change (with the transition checks, the webhook event and the audit trail of
    the services), status through the Close/Reopen actions; the poster, who owns the candidates'
    data, is never reassigned here, and openings are posted in the portal or through the API."""

    form = OpeningAdminForm
    list_display = ["title", "posted_by", "division", "location", "visibility", "status", "opened_at", "closes_on"]
    list_filter = ["status", "visibility", "employment_type", "work_arrangement", "division", "location"]
    search_fields = ["title", "description", "posted_by__email", "posted_by__full_name"]
    list_select_related = ["posted_by", "division", "location"]
    readonly_fields = ["posted_by", "status", "opened_at", "created_at", "updated_at"]
    inlines = [ExclusionInline]
    date_hierarchy = "created_at"
    actions = ["close_selected", "reopen_selected"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        try:
            services.opening_update(opening=Opening.objects.get(pk=obj.pk), by=request.user, **fields)
        except ValidationError as error:  # checked by the form already; a race is refused, not a 500
            raise PermissionDenied("; ".join(error.messages)) from None

    def save_related(self, request, form, formsets, change):
        pass  # the exclusion inline is read-only; nothing else is related

    def delete_model(self, request, obj):
        try:
            services.opening_delete(opening=obj, by=request.user)
        except ValidationError as error:
            raise PermissionDenied("; ".join(error.messages)) from None

    def delete_queryset(self, request, queryset):
        for opening in queryset:
            self.delete_model(request, opening)

    def _set_status(self, request, queryset, status):
        done, refused = 0, []
        for opening in queryset:
            try:
                services.opening_set_status(opening=opening, by=request.user, status=status)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                refused.append(f"{opening}: {'; '.join(getattr(error, 'messages', [str(error)]))}")
        if done:
            self.message_user(request, f"{done} opening(s) now {status}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Close selected openings", permissions=["change"])
    def close_selected(self, request, queryset):
        self._set_status(request, queryset, Opening.Status.CLOSED)

    @admin.action(description="Open or reopen selected openings", permissions=["change"])
    def reopen_selected(self, request, queryset):
        self._set_status(request, queryset, Opening.Status.OPEN)


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["week", "user", "status", "openings_count", "attempts", "holder", "lease_until", "sent_at"]
    list_filter = ["week", "status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in DigestDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
