"""Text that lies about itself is refused: bidi controls and zero-width characters in titles,
names, notes and comments get a field message; an opening's description has a cap."""

import pytest

from accounts.models import ConnectionRequest, Division, Location, User
from config.text import MESSAGE, OPENING_DESCRIPTION_MAX_LENGTH
from openings.models import Opening
from referrals.models import Referral
from tests.integrations.conftest import service_api  # noqa: F401 - the service-token fixture
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

TRICKS = ["Payroll \u202eLead", "Ad\u200bmin", "\u2066Lead\u2069", "Zero\ufeffwidth", "mark\u200f"]


@pytest.fixture
def org(db):
    return Division.objects.create(code="finance", name="Finance"), Location.objects.create(
        code="berlin", name="Berlin"
    )


def opening_body(org, **extra):
    return {
        "title": "Payroll Lead",
        "description": "Runs payroll.",
        "division": "finance",
        "location": "berlin",
        "visibility": "company",
        "status": "open",
        **extra,
    }


@pytest.mark.parametrize("text", TRICKS)
def test_an_opening_title_with_controls_is_refused(api_as, poster, org, text):
    response = api_as(poster).post("/api/v1/openings/", opening_body(org, title=text), format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["title"] == [MESSAGE]
    assert not Opening.objects.exists()


def test_the_portal_form_refuses_them_too(client, poster, org):
    client.force_login(poster)
    response = client.post(
        "/openings/new/",
        {
            "title": "Lead\u202e",
            "description": "x",
            "division": org[0].pk,
            "location": org[1].pk,
            "visibility": "company",
            "employment_type": "full_time",
            "work_arrangement": "hybrid",
            "action": "publish",
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Opening.objects.exists()


def test_an_opening_description_is_capped(api_as, poster, org):
    too_long = api_as(poster).post(
        "/api/v1/openings/", opening_body(org, description="x" * (OPENING_DESCRIPTION_MAX_LENGTH + 1)), format="json"
    )
    just_fits = api_as(poster).post(
        "/api/v1/openings/", opening_body(org, description="x" * OPENING_DESCRIPTION_MAX_LENGTH), format="json"
    )

    assert too_long.status_code == 400
    assert "description" in too_long.json()["fields"]
    assert just_fits.status_code == 201


def test_a_candidate_name_and_notes_with_controls_are_refused(api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility="company")
    api = api_as(cast["direct"])
    body = {
        "opening": opening.pk,
        "candidate_name": "Ada\u200b Lovelace",
        "candidate_email": "ada@example.org",
        "why_fit": "Great \u202efit",
        "consent_confirmed": True,
    }

    response = api.post("/api/v1/referrals/", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["candidate_name"] == [MESSAGE]
    assert response.json()["fields"]["why_fit"] == [MESSAGE]
    assert not Referral.objects.exists()


def test_a_status_comment_with_controls_is_refused(api_as, cast):
    referral = ReferralFactory(opening=OpeningFactory(posted_by=cast["poster"]))

    response = api_as(cast["poster"]).patch(
        f"/api/v1/referrals/{referral.pk}/", {"status": "in_review", "comment": "ok\u2067"}, format="json"
    )

    assert response.status_code == 400 and response.json()["fields"]["comment"] == [MESSAGE]
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


def test_a_connection_note_with_controls_is_refused(api_as, cast):
    response = api_as(cast["second"]).post(
        "/api/v1/connection-requests/", {"to": cast["stranger"].pk, "message": "hi\u202d"}, format="json"
    )

    assert response.status_code == 400 and response.json()["fields"]["message"] == [MESSAGE]
    assert not ConnectionRequest.objects.exists()


def test_employee_names_with_controls_are_refused(api_as, hr, poster, service_api):  # noqa: F811
    patched = api_as(hr).patch(f"/api/v1/employees/{poster.pk}/", {"full_name": "Paula\u200d Poster"}, format="json")
    bulk = service_api("hr:write").post(
        "/api/v1/employees/bulk/",
        [{"employee_id": "E9", "email": "e9@example.com", "full_name": "Eve\u202e"}],
        format="json",
    )

    assert patched.status_code == 400 and patched.json()["fields"]["full_name"] == [MESSAGE]
    assert bulk.status_code == 400 and bulk.json()["fields"]["0"]["full_name"] == [MESSAGE]
    assert User.objects.get(pk=poster.pk).full_name == "Paula Poster"
    assert not User.objects.filter(email="e9@example.com").exists()
