"""Portal forms: they collect and label the fields; referrals/services.py decides."""

import django_filters
from django import forms

from accounts.models import Division

from .models import Referral
from .services import CANDIDATE_FIELDS

# The lengths come from CANDIDATE_FIELDS, which names the candidate's fields once; the labels and
# help are the portal's.
LIMIT = CANDIDATE_FIELDS


class ReferralForm(forms.Form):
    candidate_name = forms.CharField(label="Their name", max_length=LIMIT["candidate_name"])
    candidate_email = forms.EmailField(
        label="Their email",
        max_length=LIMIT["candidate_email"],
        help_text="If they work here, use their work email: the referral then counts as an internal move.",
    )
    candidate_phone = forms.CharField(label="Phone (optional)", max_length=LIMIT["candidate_phone"], required=False)
    candidate_profile_url = forms.URLField(
        label="Profile link (optional)",
        max_length=LIMIT["candidate_profile_url"],
        required=False,
        assume_scheme="https",
        help_text="LinkedIn, a portfolio or a CV online.",
    )
    relationship = forms.CharField(
        label="How do you know each other?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LIMIT["relationship"],
        help_text="Where you worked together, for how long, in which roles.",
    )
    why_fit = forms.CharField(
        label="Why do they fit?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=LIMIT["why_fit"],
        help_text="What you have seen them do that this role needs.",
    )
    consent_confirmed = forms.BooleanField(
        label="They agreed to be referred and to have these details shared with the hiring manager and HR.",
        required=False,
    )

    def clean_consent_confirmed(self):
        if not self.cleaned_data.get("consent_confirmed"):
            raise forms.ValidationError("Confirm that the candidate agreed to be referred.")
        return True


class InterestForm(forms.Form):
    why_fit = forms.CharField(
        label="Why are you interested?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=LIMIT["why_fit"],
        help_text="What you would bring, and what draws you to the role.",
    )
    candidate_phone = forms.CharField(label="Phone (optional)", max_length=LIMIT["candidate_phone"], required=False)


class MoveForm(forms.Form):
    """Move a referral on. The select offers the moves this viewer may make now; whatever comes
    back is judged by `referral_move`, so its message (an illegal move, an ended pipeline) is shown."""

    status = forms.CharField(
        label="Move to",
        max_length=16,
        widget=forms.Select,
        error_messages={"required": "Choose the stage to move them to."},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The referrer sees this comment.",
    )
    decline_reason = forms.CharField(
        label="Reason (when declining)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when declining; the referrer reads it.",
    )

    def __init__(self, *args, moves, **kwargs):
        super().__init__(*args, **kwargs)
        # No stage is pre-selected: a stray "Move" must not advance a candidate.
        self.fields["status"].widget.choices = [("", "Choose a stage…")] + [
            (value, Referral.Status(value).label) for value in moves
        ]
        self.fields["status"].widget.attrs.pop("maxlength", None)  # not an attribute of <select>


class AllReferralsFilter(django_filters.FilterSet):
    """HR's filters on every referral."""

    status = django_filters.ChoiceFilter(choices=Referral.Status.choices, empty_label="Any status")
    division = django_filters.ModelChoiceFilter(
        field_name="opening__division",
        queryset=Division.objects.all(),
        to_field_name="code",
        empty_label="All divisions",
    )
    opening = django_filters.NumberFilter(field_name="opening_id", label="Opening id")
    q = django_filters.CharFilter(method="search", label="Opening title")

    class Meta:
        model = Referral
        fields = ["status", "division", "opening", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(opening__title__icontains=value) if value else queryset


class StartDateForm(forms.Form):
    start_date = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The hire's first day. The referral bonus becomes eligible after the retention period.",
    )
