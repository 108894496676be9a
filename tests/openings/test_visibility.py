"""The visibility table: one row per (visibility, status, viewer), checked through every channel."""

import re

import pytest

from openings.models import Opening, OpeningExclusion
from openings.visibility import audience, can_see
from tests.openings.factories import OpeningFactory

V, S = Opening.Visibility, Opening.Status
# Who sees an opening posted by `poster`, by visibility, while it is open.
SEES_WHEN_OPEN = {
    V.NETWORK: {"poster", "direct", "hr"},
    V.EXTENDED: {"poster", "direct", "second", "hr"},
    V.COMPANY: {"poster", "direct", "second", "stranger", "hr", "stranger_via_leaver"},
}
# Drafts and closed openings: only the poster and HR. `former` (deactivated) never sees anything.
SEES_OTHERWISE = {"poster", "hr"}
VIEWERS = ["poster", "direct", "second", "stranger", "hr", "former", "stranger_via_leaver"]

TABLE = [
    (visibility, status, viewer, viewer in (SEES_WHEN_OPEN[visibility] if status == S.OPEN else SEES_OTHERWISE))
    for visibility in V.values
    for status in S.values
    for viewer in VIEWERS
]


def channels(client, api_as, viewer, opening):
    """What each channel says about whether `viewer` sees `opening`."""
    result = {
        "queryset": Opening.objects.visible_to(viewer).filter(pk=opening.pk).exists(),
        "per_object": can_see(viewer, opening),
        "audience": audience(opening).filter(pk=viewer.pk).exists(),
    }
    if viewer.is_active:
        client.force_login(viewer)
        result["portal_detail"] = client.get(f"/openings/{opening.pk}/").status_code == 200
        # The list shows open openings; HR picks other statuses, posters find theirs on "My openings".
        listing = client.get(f"/openings/?q={opening.title}&status={opening.status}").content.decode()
        mine = client.get("/openings/mine/").content.decode() if viewer.pk == opening.posted_by_id else ""
        result["portal_list"] = f'href="/openings/{opening.pk}/"' in listing + mine
        api = api_as(viewer)
        result["api_detail"] = api.get(f"/api/v1/openings/{opening.pk}/").status_code == 200
        ids = [o["id"] for o in api.get(f"/api/v1/openings/?status={opening.status}").json()["results"]]
        result["api_list"] = opening.pk in ids
        filtered = api.get(f"/api/v1/openings/?visibility={opening.visibility}&division={opening.division.code}").json()
        result["api_filtered_list"] = opening.pk in [o["id"] for o in filtered["results"]]
    return result


@pytest.mark.parametrize("visibility,status,viewer_name,expected", TABLE)
def test_visibility_table(client, api_as, cast, visibility, status, viewer_name, expected):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=visibility, status=status)
    seen = channels(client, api_as, cast[viewer_name], opening)
    assert seen == {channel: expected for channel in seen}


@pytest.mark.parametrize("visibility", V.values)
def test_excluded_employee_never_sees_it(client, api_as, cast, visibility):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=visibility)
    OpeningExclusion.objects.create(opening=opening, user=cast["direct"])
    seen = channels(client, api_as, cast["direct"], opening)
    assert seen == {channel: False for channel in seen}
    # The exclusion hides it from that person only.
    assert can_see(cast["hr"], opening)


def test_deactivated_poster_links_nobody(cast):
    opening = OpeningFactory(posted_by=cast["former"], visibility=V.NETWORK)
    # `poster` was connected to `former`; a leaver links nobody.
    assert not can_see(cast["poster"], opening)
    assert list(audience(opening)) == [cast["hr"]]


def test_removed_connection_takes_effect_on_next_request(client, cast):
    from accounts.models import Connection

    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    client.force_login(cast["direct"])
    assert client.get(f"/openings/{opening.pk}/").status_code == 200
    Connection.objects.filter(
        from_user__in=[cast["poster"], cast["direct"]], to_user__in=[cast["poster"], cast["direct"]]
    ).delete()
    assert client.get(f"/openings/{opening.pk}/").status_code == 404


def without_csrf(body):
    """The CSRF token in the page's sign-out form is masked afresh on every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def test_hidden_is_answered_like_missing(client, api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK)
    client.force_login(cast["stranger"])
    hidden = client.get(f"/openings/{opening.pk}/")
    missing = client.get("/openings/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden.content) == without_csrf(missing.content)
    api = api_as(cast["stranger"])
    hidden, missing = api.get(f"/api/v1/openings/{opening.pk}/"), api.get("/api/v1/openings/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    for method in ("patch", "delete"):
        hidden = getattr(api, method)(f"/api/v1/openings/{opening.pk}/", {"title": "x"}, format="json")
        missing = getattr(api, method)("/api/v1/openings/999999/", {"title": "x"}, format="json")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
    client.force_login(cast["stranger"])
    hidden, missing = client.get(f"/openings/{opening.pk}/edit/"), client.get("/openings/999999/edit/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden.content) == without_csrf(missing.content)


def test_filter_counts_reveal_only_visible_openings(client, cast):
    division = cast["poster"].division
    OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK, division=division)
    client.force_login(cast["stranger"])
    page = client.get("/openings/").content.decode()
    assert f"{division.name} (0)" in page
    client.force_login(cast["direct"])
    page = client.get("/openings/").content.decode()
    assert f"{division.name} (1)" in page


def test_service_token_without_hr_scope_sees_nothing(db, cast):
    from rest_framework.test import APIClient

    from accounts.models import ServiceAccount
    from accounts.services import token_issue

    OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY)
    account = ServiceAccount.objects.create(name="ATS")
    _, plain = token_issue(service_account=account, scope="hr:write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert client.get("/api/v1/openings/").json()["results"] == []


def test_hr_service_token_sees_everything(cast, hr_service_api):
    draft = OpeningFactory(posted_by=cast["poster"], status=S.DRAFT)
    ids = [o["id"] for o in hr_service_api.get("/api/v1/openings/?status=draft").json()["results"]]
    assert ids == [draft.pk]


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("visibility", V.values)
def test_excluded_referrer_table(client, api_as, cast, visibility, status):
    """The table's referrer row: exclusion wins over an earlier referral, in every visibility and
    status and on every channel (the digest's batch included)."""
    from openings.visibility import visible_among
    from tests.referrals.factories import ReferralFactory

    opening = OpeningFactory(posted_by=cast["poster"], visibility=visibility, status=status)
    ReferralFactory(opening=opening, referrer=cast["direct"])
    OpeningExclusion.objects.create(opening=opening, user=cast["direct"])

    seen = channels(client, api_as, cast["direct"], opening)
    seen["batch"] = opening.pk in visible_among([opening], [cast["direct"]])[cast["direct"].pk]

    assert seen == {channel: False for channel in seen}
