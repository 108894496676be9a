"""The referral channel of the visibility rule: a referrer keeps read-only sight of the opening.

SPEC.md: V may see O if V is not on O's exclusion list and referred someone to O (any status after
that; read-only). Exclusion wins over an earlier referral. The rule lives
in openings/visibility.py; here it is checked through every channel once referrals exist, plus a
property test that extends the openings oracle with random referrals.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.django import TestCase
from rest_framework.test import APIClient

from accounts.models import Connection, User
from accounts.services import token_issue
from openings.models import Opening
from openings.visibility import audience, can_see, visible_among
from referrals import services
from referrals.models import Referral
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory
from tests.support.visibility import (
    build,
    oracle_with_referrals,
    organisations_with_referrals,
)

V, OS = Opening.Visibility, Opening.Status


def disconnect(a, b):
    """Remove the connection between a and b: both rows, as the network does."""
    Connection.objects.filter(from_user__in=[a, b], to_user__in=[a, b]).delete()


def sees_everywhere(client, api_as, user, opening):
    client.force_login(user)
    api = api_as(user)
    listing = client.get(f"/openings/?q={opening.title}").content.decode()
    return {
        "queryset": Opening.objects.visible_to(user).filter(pk=opening.pk).exists(),
        "per_object": can_see(user, opening),
        "audience": audience(opening).filter(pk=user.pk).exists(),
        "batch": opening.pk in visible_among([opening], [user])[user.pk],
        "portal_detail": client.get(f"/openings/{opening.pk}/").status_code == 200,
        "portal_list": f'href="/openings/{opening.pk}/"' in listing,
        "api_detail": api.get(f"/api/v1/openings/{opening.pk}/").status_code == 200,
        "api_list": opening.pk in [o["id"] for o in api.get("/api/v1/openings/").json()["results"]],
    }


def test_referrer_keeps_sight_after_the_connection_is_removed(client, api_as, cast):
    poster, direct = cast["poster"], cast["direct"]
    opening = OpeningFactory(posted_by=poster, visibility=V.NETWORK, title="Hidden Role")
    services.referral_submit(
        referrer=direct,
        opening=opening,
        candidate_name="Ada",
        candidate_email="ada@example.org",
        consent_confirmed=True,
    )
    disconnect(poster, direct)
    assert not Connection.objects.filter(from_user__in=[poster, direct], to_user__in=[poster, direct]).exists()
    seen = sees_everywhere(client, api_as, direct, opening)
    assert seen == {channel: True for channel in seen}
    # Nobody else gains sight: the stranger and the second-degree colleague still see nothing.
    for name in ("stranger", "second", "stranger_via_leaver"):
        seen = sees_everywhere(client, api_as, cast[name], opening)
        assert seen == {channel: False for channel in seen}, name


def test_referrer_keeps_sight_of_a_closed_opening_but_only_through_detail_and_api(client, api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK, title="Closed Role")
    ReferralFactory(opening=opening, referrer=cast["direct"])
    Opening.objects.filter(pk=opening.pk).update(status=OS.CLOSED)
    disconnect(cast["poster"], cast["direct"])
    seen = sees_everywhere(client, api_as, cast["direct"], opening)
    # The portal list shows open openings only (for everyone who is not HR).
    assert seen == {**{channel: True for channel in seen}, "portal_list": False}


def test_a_withdrawn_or_declined_referral_still_gives_sight(cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    ReferralFactory(opening=opening, referrer=cast["direct"], status=Referral.Status.WITHDRAWN)
    disconnect(cast["poster"], cast["direct"])
    assert can_see(cast["direct"], opening)


def test_the_candidate_gains_no_sight(cast):
    # Referring a colleague does not show them the opening: only the referrer keeps sight.
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Stella",
        candidate_email=cast["stranger"].email,
        consent_confirmed=True,
    )
    assert not can_see(cast["stranger"], opening)


def test_exclusion_wins_over_an_earlier_referral(client, api_as, cast):
    """Exclusion wins over everything but posting and HR: an excluded referrer loses the opening on
    every channel (portal, API, audience, digest batch) and keeps only their referral's own page,
    with the opening's title as it was when they referred."""
    from openings.models import OpeningExclusion

    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY, title="Payroll Lead")
    referral = services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Ada",
        candidate_email="ada@example.org",
        consent_confirmed=True,
    )
    OpeningExclusion.objects.create(opening=opening, user=cast["direct"])
    Opening.objects.filter(pk=opening.pk).update(title="Payroll Lead (replacing Dan Direct)")

    seen = sees_everywhere(client, api_as, cast["direct"], opening)
    assert seen == {channel: False for channel in seen}
    assert not services.can_refer(cast["direct"], opening)
    page = client.get(f"/referrals/{referral.pk}/")
    listing = client.get("/referrals/")
    api = api_as(cast["direct"]).get(f"/api/v1/referrals/{referral.pk}/")
    assert page.status_code == 200 and listing.status_code == 200 and api.status_code == 200
    for body in (page.content.decode(), listing.content.decode()):
        assert "Payroll Lead" in body and "replacing" not in body
        assert f'href="/openings/{opening.pk}/"' not in body
    # The poster and HR still see it, and everyone else it reaches.
    for name in ("poster", "hr", "second"):
        assert can_see(cast[name], opening), name


