"""Refused forms: an error summary linked to the fields, "Error:" in the title, and every
aria-describedby naming an element that exists. Messages sit in a valid live region."""

import re

from openings.models import Opening
from referrals.models import Referral
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory


def described_ids_exist(body):
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    wanted = {i for value in re.findall(r'aria-describedby="([^"]+)"', body) for i in value.split()}
    missing = wanted - ids
    assert not missing, f"aria-describedby names missing ids: {missing}"
    return wanted


def summary_links_exist(body):
    summary = re.search(r"<div class=\"error-summary\".*?</div>", body, re.S).group(0)
    targets = re.findall(r'href="#([^"]+)"', summary)
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    assert targets and set(targets) <= ids
    return targets


def test_refused_referral_form(client, poster, direct):
    opening = OpeningFactory(posted_by=poster)
    client.force_login(direct)
    response = client.post(f"/openings/{opening.pk}/refer/", {"candidate_email": "not-an-email"})
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"<title>Error: ", body)
    assert "id_candidate_email" in summary_links_exist(body)
    wanted = described_ids_exist(body)
    assert {"id_candidate_email_error", "id_candidate_email_helptext", "id_consent_confirmed_error"} <= wanted
    assert not Referral.objects.exists()


def test_refused_opening_form_names_the_hide_from_errors(client, poster):
    client.force_login(poster)
    response = client.post(
        "/openings/new/", {"title": "", "excluded_emails": "ghost@example.com", "visibility": "network"}
    )
    body = response.content.decode()
    assert "No active employee with: ghost@example.com." in body
    assert "id_excluded_emails" in summary_links_exist(body)
    assert "id_excluded_emails_error" in described_ids_exist(body)
    assert not Opening.objects.exists()


def test_settings_and_unrefused_forms_name_only_existing_ids(client, poster):
    client.force_login(poster)
    described_ids_exist(client.get("/settings/").content.decode())
    described_ids_exist(client.get("/openings/new/").content.decode())
    body = client.post("/settings/", {"digest_enabled": "on"}, follow=True).content.decode()
    assert '<div class="messages" role="status" id="messages" tabindex="-1">' in body
    assert '<ul class="messages"' not in body
    assert 'href="/digest/preview/"' in body


def test_a_move_must_be_chosen(client, poster):
    referral = ReferralFactory(opening=OpeningFactory(posted_by=poster))
    client.force_login(poster)
    page = client.get("/referrals/").content.decode()
    assert re.search(
        r'<select name="status" id="move-\d+" required><option value="" selected>Choose a stage…</option>', page
    )
    response = client.post(f"/referrals/{referral.pk}/move/", {"status": "", "next": "/referrals/"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose the stage to move them to." in body and "<title>Error: " in body
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert '<option value="" selected>Choose a stage…</option>' in detail
