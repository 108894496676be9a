from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.shortcuts import render


def email_domain_allowed(email):
    """Sign-up is open only to addresses in ALLOWED_SIGNUP_DOMAINS; an empty list closes it."""
    domain = (email or "").rsplit("@", 1)[-1].strip().lower()
    return bool(domain) and domain in settings.ALLOWED_SIGNUP_DOMAINS


def validate_company_address(email):
    """A new address (sign-up, an added address) must be in ALLOWED_SIGNUP_DOMAINS.

    The rule is applied by the forms that claim a new address (accounts.forms), not by the
    adapter's `clean_email` hook: allauth also runs that hook on the password-reset form, where it
    would stop HR-provisioned employees from ever setting their first password.
    """
    if not email_domain_allowed(email):
        raise forms.ValidationError(
            "Sign-up is open to company addresses only. Ask HR if your address should work.",
            code="domain_not_allowed",
        )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return bool(settings.ALLOWED_SIGNUP_DOMAINS)

    def clean_email(self, email):
        # allauth runs this hook on sign-up, on adding an address and on the password-reset form,
        # so it must not carry the domain rule (see validate_company_address).
        return super().clean_email(email).lower()

    def populate_username(self, request, user):
        # There are no usernames: the email address is the login.
        return None

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        if not user.full_name:
            user.full_name = user.email.split("@")[0].replace(".", " ").title()
        if commit:
            user.save()
        return user


SSO_SIGNUP_SETTINGS = {"saml": "SAML_ALLOW_SIGNUP"}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        """Through SSO (OIDC, SAML), only employees who already exist come in, unless the
        provider's sign-up setting is on (OIDC_ALLOW_SIGNUP, SAML_ALLOW_SIGNUP); then only
        addresses in ALLOWED_SIGNUP_DOMAINS, as for every other sign-up.

        Existing employees (provisioned by SCIM, the API or the CSV import) are matched by their
        verified email (allauth's email authentication), so they need no separate sign-up.
        """
        email = (sociallogin.user.email or "").lower()
        setting = SSO_SIGNUP_SETTINGS.get(getattr(sociallogin.provider, "id", ""), "OIDC_ALLOW_SIGNUP")
        return bool(getattr(settings, setting, False)) and email_domain_allowed(email)

    def pre_social_login(self, request, sociallogin):
        """A deactivated employee is refused through SSO with the inactive page, before allauth
        would send them to a sign-up page that cannot help them."""
        from .models import User

        email = (sociallogin.user.email or "").strip()
        user = sociallogin.user if sociallogin.is_existing else None
        if user is None and email:
            user = User.objects.filter(email__iexact=email).first()
        if user is not None and user.pk and not user.is_active:
            raise ImmediateHttpResponse(render(request, "account/account_inactive.html", status=403))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = " ".join(filter(None, [data.get("first_name"), data.get("last_name")])) or data.get("name")
        user.full_name = name or (user.email or "").split("@")[0]
        return user
