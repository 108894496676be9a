"""Who sees a referral: its referrer, the opening's poster and HR; nobody else, through any channel."""

import re

import pytest

from openings.models import Opening
from referrals import services
from referrals.models import Referral
from referrals.selectors import referrals_visible_to
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

V = Opening.Visibility
SEES = {"referrer": True, "poster": True, "hr": True, "stranger": False, "second": False, "other_referrer": False}


def strip_csrf(body):
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


@pytest.fixture
def setting(cast):
    """An extended opening by `poster`: `direct` and `second` may see it. `direct` referred Ada;
    `other_referrer` (connected to the poster) referred someone else to the same opening."""
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.EXTENDED, title="Platform Engineer")
    other = UserFactory(email="other@example.com", full_name="Olga Other")
    connect(cast["poster"], other)
    referral = services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Ada Lovelace",
        candidate_email="ada@example.org",
        candidate_phone="+44 20 7946 0000",
        relationship="Former colleague",
        why_fit="Writes the best programs.",
        consent_confirmed=True,
    )
    other_referral = ReferralFactory(opening=opening, referrer=other, candidate_name="Grace Hopper")
    people = {**cast, "referrer": cast["direct"], "other_referrer": other}
    return {"opening": opening, "referral": referral, "other_referral": other_referral, "people": people}


@pytest.mark.parametrize("party,sees", SEES.items())
def test_selector(setting, party, sees):
    user = setting["people"][party]
    assert referrals_visible_to(user).filter(pk=setting["referral"].pk).exists() is sees


def test_nobody_inactive_or_anonymous_sees_referrals(setting, cast):
    from django.contrib.auth.models import AnonymousUser

    assert not referrals_visible_to(AnonymousUser()).exists()
    cast["direct"].is_active = False
    assert not referrals_visible_to(cast["direct"]).exists()


@pytest.mark.parametrize("party,sees", SEES.items())
def test_portal_detail(client, setting, party, sees):
    client.force_login(setting["people"][party])
    referral = setting["referral"]
    response = client.get(f"/referrals/{referral.pk}/")
    if sees:
        assert response.status_code == 200
        content = response.content.decode()
        assert "Ada Lovelace" in content and "ada@example.org" in content and "+44 20 7946 0000" in content
        assert "Former colleague" in content and "History" in content
    else:
        missing = client.get("/referrals/999999/")
        assert response.status_code == missing.status_code == 404
        assert strip_csrf(response.content) == strip_csrf(missing.content)
        for action in ("move", "withdraw"):
            hidden = client.post(f"/referrals/{referral.pk}/{action}/", {"status": "withdrawn"})
            missing = client.post(f"/referrals/999999/{action}/", {"status": "withdrawn"})
            assert hidden.status_code == missing.status_code == 404
            assert strip_csrf(hidden.content) == strip_csrf(missing.content)
        referral.refresh_from_db()
        assert referral.status == Referral.Status.SUBMITTED


@pytest.mark.parametrize("party,sees", SEES.items())
def test_api_detail_and_list(api_as, setting, party, sees):
    api = api_as(setting["people"][party])
    referral = setting["referral"]
    response = api.get(f"/api/v1/referrals/{referral.pk}/")
    ids = [r["id"] for r in api.get("/api/v1/referrals/").json()["results"]]
    if sees:
        assert response.status_code == 200
        body = response.json()
        assert body["candidate_email"] == "ada@example.org"
        assert [e["to_status"] for e in body["history"]] == ["submitted"]
        assert referral.pk in ids
    else:
        missing = api.get("/api/v1/referrals/999999/")
        assert response.status_code == missing.status_code == 404
        assert response.content == missing.content
        hidden = api.patch(f"/api/v1/referrals/{referral.pk}/", {"status": "withdrawn"}, format="json")
        missing = api.patch("/api/v1/referrals/999999/", {"status": "withdrawn"}, format="json")
        assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
        assert referral.pk not in ids


def test_api_list_per_party(api_as, hr_service_api, setting):
    people, ref, other = setting["people"], setting["referral"].pk, setting["other_referral"].pk

    def ids(api, query=""):
        return sorted(r["id"] for r in api.get(f"/api/v1/referrals/{query}").json()["results"])

    assert ids(api_as(people["referrer"])) == [ref]
    assert ids(api_as(people["other_referrer"])) == [other]
    assert ids(api_as(people["poster"])) == sorted([ref, other])
    assert ids(api_as(people["hr"])) == sorted([ref, other])
    assert ids(hr_service_api) == sorted([ref, other])
    assert ids(api_as(people["stranger"])) == []
    assert ids(api_as(people["poster"]), f"?opening={setting['opening'].pk}&status=submitted") == sorted([ref, other])
    assert ids(api_as(people["poster"]), "?status=hired") == []
    assert ids(hr_service_api, "?updated_since=2000-01-01T00:00:00Z") == sorted([ref, other])


