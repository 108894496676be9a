from django import forms

from .models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notify_connection_requests", "notify_referrals", "digest_enabled"]
        labels = {
            "notify_connection_requests": "Connection requests",
            "notify_referrals": "Referrals",
            "digest_enabled": "Weekly digest",
        }
