"""SAML 2.0 sign-in through allauth's SAML provider (accounts/saml.py, accounts/adapters.py).

The tests play the identity provider: a key pair and certificate made here, and signed responses
built for the request the SP sends, so that python3-saml and xmlsec check them for real.
"""

import base64
import datetime
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from accounts.models import User
from accounts.saml import saml_provider_settings

IDP_ENTITY_ID = "https://idp.example.com/saml/metadata"
IDP_SSO_URL = "https://idp.example.com/saml/sso"
SP_ENTITY_ID = "https://referrals.example.com/saml"
HOST = "referrals.example.com"  # python3-saml wants a dotted host in the SP's URLs
ACS_URL = f"http://{HOST}/accounts/saml/company/acs/"
LOGIN_URL = "/accounts/saml/company/login/"
EMAIL_ATTRIBUTE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


def key_pair(common_name="Test IdP"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def idp_keys():
    return key_pair()


@pytest.fixture
def saml(idp_keys, settings, client):
    _, cert = idp_keys
    client.defaults["HTTP_HOST"] = HOST  # a browser sends Host; python3-saml reads it
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    provider = saml_provider_settings(
        {
            "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
            "SAML_IDP_SSO_URL": IDP_SSO_URL,
            "SAML_IDP_X509CERT": cert,
            "SAML_IDP_NAME": "Contoso Okta",
            "SAML_SP_ENTITY_ID": SP_ENTITY_ID,
        }
    )
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": provider}
    return provider


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_login(client):
    """The SP's side: the sign-in button; returns the AuthnRequest id the IdP must answer."""
    response = client.post(LOGIN_URL)
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == IDP_SSO_URL
    request_xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(parse_qs(location.query)["SAMLRequest"][0]).decode()
    return re.search(r'ID="([^"]+)"', request_xml).group(1)


def idp_response(keys, *, request_id, email, audience=SP_ENTITY_ID, lifetime=5, issued_ago=0, tamper=False):
    """A SAML Response as the IdP would POST it, its assertion signed with `keys`."""
    key_pem, cert_pem = keys
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=issued_ago)
    until = now + datetime.timedelta(minutes=lifetime)
    assertion_id, response_id = "_" + uuid.uuid4().hex, "_" + uuid.uuid4().hex
    assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" Version="2.0" IssueInstant="{iso(now)}">
<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{iso(until)}" Recipient="{ACS_URL}" InResponseTo="{request_id}"/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{iso(now - datetime.timedelta(minutes=1))}" NotOnOrAfter="{iso(until)}">
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{iso(now)}" SessionIndex="{assertion_id}">
<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
</saml:AuthnStatement>
<saml:AttributeStatement>
<saml:Attribute Name="{EMAIL_ATTRIBUTE}"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"><saml:AttributeValue>Given</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"><saml:AttributeValue>Family</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement>
</saml:Assertion>"""
    signed = OneLogin_Saml2_Utils.add_sign(
        assertion,
        key_pem,
        cert_pem,
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    ).decode()
    signed = signed.split("?>", 1)[-1].strip() if signed.startswith("<?xml") else signed
    if tamper:  # change what the signature covers after signing
        signed = signed.replace(
            "<saml:AttributeValue>Given</saml:AttributeValue>", "<saml:AttributeValue>Mallory</saml:AttributeValue>"
        )
    response = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{iso(now)}" Destination="{ACS_URL}" InResponseTo="{request_id}">
<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{signed}
</samlp:Response>"""
    return base64.b64encode(response.encode()).decode()


def post_to_acs(client, saml_response):
    """The browser's side: POST the response to the ACS, then follow allauth's redirect."""
    response = client.post(urlsplit(ACS_URL).path, {"SAMLResponse": saml_response})
    assert response.status_code == 302
    return client.get(response["Location"])


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def test_the_sign_in_page_offers_the_idp(client, db, saml):
    response = client.get("/accounts/login/")

    assert "Sign in with Contoso Okta" in response.content.decode()


def test_without_configuration_saml_is_off(client, db):
    assert saml_provider_settings({}) is None
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get(LOGIN_URL).status_code == 404


