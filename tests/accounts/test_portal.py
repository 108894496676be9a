"""The portal shell: our own error pages, settings, static files without a CDN, the API docs and
the health check."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory

from accounts import views
from accounts.models import User

CDN_PATTERN = re.compile(r"cdn|jsdelivr|unpkg|googleapis|cloudflare|bootstrapcdn", re.IGNORECASE)


def external_assets(page):
    """Asset URLs that would leave the intranet. Only src/href values are looked at: a random
    CSRF token in the page may well contain the letters "cdn"."""
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    return [u for u in urls if CDN_PATTERN.search(u) or u.startswith(("http://", "https://", "//"))]


def template_names(response):
    return [t.name for t in response.templates if t.name]


# --- error pages ----------------------------------------------------------------------------


def test_unknown_page_is_our_404(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert "base.html" in template_names(response)
    assert "Page not found" in response.content.decode()


def test_unknown_page_for_a_signed_in_employee(client, poster):
    client.force_login(poster)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert 'aria-label="Main"' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/nope/", "/api/v1/nope/", "/api/v1/employees/1/nope/"])
def test_unknown_api_path_is_a_json_404(client, db, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_server_error_page_renders_without_context():
    request = RequestFactory().get("/openings/")

    response = views.server_error(request)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_server_error_in_the_api_is_json():
    request = RequestFactory().get("/api/v1/employees/")

    response = views.server_error(request)

    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": "server_error",
        "detail": "Something went wrong on our side.",
        "fields": {},
    }


def test_permission_denied_pages(rf, db):
    page = views.permission_denied(rf.get("/openings/1/edit/"))
    api = views.permission_denied(rf.get("/api/v1/openings/1/"))

    assert page.status_code == 403
    assert "You may not do this" in page.content.decode()
    assert api.status_code == 403
    assert json.loads(api.content)["code"] == "permission_denied"


# --- the layout ----------------------------------------------------------------------------


def test_pages_use_our_stylesheet_from_static(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    assert finders.find("css/app.css")
    assert not external_assets(page)


def test_layout_is_accessible(client, poster):
    client.force_login(poster)

    page = client.get("/settings/").content.decode()

    assert '<html lang="en">' in page
    assert 'name="viewport"' in page
    assert 'class="skip-link" href="#content"' in page
    assert '<main id="content"' in page
    assert '<nav class="main-nav" aria-label="Main">' in page
    assert 'href="/api/docs/"' in page


def test_sign_in_page_offers_sign_up_only_when_open(client, db, settings):
    settings.ALLOWED_SIGNUP_DOMAINS = []
    closed = client.get("/accounts/login/").content.decode()
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    open_ = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/signup/"' not in closed
    assert 'href="/accounts/signup/"' in open_
    # Provisioned employees are told how to get their first password.
    assert 'href="/accounts/password/reset/"' in closed


def test_sign_in_form_fields_are_labelled(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert '<label for="id_login">' in page
    assert '<label for="id_password">' in page


# --- settings -------------------------------------------------------------------------------


def test_settings_need_sign_in(client, db):
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_settings_show_the_preferences(client, poster):
    client.force_login(poster)

    page = client.get("/settings/").content.decode()

    for field in ("notify_connection_requests", "notify_referrals", "digest_enabled"):
        assert f'name="{field}"' in page
        assert f'for="id_{field}"' in page


def test_settings_save_preferences(client, poster):
    client.force_login(poster)

    response = client.post("/settings/", {"notify_referrals": "on"}, follow=True)

    assert response.redirect_chain == [("/settings/", 302)]
    assert "Your preferences are saved." in response.content.decode()
    poster.refresh_from_db()
    assert poster.notify_referrals is True
    assert poster.notify_connection_requests is False
    assert poster.digest_enabled is False


def test_settings_change_only_the_preferences(client, poster):
    client.force_login(poster)

    client.post("/settings/", {"digest_enabled": "on", "full_name": "Hacker", "is_staff": "on", "email": "x@x.com"})

    poster.refresh_from_db()
    assert poster.digest_enabled is True
    assert poster.full_name == "Paula Poster"
    assert poster.is_staff is False
    assert poster.email == "poster@example.com"


def test_settings_refuse_other_methods(client, poster):
    client.force_login(poster)

    assert client.put("/settings/").status_code == 405
    assert User.objects.get(pk=poster.pk).digest_enabled is True


# --- the API's docs and schema --------------------------------------------------------------


def test_api_docs_load_nothing_from_a_cdn(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert not external_assets(page)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    # Every other URL in the page is local.
    assert not re.search(r'(?:src|href)="https?://', page)


def test_api_schema(client, db):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "Referral Board API" in text
    assert "/api/v1/employees/" in text


# --- health ---------------------------------------------------------------------------------


def test_healthz(client, db):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