def test_a_referrer_who_is_not_excluded_follows_the_opening(client, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY, title="Payroll Lead")
    referral = ReferralFactory(opening=opening, referrer=cast["direct"])
    Opening.objects.filter(pk=opening.pk).update(title="Payroll Lead, EMEA")
    client.force_login(cast["direct"])

    body = client.get(f"/referrals/{referral.pk}/").content.decode()

    assert "Payroll Lead, EMEA" in body and f'href="/openings/{opening.pk}/"' in body


def test_deactivated_referrer_loses_sight(cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    ReferralFactory(opening=opening, referrer=cast["direct"])
    cast["direct"].is_active = False
    cast["direct"].save()
    assert not can_see(User.objects.get(pk=cast["direct"].pk), opening)
    assert not audience(opening).filter(pk=cast["direct"].pk).exists()


@pytest.mark.parametrize("include_referred", [True, False])
def test_include_referred_switch(cast, include_referred):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    ReferralFactory(opening=opening, referrer=cast["direct"])
    disconnect(cast["poster"], cast["direct"])
    visible = (
        Opening.objects.visible_to(cast["direct"], include_referred=include_referred).filter(pk=opening.pk).exists()
    )
    assert visible is include_referred


# --- Property: the openings oracle plus random referrals -------------------------------------------------


class ReferralChannelProperty(TestCase):
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations_with_referrals())
    def test_rule_with_referrals_matches_the_oracle(self, org):
        users, openings = build(org)
        for k, (referrer, index) in enumerate(org["referrals"]):
            # Written directly: the referral may date from when the referrer could still see it.
            ReferralFactory(opening=openings[index], referrer=users[referrer], candidate_email=f"c{k}@example.org")
        fresh = [User.objects.get(pk=u.pk) for u in users]
        batch = visible_among(openings, fresh)
        for v, viewer in enumerate(fresh):
            expected = {o.pk for i, o in enumerate(openings) if oracle_with_referrals(org, v, i)}
            assert set(Opening.objects.visible_to(viewer).values_list("pk", flat=True)) == expected
            assert set(batch[viewer.pk]) == expected
            for opening in openings:
                assert can_see(viewer, opening) == (opening.pk in expected)
            if viewer.is_active:
                api = APIClient()
                api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=viewer)[1]}")
                assert {o["id"] for o in api.get("/api/v1/openings/").json()["results"]} == expected
                self.client.force_login(viewer)
                for opening in openings:
                    status = self.client.get(f"/openings/{opening.pk}/").status_code
                    assert status == (200 if opening.pk in expected else 404)
        for i, opening in enumerate(openings):
            expected = {u.pk for v, u in enumerate(users) if oracle_with_referrals(org, v, i)}
            assert set(audience(opening).values_list("pk", flat=True)) == expected


def test_the_opening_form_says_who_keeps_following_a_referral(client, cast):
    daniel = User.objects.create_user(email="daniel.okafor@example.com", full_name="Daniel Okafor")
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY, title="Payroll Lead")
    ReferralFactory(opening=opening, referrer=daniel)
    client.force_login(cast["poster"])
    form = client.get(f"/openings/{opening.pk}/edit/")
    assert "will keep following" not in form.content.decode()

    data = {
        "title": opening.title,
        "description": opening.description or "A role.",
        "division": opening.division_id or "",
        "location": opening.location_id or "",
        "visibility": V.COMPANY,
        "excluded_emails": "daniel.okafor@example.com",
    }
    from openings.forms import OpeningForm

    bound = OpeningForm(instance=opening, poster=cast["poster"])
    data = {**{name: bound[name].value() or "" for name in bound.fields}, **{k: v for k, v in data.items() if v != ""}}
    data = {k: v for k, v in data.items() if v not in (None, "")}
    saved = client.post(f"/openings/{opening.pk}/edit/", data, follow=True)
    again = client.get(f"/openings/{opening.pk}/edit/")

    sentence = "Daniel Okafor will keep following their referral but will no longer see this opening."
    assert saved.status_code == 200
    assert sentence in saved.content.decode()
    assert sentence in again.content.decode()
    assert not can_see(daniel, opening)