def test_a_valid_response_signs_the_employee_in(client, poster, saml, idp_keys):
    request_id = start_login(client)

    response = post_to_acs(client, idp_response(idp_keys, request_id=request_id, email="Poster@Example.com"))

    assert response.status_code == 302, response.content
    assert response["Location"] == "/"
    assert signed_in_as(client) == str(poster.pk)
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("bad signature", "Signature validation failed"),
        ("signed by another key", "Signature validation failed"),
        ("expired", "expired"),
        ("wrong audience", "not a valid audience"),
        ("unsolicited (no request from this browser)", None),
    ],
)
def test_a_bad_response_is_refused(client, poster, saml, idp_keys, caplog, case, reason):
    request_id = start_login(client)
    kwargs = {"request_id": request_id, "email": "poster@example.com"}
    keys = idp_keys
    if case == "bad signature":
        kwargs["tamper"] = True
    elif case == "signed by another key":
        keys = key_pair("Mallory")
    elif case == "expired":
        kwargs.update(issued_ago=30, lifetime=5)
    elif case == "wrong audience":
        kwargs["audience"] = "https://elsewhere.example.com/saml"
    else:
        kwargs["request_id"] = "_not-a-request-this-browser-made"

    response = post_to_acs(client, idp_response(keys, **kwargs))

    assert response.status_code in (401, 403)
    if reason:
        assert reason in caplog.text
    assert signed_in_as(client) is None
    assert client.get("/settings/").status_code == 302


def test_a_replayed_response_is_refused(client, poster, saml, idp_keys):
    request_id = start_login(client)
    captured = idp_response(idp_keys, request_id=request_id, email="poster@example.com")
    assert post_to_acs(client, captured).status_code == 302
    client.logout()

    response = post_to_acs(client, captured)

    assert response.status_code in (401, 403)
    assert signed_in_as(client) is None


def test_an_unknown_email_is_refused(client, poster, saml, idp_keys):
    request_id = start_login(client)

    response = post_to_acs(client, idp_response(idp_keys, request_id=request_id, email="nobody@example.com"))

    assert signed_in_as(client) is None
    assert not User.objects.filter(email="nobody@example.com").exists()
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()  # not provisioned, and sign-up is closed


def test_a_deactivated_employee_is_refused_with_a_clear_page(client, former, saml, idp_keys):
    request_id = start_login(client)

    response = post_to_acs(client, idp_response(idp_keys, request_id=request_id, email="former@example.com"))

    assert response.status_code == 403
    assert "Your account is deactivated" in response.content.decode()
    assert signed_in_as(client) is None


@override_settings(SAML_ALLOW_SIGNUP=True, ALLOWED_SIGNUP_DOMAINS=["example.com"])
def test_signup_through_saml_follows_allowed_signup_domains(client, db, saml, idp_keys):
    post_to_acs(client, idp_response(idp_keys, request_id=start_login(client), email="new.hire@example.com"))
    new = User.objects.get(email="new.hire@example.com")
    assert signed_in_as(client) == str(new.pk)
    assert new.full_name == "Given Family"

    client.logout()
    post_to_acs(client, idp_response(idp_keys, request_id=start_login(client), email="outsider@elsewhere.org"))
    assert not User.objects.filter(email="outsider@elsewhere.org").exists()
    assert signed_in_as(client) is None


def test_configuration_from_metadata_xml(idp_keys):
    _, cert = idp_keys
    body = "".join(cert.strip().splitlines()[1:-1])
    metadata = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY_ID}">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{IDP_SSO_URL}"/>
</md:IDPSSODescriptor></md:EntityDescriptor>"""

    app = saml_provider_settings({"SAML_IDP_METADATA_XML": metadata, "SAML_IDP_NAME": "Entra ID"})["APPS"][0]

    assert app["name"] == "Entra ID"
    assert app["settings"]["idp"] == {"entity_id": IDP_ENTITY_ID, "sso_url": IDP_SSO_URL, "x509cert": body}


@pytest.mark.parametrize(
    "environ",
    [
        {"SAML_IDP_ENTITY_ID": IDP_ENTITY_ID},
        {"SAML_IDP_METADATA_URL": "https://idp.example.com/metadata"},
        {"SAML_IDP_METADATA_XML": "/nonexistent/metadata.xml"},
        {"SAML_IDP_ENTITY_ID": "x", "SAML_IDP_SSO_URL": "y", "SAML_IDP_X509CERT": "z", "SAML_ATTRIBUTE_MAPPING": "{"},
    ],
)
def test_a_half_done_configuration_fails_at_start_up(environ):
    with pytest.raises(ImproperlyConfigured):
        saml_provider_settings(environ)


def test_the_attribute_mapping_comes_from_the_environment(idp_keys):
    _, cert = idp_keys
    environ = {"SAML_IDP_ENTITY_ID": IDP_ENTITY_ID, "SAML_IDP_SSO_URL": IDP_SSO_URL, "SAML_IDP_X509CERT": cert}

    default = saml_provider_settings(environ)["APPS"][0]["settings"]["attribute_mapping"]
    custom = saml_provider_settings({**environ, "SAML_ATTRIBUTE_MAPPING": '{"email": "mail", "first_name": "gn"}'})

    assert EMAIL_ATTRIBUTE in default["email"]
    assert custom["APPS"][0]["settings"]["attribute_mapping"] == {"email": "mail", "first_name": "gn"}
