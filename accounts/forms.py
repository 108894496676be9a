from allauth.account import forms as allauth_forms
from django import forms

from .adapters import validate_company_address
from .models import User


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
