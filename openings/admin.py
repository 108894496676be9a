from django.contrib import admin

from .models import DigestDelivery, Opening, OpeningExclusion


class ExclusionInline(admin.TabularInline):
    model = OpeningExclusion
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin):
    list_display = ["title", "posted_by", "division", "location", "visibility", "status", "opened_at", "closes_on"]
    list_filter = ["status", "visibility", "employment_type", "work_arrangement", "division", "location"]
    search_fields = ["title", "description", "posted_by__email", "posted_by__full_name"]
    list_select_related = ["posted_by", "division", "location"]
    raw_id_fields = ["posted_by"]
    readonly_fields = ["opened_at", "created_at", "updated_at"]
    inlines = [ExclusionInline]
    date_hierarchy = "created_at"


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["week", "user", "status", "openings_count", "attempts", "holder", "lease_until", "sent_at"]
    list_filter = ["week", "status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in DigestDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
