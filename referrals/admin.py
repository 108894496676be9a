from django.contrib import admin, messages

from . import services
from .models import BonusEvent, Referral, ReferralBonus, ReferralEvent


class ReferralEventInline(admin.TabularInline):
    """The history, read-only: it is append-only and written by the services alone."""

    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "by_service", "comment"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """HR's view of every referral. Status moves through the portal or the API, where the
    pipeline's rules apply, so nothing here is editable; HR may erase a candidate's data on request."""

    list_display = [
        "candidate_name",
        "opening",
        "referrer",
        "status",
        "is_self_referral",
        "created_at",
        "status_changed_at",
    ]
    list_filter = ["status", "is_self_referral", "opening__division", "created_at"]
    search_fields = ["candidate_name", "candidate_email", "referrer__email", "referrer__full_name", "opening__title"]
    list_select_related = ["opening", "referrer"]
    date_hierarchy = "created_at"
    inlines = [ReferralEventInline]
    actions = ["erase_personal_data"]
    readonly_fields = [f.name for f in Referral._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing the change page needs view permission only; nothing on it can be saved.
        return False

    @admin.action(description="Erase the candidate's personal data now", permissions=["view"])
    def erase_personal_data(self, request, queryset):
        if not request.user.has_perm("referrals.change_referral"):
            self.message_user(request, "You may not change referrals.", messages.ERROR)
            return
        erased = sum(services.referral_erase_personal_data(referral=referral) for referral in queryset)
        self.message_user(
            request, f"Erased the personal data of {erased} referral{'s' if erased != 1 else ''}.", messages.SUCCESS
        )


class BonusEventInline(admin.TabularInline):
    """The bonus's history, read-only: append-only, written by referrals/bonuses.py alone."""

    model = BonusEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "by_service", "reference", "comment"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReferralBonus)
class ReferralBonusAdmin(admin.ModelAdmin):
    """HR's read-only view of the bonuses; they move on /hr/bonuses/ or through the API, where the
    lifecycle's rules, webhooks and the audit log apply."""

    list_display = ["referral", "amount", "currency", "status", "start_date", "eligible_on", "payroll_reference"]
    list_filter = ["status", "referral__opening__division", "eligible_on"]
    search_fields = ["referral__referrer__email", "referral__referrer__full_name", "payroll_reference"]
    list_select_related = ["referral"]
    inlines = [BonusEventInline]
    readonly_fields = [f.name for f in ReferralBonus._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