def test_api_list_filters_refuse_bad_values(api_as, setting):
    response = api_as(setting["people"]["hr"]).get("/api/v1/referrals/?status=promoted")
    assert response.status_code == 400


def test_service_token_without_hr_scope_sees_no_referral(setting):
    from rest_framework.test import APIClient

    from accounts.models import ServiceAccount
    from accounts.services import token_issue

    _, plain = token_issue(service_account=ServiceAccount.objects.create(name="ATS"), scope="hr:write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/referrals/").json()["results"] == []
    assert api.get(f"/api/v1/referrals/{setting['referral'].pk}/").status_code == 404


def test_unauthenticated_api_is_401(api, setting):
    assert api.get("/api/v1/referrals/").status_code == 401
    assert api.post("/api/v1/referrals/", {}, format="json").status_code == 401


def test_portal_list_per_party(client, setting):
    people = setting["people"]
    client.force_login(people["referrer"])
    page = client.get("/referrals/").content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" not in page
    client.force_login(people["other_referrer"])
    page = client.get("/referrals/").content.decode()
    assert "Grace Hopper" in page and "Ada Lovelace" not in page
    client.force_login(people["poster"])
    page = client.get("/referrals/").content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" in page and "Referred by Dan Direct" in page
    assert f'id="opening-{setting["opening"].pk}"' in page
    for name in ("stranger", "second"):
        client.force_login(people[name])
        page = client.get("/referrals/").content.decode()
        assert "Ada Lovelace" not in page and "Grace Hopper" not in page
        assert "You have not referred anyone yet" in page and "No referrals to your openings yet" in page


def test_hr_sees_every_referral_with_filters(client, setting, cast):
    elsewhere = OpeningFactory(posted_by=cast["stranger"], visibility=V.COMPANY, title="Sales Lead")
    ReferralFactory(
        opening=elsewhere, referrer=cast["second"], candidate_name="Alan Turing", status=Referral.Status.HIRED
    )
    client.force_login(cast["hr"])
    page = client.get("/referrals/all/").content.decode()
    assert all(name in page for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"))
    page = client.get("/referrals/all/?status=hired").content.decode()
    assert "Alan Turing" in page and "Ada Lovelace" not in page
    page = client.get(f"/referrals/all/?opening={setting['opening'].pk}").content.decode()
    assert "Ada Lovelace" in page and "Alan Turing" not in page
    page = client.get(f"/referrals/all/?division={elsewhere.division.code}").content.decode()
    assert "Alan Turing" in page and "Ada Lovelace" not in page
    page = client.get("/referrals/all/?q=platform").content.decode()
    assert "Ada Lovelace" in page and "Alan Turing" not in page
    response = client.get("/referrals/all/?status=nonsense&opening=abc")
    assert response.status_code == 200  # an invalid filter shows its error, never a 500
    page = client.get("/referrals/all/?status=offered").content.decode()
    assert "No referrals match" in page


@pytest.mark.parametrize("party", ["referrer", "poster", "stranger", "second"])
def test_all_referrals_page_is_hr_only(client, setting, party):
    client.force_login(setting["people"][party])
    assert client.get("/referrals/all/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, setting):
    for url in ("/referrals/", f"/referrals/{setting['referral'].pk}/", f"/openings/{setting['opening'].pk}/refer/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Opening pages and counts reveal nothing about referrals to anyone else -------------------------


def test_opening_channels_are_unchanged_by_referrals_for_others(client, api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY, title="Quiet Role")
    viewer = cast["stranger"]

    def snapshot():
        client.force_login(viewer)
        api = api_as(viewer)
        return (
            strip_csrf(client.get(f"/openings/{opening.pk}/").content),
            strip_csrf(client.get("/openings/").content),
            strip_csrf(client.get("/").content),
            api.get(f"/api/v1/openings/{opening.pk}/").json(),
            [o for o in api.get("/api/v1/openings/").json()["results"]],
        )

    before = snapshot()
    services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Ada",
        candidate_email="ada@example.org",
        consent_confirmed=True,
    )
    after = snapshot()
    assert before == after


def test_opening_page_shows_referral_counts_only_to_parties(client, setting, cast):
    opening = setting["opening"]
    client.force_login(cast["poster"])
    assert "2 referrals, 2 in the pipeline" in client.get(f"/openings/{opening.pk}/").content.decode()
    client.force_login(cast["hr"])
    assert "2 referrals, 2 in the pipeline" in client.get(f"/openings/{opening.pk}/").content.decode()
    client.force_login(cast["direct"])
    page = client.get(f"/openings/{opening.pk}/").content.decode()
    assert "You referred 1 person to this opening" in page and "2 referrals" not in page
    client.force_login(cast["second"])
    page = client.get(f"/openings/{opening.pk}/").content.decode()
    assert "referred" not in page.lower().replace("referral bonus", "")
    assert "Refer someone" in page
