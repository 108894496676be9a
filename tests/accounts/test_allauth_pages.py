"""Every allauth page is drawn in the portal's layout, with the portal's fields and buttons."""

import re

import pytest

PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-bad/",
    "/accounts/confirm-email/",
]


@pytest.mark.parametrize("url", PAGES)
def test_allauth_pages_use_the_portal_layout(client, db, settings, url):
    settings.ALLOWED_SIGNUP_DOMAINS = ["example.com"]
    response = client.get(url, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="card auth-card"' in body and "/static/css/app.css" in body
    # No browser-default button: every button is the portal's.
    assert not re.search(r"<button(?![^>]*class=\"[^\"]*btn)[^>]*type=\"submit\"", body)


def test_sign_in_page_has_one_forgot_link_and_a_checkbox_beside_its_label(client, db):
    body = client.get("/accounts/login/").content.decode()
    assert body.count(">Forgot your password?</a>") == 1
    assert re.search(r'<label class="checkbox" for="id_remember"><input type="checkbox" name="remember"', body)
    assert "Remember Me:" not in body


def test_refused_sign_in_has_an_error_summary_and_title(client, db):
    body = client.post("/accounts/login/", {"login": "nobody@example.com", "password": "wrong"}).content.decode()
    assert "<title>Error: Sign in" in body
    assert "data-error-summary" in body
