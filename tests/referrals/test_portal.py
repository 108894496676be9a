"""Portal pages, dashboard, admin, schema and demo data for referrals: real states, never a 500."""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from openings.models import Opening
from openings.visibility import visible_among
from referrals import services
from referrals.models import Referral
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

S = Referral.Status


@pytest.fixture
def opening(poster, direct):
    return OpeningFactory(posted_by=poster, visibility=Opening.Visibility.NETWORK, title="Data Engineer")


def test_referrals_nav_entry_appears(client, direct):
    client.force_login(direct)
    assert b'href="/referrals/"' in client.get("/").content


def test_empty_states(client, direct):
    client.force_login(direct)
    page = client.get("/referrals/").content.decode()
    assert "You have not referred anyone yet" in page and "No referrals to your openings yet" in page
    assert "No referrals yet" in client.get("/").content.decode()


def test_referrer_sees_status_and_timeline(client, opening, direct, poster):
    referral = services.referral_submit(
        referrer=direct,
        opening=opening,
        candidate_name="Ada Lovelace",
        candidate_email="ada@example.org",
        consent_confirmed=True,
    )
    services.referral_move(referral=referral, by=poster, status=S.IN_REVIEW, comment="Reading her CV <b>now</b>")
    services.referral_move(referral=referral, by=poster, status=S.DECLINED, decline_reason="Needs more SQL")
    client.force_login(direct)
    page = client.get("/referrals/").content.decode()
    assert "Ada Lovelace" in page and "Declined" in page and "Needs more SQL" in page
    assert "Reading her CV &lt;b&gt;now&lt;/b&gt;" in page  # escaped
    assert page.count("<li>") >= 3  # three history entries
    dashboard = client.get("/").content.decode()
    assert "1 declined" in dashboard


