"""SAML 2.0 sign-in through django-allauth's SAML provider (python3-saml, xmlsec), configured
from the environment alone. Unset, SAML is off and nothing about it shows.

The variables (README, "SAML sign-in"):
- the IdP: SAML_IDP_METADATA_URL (with SAML_IDP_ENTITY_ID), or SAML_IDP_METADATA_XML (the XML, or
  a path to a file holding it), or SAML_IDP_ENTITY_ID + SAML_IDP_SSO_URL + SAML_IDP_X509CERT;
- SAML_IDP_NAME, shown as "Sign in with <name>"; SAML_SP_ENTITY_ID (default: this site's metadata
  URL); SAML_ORGANIZATION (the slug in /accounts/saml/<slug>/..., default "company");
- SAML_ATTRIBUTE_MAPPING: a JSON object {"email": ..., "first_name": ..., "last_name": ...}
  naming the IdP's attributes (a name or a list of names); the default knows Entra ID's, Okta's
  usual and the OID names.

Who may come in is accounts.adapters.SocialAccountAdapter's rule, shared with OIDC: existing
employees matched by email; sign-up only with SAML_ALLOW_SIGNUP and an ALLOWED_SIGNUP_DOMAINS
address; a deactivated employee gets the inactive page. A response is accepted only if signed,
addressed to this SP (audience, destination), in its validity window and answering a request
this browser started (allauth's one-time state, which also makes a replayed response fail).
"""

import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEFAULT_ATTRIBUTE_MAPPING = {
    "email": [
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "email",
        "mail",
    ],
    "first_name": [
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "urn:oid:2.5.4.42",
        "firstName",
        "givenName",
    ],
    "last_name": [
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "urn:oid:2.5.4.4",
        "lastName",
        "sn",
    ],
}


def _idp_from_metadata_xml(text, entity_id):
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    if not text.lstrip().startswith("<"):
        path = Path(text)
        if not path.is_file():
            raise ImproperlyConfigured(f"SAML_IDP_METADATA_XML is neither XML nor a readable file: {text!r}.")
        text = path.read_text()
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(text, entity_id=entity_id or None).get("idp", {})
    except Exception as error:  # python3-saml raises lxml's and its own errors alike
        raise ImproperlyConfigured(f"SAML_IDP_METADATA_XML could not be read: {error}") from error
    cert = parsed.get("x509cert") or (parsed.get("x509certMulti", {}).get("signing") or [None])[0]
    sso_url = parsed.get("singleSignOnService", {}).get("url")
    if not (parsed.get("entityId") and sso_url and cert):
        raise ImproperlyConfigured("SAML_IDP_METADATA_XML lacks the IdP's entity id, SSO URL or signing certificate.")
    return {"entity_id": parsed["entityId"], "sso_url": sso_url, "x509cert": cert}


def _idp(environ):
    entity_id = environ.get("SAML_IDP_ENTITY_ID", "").strip()
    metadata_url = environ.get("SAML_IDP_METADATA_URL", "").strip()
    metadata_xml = environ.get("SAML_IDP_METADATA_XML", "").strip()
    if metadata_url:
        if not entity_id:
            raise ImproperlyConfigured("SAML_IDP_METADATA_URL needs SAML_IDP_ENTITY_ID (the IdP's entity id).")
        return {"entity_id": entity_id, "metadata_url": metadata_url}
    if metadata_xml:
        return _idp_from_metadata_xml(metadata_xml, entity_id)
    sso_url = environ.get("SAML_IDP_SSO_URL", "").strip()
    cert = environ.get("SAML_IDP_X509CERT", "").strip()
    if not (sso_url and cert):
        raise ImproperlyConfigured(
            "SAML_IDP_ENTITY_ID alone is not enough: give SAML_IDP_METADATA_URL, SAML_IDP_METADATA_XML, or "
            "SAML_IDP_SSO_URL and SAML_IDP_X509CERT."
        )
    return {"entity_id": entity_id, "sso_url": sso_url, "x509cert": cert}


def _attribute_mapping(environ):
    raw = environ.get("SAML_ATTRIBUTE_MAPPING", "").strip()
    if not raw:
        return DEFAULT_ATTRIBUTE_MAPPING
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"SAML_ATTRIBUTE_MAPPING is not JSON: {error}") from error
    if not isinstance(mapping, dict) or "email" not in mapping:
        raise ImproperlyConfigured('SAML_ATTRIBUTE_MAPPING must be a JSON object with at least "email".')
    return mapping


def saml_provider_settings(environ):
    """allauth's SOCIALACCOUNT_PROVIDERS["saml"] from the environment, or None when SAML is off
    (none of SAML_IDP_METADATA_URL, SAML_IDP_METADATA_XML, SAML_IDP_ENTITY_ID set). A half-done
    configuration fails at start-up with ImproperlyConfigured naming what is missing."""
    if not any(
        environ.get(name, "").strip()
        for name in ("SAML_IDP_METADATA_URL", "SAML_IDP_METADATA_XML", "SAML_IDP_ENTITY_ID")
    ):
        return None
    idp = _idp(environ)
    app_settings = {
        "idp": idp,
        "attribute_mapping": _attribute_mapping(environ),
        # The IdP is the company's directory: the address it vouches for is verified, which is
        # what lets allauth match the employee by email.
        "verified_email": True,
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "reject_idp_initiated_sso": True,
            "reject_deprecated_algorithm": True,
        },
    }
    sp_entity_id = environ.get("SAML_SP_ENTITY_ID", "").strip()
    if sp_entity_id:
        app_settings["sp"] = {"entity_id": sp_entity_id}
    return {
        "APPS": [
            {
                "name": environ.get("SAML_IDP_NAME", "").strip() or "company SSO",
                "provider_id": idp["entity_id"],
                "client_id": environ.get("SAML_ORGANIZATION", "").strip() or "company",
                "settings": app_settings,
            }
        ]
    }
