from allauth.account import forms as allauth_forms
from django import forms
from django.core.exceptions import ValidationError

from .adapters import validate_company_address
from .models import User
from .services import SKILL_MAX_LENGTH, SKILLS_MAX, WHAT_I_DO_MAX_LENGTH, skills_clean


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up form, open only to addresses in ALLOWED_SIGNUP_DOMAINS."""

    def clean_email(self):
        validate_company_address(self.cleaned_data["email"])
        return super().clean_email()


class AddEmailForm(allauth_forms.AddEmailForm):
    """An employee may add only company addresses: any verified address becomes a sign-in."""

    def clean_email(self):
        validate_company_address(self.cleaned_data["email"])
        return super().clean_email()


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notify_connection_requests", "notify_referrals", "digest_enabled"]
        labels = {
            "notify_connection_requests": "Connection requests",
            "notify_referrals": "Referrals",
            "digest_enabled": "Weekly digest",
        }


class ProfileForm(forms.Form):
    """An employee's own profile. The rules are accounts.services' (skills_clean, profile_update)."""

    what_i_do = forms.CharField(
        label="What I do",
        required=False,
        max_length=WHAT_I_DO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"How you contribute: your team, your work, what you are good at. Up to {WHAT_I_DO_MAX_LENGTH} characters.",
    )
    skills = forms.CharField(
        label="Skills",
        required=False,
        # Room for SKILLS_MAX skills and their commas; the rule itself is skills_clean's.
        max_length=SKILLS_MAX * (SKILL_MAX_LENGTH + 2),
        widget=forms.TextInput(attrs={"list": "skill-options", "autocomplete": "off"}),
        help_text=f"Up to {SKILLS_MAX}, separated by commas, e.g. SQL, forecasting, Python.",
    )
    open_to_talk = forms.BooleanField(
        label="Happy to talk about my role",
        required=False,
        help_text="Colleagues curious about your team may ask you for an informational conversation. "
        "This is not a job application.",
    )

    def clean_skills(self):
        try:
            return skills_clean(self.cleaned_data["skills"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["skills"]) from None