def test_poster_pipeline_moves_with_comment(client, opening, direct, poster):
    referral = ReferralFactory(opening=opening, referrer=direct, candidate_name="Ada Lovelace")
    client.force_login(poster)
    page = client.get("/referrals/").content.decode()
    assert f'action="/referrals/{referral.pk}/move/"' in page
    assert (
        '<option value="in_review">In review</option>' in page and '<option value="declined">Declined</option>' in page
    )
    assert '<option value="interviewing">' not in page
    response = client.post(
        f"/referrals/{referral.pk}/move/",
        {
            "status": "in_review",
            "comment": "Call on Monday",
            "decline_reason": "",
            "next": f"/referrals/#opening-{opening.pk}",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/referrals/#opening-{opening.pk}"
    referral.refresh_from_db()
    assert referral.status == S.IN_REVIEW and referral.events.last().comment == "Call on Monday"


def test_move_refuses_an_offsite_next(client, opening, direct, poster):
    referral = ReferralFactory(opening=opening, referrer=direct)
    client.force_login(poster)
    response = client.post(
        f"/referrals/{referral.pk}/move/", {"status": "in_review", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == f"/referrals/{referral.pk}/"


def test_ended_referrals_are_folded_away(client, opening, direct, poster):
    ReferralFactory(opening=opening, referrer=direct, candidate_name="Alan", status=S.HIRED)
    client.force_login(poster)
    page = client.get("/referrals/").content.decode()
    assert "1 ended referral" in page and "No referral in the pipeline." in page


def test_detail_page_for_each_party(client, opening, direct, poster, hr):
    referral = ReferralFactory(opening=opening, referrer=direct, candidate_name="Ada Lovelace")
    client.force_login(poster)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Move on" in page and "Withdraw</button>" not in page and "Referred by Dan Direct" in page
    client.force_login(hr)
    assert "Move on" in client.get(f"/referrals/{referral.pk}/").content.decode()
    client.force_login(direct)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Move on" not in page and "Withdraw</button>" in page


def test_move_form_errors_are_shown_in_place(client, opening, direct, poster):
    referral = ReferralFactory(opening=opening, referrer=direct)
    client.force_login(poster)
    response = client.post(f"/referrals/{referral.pk}/move/", {"status": "hired"})
    assert response.status_code == 400
    assert b"A referral that is submitted cannot become hired." in response.content and b"has-error" in response.content
    response = client.post(f"/referrals/{referral.pk}/move/", {})
    assert response.status_code == 400


def test_refer_form_keeps_input_and_shows_field_errors(client, opening, direct):
    client.force_login(direct)
    response = client.post(
        f"/openings/{opening.pk}/refer/",
        {"candidate_name": "Ada Lovelace", "candidate_email": "nope", "relationship": "x", "why_fit": "y"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="Ada Lovelace"' in content
    assert "Enter a valid email address." in content
    assert "Confirm that the candidate agreed to be referred." in content
    assert not Referral.objects.exists()


def test_pages_answer_odd_requests_without_a_500(client, opening, direct, poster):
    referral = ReferralFactory(opening=opening, referrer=direct)
    client.force_login(poster)
    assert client.get(f"/referrals/{referral.pk}/move/").status_code == 405
    assert client.get(f"/referrals/{referral.pk}/withdraw/").status_code == 405
    assert client.post(f"/referrals/{referral.pk}/move/", {"status": "x" * 500}).status_code == 400
    assert client.get("/referrals/abc/").status_code == 404
    client.force_login(direct)
    assert client.post(f"/openings/{opening.pk}/refer/", {"candidate_name": "x" * 1000}).status_code == 400
    assert client.post(f"/openings/{opening.pk}/interested/", {}).status_code == 400


def test_opening_with_referrals_is_protected_in_the_service(opening, direct, poster):
    from django.core.exceptions import ValidationError

    from openings.services import opening_delete

    ReferralFactory(opening=opening, referrer=direct)
    with pytest.raises(ValidationError):
        opening_delete(opening=opening, by=poster)


# --- Admin ---------------------------------------------------------------------------------


def test_hr_admin_lists_and_shows_history_read_only(client, opening, direct, hr):
    referral = ReferralFactory(opening=opening, referrer=direct, candidate_name="Ada Lovelace")
    client.force_login(hr)
    assert "Ada Lovelace" in client.get("/admin/referrals/referral/").content.decode()
    page = client.get(f"/admin/referrals/referral/{referral.pk}/change/")
    assert page.status_code == 200
    assert b"Submitted" in page.content
    assert client.get("/admin/referrals/referral/add/").status_code == 403


def test_admin_erase_action(client, opening, direct, hr):
    referral = ReferralFactory(opening=opening, referrer=direct, candidate_name="Ada Lovelace")
    client.force_login(hr)
    response = client.post(
        "/admin/referrals/referral/", {"action": "erase_personal_data", "_selected_action": [referral.pk]}, follow=True
    )
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.candidate_name == "Erased" and referral.personal_data_erased_at


def test_employee_without_admin_rights_cannot_open_referral_admin(client, opening, direct):
    direct.is_staff = True
    direct.save()
    client.force_login(direct)
    assert client.get("/admin/referrals/referral/").status_code == 403


# --- Schema ------------------------------------------------------------------------------------


def test_schema_is_clean_and_documents_referrals(db):
    out = StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out, stderr=StringIO()
    )
    schema = out.getvalue()
    assert "/api/v1/referrals/{id}/" in schema and "ReferralStatusEnum" in schema


# --- Demo ----------------------------------------------------------------------------------------


def test_demo_referrals_respect_visibility_and_cover_every_status(db):
    out = StringIO()
    call_command("seed_demo", "--employees", "120", "--seed", "7", stdout=out)
    assert "referrals" in out.getvalue()
    referrals = list(Referral.objects.select_related("opening", "referrer"))
    assert referrals
    assert {r.status for r in referrals} >= {S.SUBMITTED, S.IN_REVIEW, S.INTERVIEWING, S.DECLINED, S.HIRED}
    assert any(r.is_self_referral for r in referrals)
    for referral in referrals:
        # Each referral was made to an opening its referrer could see and act on.
        assert (
            Opening.objects.visible_to(referral.referrer, include_referred=False)
            .filter(pk=referral.opening_id)
            .exists()
        )
        assert referral.opening.posted_by_id != referral.referrer_id
        assert referral.events.count() >= 1
        assert referral.events.last().to_status == referral.status
        if referral.status == S.DECLINED:
            assert referral.decline_reason
    sight = visible_among([r.opening for r in referrals], [r.referrer for r in referrals])
    assert all(r.opening_id in sight[r.referrer_id] for r in referrals)


def test_demo_is_deterministic(db):
    from django.db import transaction

    def run():
        with transaction.atomic():
            call_command("seed_demo", "--employees", "60", "--seed", "3", stdout=StringIO())
            rows = sorted(Referral.objects.values_list("candidate_name", "status", "opening__title"))
            transaction.set_rollback(True)
        return rows

    assert run() == run()


def test_seed_helper_without_open_openings(db):
    from accounts.demo import Company
    from referrals.demo import seed_referrals

    out = StringIO()
    seed_referrals(random.Random(1), Company(), out)
    assert "0 referrals" in out.getvalue()
