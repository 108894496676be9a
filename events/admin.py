from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from . import services
from .models import Attendance, Event


class AttendanceInline(admin.TabularInline):
    """Read-only: attendees come from HR systems, the organiser or the check-in link (services)."""

    model = Attendance
    fields = ["employee", "how", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = list(services.EDITABLE_FIELDS)

    def clean(self):
        data = super().clean()
        fields = {name: data.get(name) for name in services.EDITABLE_FIELDS if name in data}
        try:
            services.event_fields_check(event=self.instance if self.instance.pk else None, fields=fields)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        return data


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """HR's view of every event. Every write goes through events/services.py (the rules and the
    audit row); the attendee list is read-only here."""

    form = EventAdminForm
    list_display = ["title", "kind", "starts_at", "ends_at", "location", "online", "organiser", "source"]
    list_filter = ["kind", "online", "location"]
    search_fields = ["title", "external_id", "organiser__email", "organiser__full_name"]
    list_select_related = ["location", "organiser"]
    readonly_fields = ["organiser", "external_id", "source", "created_at", "updated_at"]
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        try:
            if change:
                services.event_update(event=Event.objects.get(pk=obj.pk), by=request.user, request=request, **fields)
            else:
                created = services.event_create(by=request.user, request=request, **fields)
                obj.pk = created.pk
        except ValidationError as error:  # checked by the form already; a race is refused, not a 500
            raise PermissionDenied("; ".join(error.messages)) from None

    def save_related(self, request, form, formsets, change):
        pass  # the attendee inline is read-only

    def delete_model(self, request, obj):
        services.event_delete(event=obj, by=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for event in queryset:
            services.event_delete(event=event, by=request.user, request=request)
