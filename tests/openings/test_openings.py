from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from openings.models import Opening, OpeningExclusion
from openings.services import openings_close_expired
from openings.visibility_text import audience_preview
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory

V, S = Opening.Visibility, Opening.Status


def payload(div, loc, **overrides):
    data = {
        "title": "Senior Data Analyst",
        "description": "Join us.",
        "division": div.code,
        "location": loc.code,
        "visibility": "network",
        "status": "open",
    }
    data.update(overrides)
    return data


# --- API writes ---------------------------------------------------------------------------------


def test_api_create_posts_as_the_caller(api_as, poster, stranger):
    api = api_as(poster)
    response = api.post(
        "/api/v1/openings/",
        payload(poster.division, poster.location, posted_by=stranger.pk),
        format="json",
    )
    # posted_by is always the caller: naming someone else is refused, not silently ignored.
    assert response.status_code == 400
    assert response.json()["fields"] == {"posted_by": ["This field is read-only."]}
    assert Opening.objects.count() == 0
    response = api.post("/api/v1/openings/", payload(poster.division, poster.location), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["posted_by"] == poster.pk
    assert body["status"] == "open" and body["opened_at"]
    assert Opening.objects.get().posted_by == poster


@pytest.mark.parametrize(
    "override,field",
    [
        ({"division": "nope"}, "division"),
        ({"location": "nope"}, "location"),
        ({"visibility": "secret"}, "visibility"),
        ({"status": "archived"}, "status"),
        ({"status": "closed"}, "status"),
        ({"closes_on": "2001-01-01"}, "closes_on"),
        ({"title": ""}, "title"),
        ({"referral_bonus_amount": "500"}, "referral_bonus_currency"),
        ({"referral_bonus_amount": "-5", "referral_bonus_currency": "EUR"}, "referral_bonus_amount"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_api_create_bad_input(api_as, poster, override, field):
    response = api_as(poster).post(
        "/api/v1/openings/", payload(poster.division, poster.location, **override), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    assert Opening.objects.count() == 0


def test_api_malformed_json(api_as, poster):
    response = api_as(poster).post("/api/v1/openings/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Opening.objects.count() == 0


def test_service_token_cannot_post(hr_service_api, poster):
    response = hr_service_api.post("/api/v1/openings/", payload(poster.division, poster.location), format="json")
    assert response.status_code == 403
    assert Opening.objects.count() == 0


def test_only_poster_or_hr_changes_an_opening(api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.NETWORK, title="Before")
    # A connection sees it but may not change it: 403. A stranger cannot see it: 404.
    assert (
        api_as(cast["direct"]).patch(f"/api/v1/openings/{opening.pk}/", {"title": "X"}, format="json").status_code
        == 403
    )
    assert (
        api_as(cast["stranger"]).patch(f"/api/v1/openings/{opening.pk}/", {"title": "X"}, format="json").status_code
        == 404
    )
    assert api_as(cast["direct"]).delete(f"/api/v1/openings/{opening.pk}/").status_code == 403
    opening.refresh_from_db()
    assert opening.title == "Before"
    assert (
        api_as(cast["poster"]).patch(f"/api/v1/openings/{opening.pk}/", {"title": "After"}, format="json").status_code
        == 200
    )
    assert (
        api_as(cast["hr"]).patch(f"/api/v1/openings/{opening.pk}/", {"status": "closed"}, format="json").status_code
        == 200
    )
    opening.refresh_from_db()
    assert (opening.title, opening.status) == ("After", "closed")
    assert api_as(cast["poster"]).delete(f"/api/v1/openings/{opening.pk}/").status_code == 204
    assert not Opening.objects.exists()


@pytest.mark.parametrize(
    "start,target,ok",
    [
        (S.DRAFT, S.OPEN, True),
        (S.DRAFT, S.CLOSED, False),
        (S.OPEN, S.CLOSED, True),
        (S.OPEN, S.DRAFT, False),
        (S.CLOSED, S.OPEN, True),
        (S.CLOSED, S.DRAFT, False),
    ],
)
def test_status_transitions(api_as, poster, start, target, ok):
    opening = OpeningFactory(posted_by=poster, status=start, opened_at=None if start == S.DRAFT else timezone.now())
    response = api_as(poster).patch(f"/api/v1/openings/{opening.pk}/", {"status": target}, format="json")
    opening.refresh_from_db()
    if ok:
        assert response.status_code == 200
        assert opening.status == target
        assert opening.opened_at is not None
    else:
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        assert opening.status == start


def test_reopening_needs_a_future_closing_date(api_as, poster):
    opening = OpeningFactory(posted_by=poster, status=S.CLOSED, closes_on=timezone.localdate() - timedelta(days=1))
    response = api_as(poster).patch(f"/api/v1/openings/{opening.pk}/", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "closes_on" in response.json()["fields"]


def test_exclusions_are_shown_only_to_poster_and_hr(api_as, cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.COMPANY)
    OpeningExclusion.objects.create(opening=opening, user=cast["second"])
    assert api_as(cast["poster"]).get(f"/api/v1/openings/{opening.pk}/").json()["excluded"] == [cast["second"].pk]
    assert api_as(cast["hr"]).get(f"/api/v1/openings/{opening.pk}/").json()["excluded"] == [cast["second"].pk]
    assert "excluded" not in api_as(cast["direct"]).get(f"/api/v1/openings/{opening.pk}/").json()


def test_api_filters_and_updated_since(api_as, poster, direct):
    old = OpeningFactory(posted_by=poster, title="Old role")
    Opening.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    new = OpeningFactory(posted_by=poster, title="Payroll specialist", visibility=V.EXTENDED)
    api = api_as(direct)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [o["id"] for o in api.get("/api/v1/openings/", {"updated_since": since}).json()["results"]] == [new.pk]
    assert [o["id"] for o in api.get("/api/v1/openings/", {"q": "payroll"}).json()["results"]] == [new.pk]
    assert [o["id"] for o in api.get("/api/v1/openings/", {"visibility": "network"}).json()["results"]] == [old.pk]
    assert api.get("/api/v1/openings/", {"updated_since": "yesterday"}).status_code == 400


# --- Portal --------------------------------------------------------------------------------------


def test_portal_create_publish_and_exclusions(client, poster, direct):
    client.force_login(poster)
    page = client.get("/openings/new/")
    assert page.status_code == 200
    assert "Reaches 1 person: 1 direct connection" in page.content.decode()
    response = client.post(
        "/openings/new/",
        {
            "title": "Platform engineer",
            "description": "Build things.",
            "division": poster.division.pk,
            "location": poster.location.pk,
            "employment_type": "full_time",
            "work_arrangement": "remote",
            "visibility": "network",
            "excluded_emails": direct.email.upper(),
            "action": "publish",
        },
    )
    opening = Opening.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/openings/{opening.pk}/"
    assert opening.status == "open" and opening.posted_by == poster
    assert list(opening.excluded.all()) == [direct]
    detail = client.get(f"/openings/{opening.pk}/").content.decode()
    assert "0 people: 0 direct connections" in detail
    assert "Hidden from:" in detail and direct.full_name in detail


def test_portal_form_errors_change_nothing(client, poster):
    client.force_login(poster)
    response = client.post(
        "/openings/new/",
        {
            "title": "",
            "description": "x",
            "division": poster.division.pk,
            "location": poster.location.pk,
            "employment_type": "full_time",
            "work_arrangement": "remote",
            "visibility": "network",
            "closes_on": "2001-01-01",
            "excluded_emails": "nobody@example.com",
            "action": "publish",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body
    assert "No active employee with: nobody@example.com." in body
    assert Opening.objects.count() == 0


def test_portal_edit_is_403_for_a_viewer_who_cannot_manage(client, cast):
    opening = OpeningFactory(posted_by=cast["poster"])
    client.force_login(cast["direct"])
    assert client.get(f"/openings/{opening.pk}/edit/").status_code == 403
    assert client.post(f"/openings/{opening.pk}/status/", {"action": "close"}).status_code == 403
    opening.refresh_from_db()
    assert opening.status == "open"


def test_portal_status_changes(client, poster):
    opening = OpeningFactory(posted_by=poster, status=S.DRAFT, opened_at=None)
    client.force_login(poster)
    client.post(f"/openings/{opening.pk}/status/", {"action": "close"})
    opening.refresh_from_db()
    assert opening.status == "draft"  # closing a draft makes no sense
    client.post(f"/openings/{opening.pk}/status/", {"action": "publish"})
    opening.refresh_from_db()
    assert opening.status == "open"
    response = client.post(f"/openings/{opening.pk}/status/", {"action": "close", "next": "/openings/mine/"})
    assert response["Location"] == "/openings/mine/"
    response = client.post(f"/openings/{opening.pk}/status/", {"action": "reopen", "next": "https://evil.example.com/"})
    assert response["Location"] == f"/openings/{opening.pk}/"
    opening.refresh_from_db()
    assert opening.status == "open"


def test_my_openings_and_dashboard(client, poster, direct):
    draft = OpeningFactory(posted_by=poster, status=S.DRAFT, title="Draft role")
    live = OpeningFactory(posted_by=poster, title="Live role")
    client.force_login(poster)
    mine = client.get("/openings/mine/").content.decode()
    assert "Draft role" in mine and "Live role" in mine
    client.force_login(direct)
    home = client.get("/").content.decode()
    assert f"/openings/{live.pk}/" in home and f"/openings/{draft.pk}/" not in home


def test_empty_states(client, stranger):
    client.force_login(stranger)
    assert "No openings here yet" in client.get("/openings/").content.decode()
    assert "You have not posted an opening yet" in client.get("/openings/mine/").content.decode()
    assert "Nothing new yet" in client.get("/").content.decode()


XSS = "<script>alert('x')</script>\"quoted\""


def test_user_text_is_escaped_everywhere(client, api_as, poster, direct):
    opening = OpeningFactory(posted_by=poster, title=XSS, description=f"{XSS}\n\nhttps://example.com/?a=<b>")
    client.force_login(direct)
    for url in ("/openings/", f"/openings/{opening.pk}/", "/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert "&lt;script&gt;" in body, url
    client.force_login(poster)
    for url in ("/openings/mine/", f"/openings/{opening.pk}/edit/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
    assert api_as(direct).get(f"/api/v1/openings/{opening.pk}/").json()["title"] == XSS


def test_description_paragraphs_and_links(client, poster):
    opening = OpeningFactory(posted_by=poster, description="First paragraph.\n\nSee https://intranet.example.com/x")
    client.force_login(poster)
    body = client.get(f"/openings/{opening.pk}/").content.decode()
    assert "<p>First paragraph.</p>" in body
    assert 'href="https://intranet.example.com/x"' in body


# --- The audience preview ----------------------------------------------------------------------


def test_audience_preview_counts(cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=V.EXTENDED, status=S.DRAFT)
    preview = audience_preview(opening)
    # direct is 1st degree; second through direct; former is deactivated and links nobody.
    assert preview == {"total": 2, "direct": 1, "second": 1, "company": False}
    OpeningExclusion.objects.create(opening=opening, user=cast["second"])
    assert audience_preview(opening)["total"] == 1
    opening.visibility = V.COMPANY
    # Everyone active but the poster and the excluded: direct, stranger, hr, stranger_via_leaver.
    assert audience_preview(opening) == {"total": 4, "direct": None, "second": None, "company": True}


# --- Closing by date ------------------------------------------------------------------------


def test_openings_close_by_themselves(poster):
    today = timezone.localdate()
    past = OpeningFactory(posted_by=poster, closes_on=today - timedelta(days=1))
    future = OpeningFactory(posted_by=poster, closes_on=today + timedelta(days=1))
    draft = OpeningFactory(posted_by=poster, status=S.DRAFT, closes_on=today - timedelta(days=1))
    assert openings_close_expired() == 1
    call_command("close_expired_openings")
    states = {o.pk: o.status for o in Opening.objects.all()}
    assert states == {past.pk: "closed", future.pk: "open", draft.pk: "draft"}


def test_close_task_runs(poster):
    from openings.tasks import close_expired_openings

    OpeningFactory(posted_by=poster, closes_on=timezone.localdate() - timedelta(days=2))
    result = close_expired_openings.enqueue()
    assert result.return_value == 1


# --- Constant queries ---------------------------------------------------------------------------


def grow(poster, viewer, n):
    for _ in range(n):
        colleague = UserFactory()
        connect(viewer, colleague)
        OpeningFactory(posted_by=colleague, visibility=V.EXTENDED)
        excluded = OpeningFactory(posted_by=poster, visibility=V.COMPANY)
        OpeningExclusion.objects.create(opening=excluded, user=colleague)


@pytest.mark.parametrize("size", [2, 20])
def test_list_queries_are_constant(client, api_as, django_assert_max_num_queries, poster, direct, size):
    grow(poster, direct, size)
    client.force_login(direct)
    # 12, and the navigation's two "waiting for you" counts.
    with django_assert_max_num_queries(14):
        assert client.get("/openings/?q=Opening").status_code == 200
    api = api_as(direct)
    # 7: one of them counts the request against the rate limit (background/ratelimit.py).
    with django_assert_max_num_queries(7):
        assert len(api.get("/api/v1/openings/").json()["results"]) == 2 * size
    poster_api = api_as(poster)
    with django_assert_max_num_queries(7):
        assert len(poster_api.get("/api/v1/openings/").json()["results"]) == 2 * size
    # 10, the navigation's two counts and the home page's referrals waiting for the viewer (two).
    with django_assert_max_num_queries(14):
        client.get("/")


@pytest.mark.parametrize("size", [3, 30])
def test_detail_and_form_queries_are_constant(client, django_assert_max_num_queries, poster, size):
    opening = OpeningFactory(posted_by=poster, visibility=V.EXTENDED)
    for _ in range(size):
        friend = UserFactory()
        connect(poster, friend)
        connect(friend, UserFactory())
        OpeningExclusion.objects.create(opening=opening, user=UserFactory())
    client.force_login(poster)
    # Each with the navigation's two "waiting for you" counts, and the reach by place (issue 19:
    # two group-bys of the audience, the wider level's audience, headcounts and place names).
    with django_assert_max_num_queries(19):
        assert client.get(f"/openings/{opening.pk}/").status_code == 200
    # 17 (the form also names excluded people who already referred), the navigation's two counts,
    # and the chosen level's reach by place.
    with django_assert_max_num_queries(29):
        assert client.get(f"/openings/{opening.pk}/edit/").status_code == 200


def test_list_pages_keep_the_filters(client, poster, direct):
    for i in range(23):
        OpeningFactory(posted_by=poster, title=f"Analyst {i}")
    OpeningFactory(posted_by=poster, title="Gardener")
    client.force_login(direct)
    first = client.get("/openings/?q=Analyst").content.decode()
    assert "Page 1 of 2" in first and 'href="?q=Analyst&amp;page=2"' in first
    second = client.get("/openings/?q=Analyst&page=2").content.decode()
    assert second.count('class="card opening-card"') == 3 and "Gardener" not in second
    assert "24 openings" in client.get("/openings/").content.decode()
