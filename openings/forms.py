from django import forms
from django.conf import settings

from accounts.models import User

from .models import Opening
from .services import EDITABLE_FIELDS


class OpeningForm(forms.ModelForm):
    excluded_emails = forms.CharField(
        label="Hide from",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "name@example.com, one per line"}),
        help_text="Email addresses of colleagues who must never see this opening (the person being replaced, say).",
    )

    class Meta:
        model = Opening
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "visibility": forms.RadioSelect,
            "closes_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 10}),
        }
        labels = {"referral_bonus_amount": "Referral bonus", "referral_bonus_currency": "Currency"}

    def __init__(self, *args, poster, **kwargs):
        super().__init__(*args, **kwargs)
        self.poster = poster
        if self.instance.pk and not self.is_bound:
            emails = self.instance.exclusions.select_related("user").values_list("user__email", flat=True)
            self.initial["excluded_emails"] = "\n".join(emails)
        if not self.instance.pk:
            # A new opening is most often in the poster's own division and location.
            self.initial.setdefault("division", poster.division_id)
            self.initial.setdefault("location", poster.location_id)
            self.initial.setdefault("referral_bonus_currency", settings.DEFAULT_BONUS_CURRENCY)

    def clean_excluded_emails(self):
        return parse_excluded_emails(self.cleaned_data.get("excluded_emails", ""), poster=self.poster)

    def opening_fields(self):
        data = dict(self.cleaned_data)
        data.pop("excluded_emails", None)
        return data


def parse_excluded_emails(raw, *, poster):
    """The "Hide from" list: active employees by email (comma or line separated), never the poster.

    Raises ValidationError naming every address that matches no active employee.
    """
    emails = sorted({e.strip().lower() for e in raw.replace(",", "\n").split() if e.strip()})
    found = list(User.objects.active().filter(email__in=emails))
    missing = sorted(set(emails) - {u.email for u in found})
    if missing:
        raise forms.ValidationError(f"No active employee with: {', '.join(missing)}.")
    if any(u.pk == poster.pk for u in found):
        raise forms.ValidationError("You cannot hide an opening from yourself.")
    return found


class AudiencePreviewForm(forms.Form):
    """What the live audience preview reads: the visibility and the "Hide from" list as typed."""

    visibility = forms.ChoiceField(choices=Opening.Visibility.choices)
    excluded_emails = forms.CharField(required=False, max_length=20000)

    def __init__(self, *args, poster, **kwargs):
        super().__init__(*args, **kwargs)
        self.poster = poster

    def clean_excluded_emails(self):
        return parse_excluded_emails(self.cleaned_data.get("excluded_emails", ""), poster=self.poster)
