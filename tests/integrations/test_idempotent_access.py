"""An idempotent replay re-checks access: a caller who lost it gets what a new request would get
(404 for what they may no longer see), not the stored answer."""

from referrals.models import Referral
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory


def test_a_replay_after_losing_hr_is_refused(api_as, cast):
    hr = cast["hr"]
    referral = ReferralFactory(
        opening=OpeningFactory(posted_by=cast["poster"]), referrer=cast["direct"], candidate_name="Ada Secret"
    )
    api = api_as(hr)
    first = api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"status": "in_review"}, format="json", HTTP_IDEMPOTENCY_KEY="move-1"
    )
    again = api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"status": "in_review"}, format="json", HTTP_IDEMPOTENCY_KEY="move-1"
    )
    assert first.status_code == 200 and again.status_code == 200 and again["Idempotent-Replayed"] == "true"

    hr.groups.clear()
    replay = api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"status": "in_review"}, format="json", HTTP_IDEMPOTENCY_KEY="move-1"
    )
    fresh_get = api.get(f"/api/v1/referrals/{referral.pk}/")

    assert fresh_get.status_code == 404
    assert replay.status_code == 404
    assert replay.json() == fresh_get.json()
    assert "Ada Secret" not in replay.content.decode()
    assert "Idempotent-Replayed" not in replay


def test_a_replayed_create_is_refused_once_the_object_is_out_of_sight(api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility="company")
    api = api_as(cast["direct"])
    body = {
        "opening": opening.pk,
        "candidate_name": "Bea",
        "candidate_email": "bea@example.org",
        "consent_confirmed": True,
    }
    created = api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="refer-1")
    assert created.status_code == 201
    assert api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="refer-1").status_code == 201

    # The referral is no longer the caller's to see (credited to someone else meanwhile):
    Referral.objects.filter(pk=created.json()["id"]).update(referrer=cast["second"])
    replay = api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="refer-1")

    assert replay.status_code == 404
    assert "bea@example.org" not in replay.content.decode()


def test_a_service_token_that_lost_its_write_scope_gets_no_replay(service_api, cast):
    from accounts.models import ApiToken

    api = service_api("hr")
    referral = ReferralFactory(opening=OpeningFactory(posted_by=cast["poster"]))
    url = f"/api/v1/referrals/{referral.pk}/"
    assert api.patch(url, {"status": "in_review"}, format="json", HTTP_IDEMPOTENCY_KEY="svc-1").status_code == 200

    ApiToken.objects.filter(pk=api.token.pk).update(scope="hr:read")
    replay = api.patch(url, {"status": "in_review"}, format="json", HTTP_IDEMPOTENCY_KEY="svc-1")

    assert replay.status_code == 403
    assert set(replay.json()) == {"code", "detail", "fields"}
