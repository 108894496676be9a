import django_filters
from django import forms
from django.db.models import Q

from accounts.models import Division, Location, User

from .models import Opening
from .services import EDITABLE_FIELDS

VISIBILITY_HELP = {
    Opening.Visibility.NETWORK: "Only people you are connected with. Quiet: your direct network.",
    Opening.Visibility.EXTENDED: "Your connections and the people they are connected with.",
    Opening.Visibility.COMPANY: "Every employee of the company.",
}


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

    def clean_excluded_emails(self):
        raw = self.cleaned_data.get("excluded_emails", "")
        emails = sorted({e.strip().lower() for e in raw.replace(",", "\n").split() if e.strip()})
        found = list(User.objects.active().filter(email__in=emails))
        missing = sorted(set(emails) - {u.email for u in found})
        if missing:
            raise forms.ValidationError(f"No active employee with: {', '.join(missing)}.")
        if any(u.pk == self.poster.pk for u in found):
            raise forms.ValidationError("You cannot hide an opening from yourself.")
        return found

    def opening_fields(self):
        data = dict(self.cleaned_data)
        data.pop("excluded_emails", None)
        return data


class OpeningFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    division = django_filters.ModelChoiceFilter(queryset=Division.objects.all(), to_field_name="code", empty_label="All divisions")
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.all(), to_field_name="code", empty_label="All locations")
    visibility = django_filters.ChoiceFilter(choices=Opening.Visibility.choices, empty_label="Any visibility")
    employment_type = django_filters.ChoiceFilter(choices=Opening.EmploymentType.choices, empty_label="Any type")

    class Meta:
        model = Opening
        fields = ["q", "division", "location", "visibility", "employment_type"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
