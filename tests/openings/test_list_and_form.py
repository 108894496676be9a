"""The openings list says how each opening reached the viewer; the form shows its live audience."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Connection
from openings.models import Opening, OpeningExclusion
from openings.visibility import routes_to
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

V, S = Opening.Visibility, Opening.Status


def route_of(user, opening):
    return routes_to(user, Opening.objects.visible_to(user).filter(pk=opening.pk).select_related("posted_by"))[
        opening.pk
    ]


def test_each_route_follows_the_rule(cast):
    poster, direct, second, stranger, hr = (cast[k] for k in ("poster", "direct", "second", "stranger", "hr"))
    network = OpeningFactory(posted_by=poster, visibility=V.NETWORK)
    extended = OpeningFactory(posted_by=poster, visibility=V.EXTENDED)
    company = OpeningFactory(posted_by=poster, visibility=V.COMPANY)
    assert route_of(poster, network).kind == "own"
    assert route_of(direct, network).label == "via Paula Poster, your connection"
    assert route_of(direct, company).kind == "connection"
    assert route_of(second, extended).label == "through your network"
    assert route_of(stranger, company).label == "company-wide"
    assert route_of(hr, extended).kind == "hr"
    # Exclusion wins over an earlier referral: the excluded referrer has no route at all.
    ReferralFactory(opening=company, referrer=stranger)
    OpeningExclusion.objects.create(opening=company, user=stranger)
    assert routes_to(stranger, Opening.objects.visible_to(stranger).filter(pk=company.pk)) == {}
    closed = OpeningFactory(posted_by=poster, visibility=V.NETWORK, status=S.CLOSED)
    ReferralFactory(opening=closed, referrer=direct)
    assert route_of(direct, closed).kind == "referred"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    visibility=st.sampled_from(list(V.values)),
    status=st.sampled_from(list(S.values)),
    links=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=8),
    excluded=st.sets(st.integers(0, 4), max_size=2),
)
@pytest.mark.django_db
def test_every_visible_opening_has_a_route_that_matches_the_rule(visibility, status, links, excluded):
    people = [UserFactory() for _ in range(5)]
    for a, b in {tuple(sorted(pair)) for pair in links if pair[0] != pair[1]}:
        connect(people[a], people[b])
    opening = OpeningFactory(posted_by=people[0], visibility=visibility, status=status)
    for n in excluded - {0}:
        OpeningExclusion.objects.create(opening=opening, user=people[n])
    for viewer in people:
        visible = list(Opening.objects.visible_to(viewer).select_related("posted_by"))
        routes = routes_to(viewer, visible)
        assert set(routes) == {o.pk for o in visible}
        for o in visible:
            kind = routes[o.pk].kind
            if kind == "connection":
                assert Connection.objects.filter(from_user=viewer, to_user=o.posted_by).exists()
                assert o.status == S.OPEN and viewer.pk not in {people[n].pk for n in excluded}
            if kind == "company":
                assert o.visibility == V.COMPANY and o.status == S.OPEN
            if kind == "network":
                assert o.visibility == V.EXTENDED and o.status == S.OPEN
            assert kind not in ("hr", "referred")  # nobody here is HR or referred: a clause explains each


def test_list_marks_sorts_and_shows_the_closing_date(client, poster, direct):
    soon = OpeningFactory(posted_by=poster, title="Closes soon", closes_on=timezone.localdate() + timedelta(days=3))
    later = OpeningFactory(posted_by=poster, title="Closes later", closes_on=timezone.localdate() + timedelta(days=30))
    ReferralFactory(opening=soon, referrer=direct)
    ReferralFactory(opening=later, referrer=direct, is_self_referral=True, candidate_email=direct.email)
    client.force_login(direct)
    body = client.get("/openings/?sort=closing").content.decode()
    assert body.index("Closes soon") < body.index("Closes later")
    assert "You referred someone" in body and "You applied" in body
    assert f"closes {soon.closes_on:%-d %b %Y}" in body
    assert "via Paula Poster, your connection" in body
    assert "Poster&#x27;s connections" in body and "My network" not in body
    newest = client.get("/openings/?sort=newest").content.decode()
    assert newest.index("Closes later") < newest.index("Closes soon")
    # An unknown order is the default one, not an error.
    assert client.get("/openings/?sort=bogus").status_code == 200


@pytest.mark.parametrize("size", [2, 20])
def test_list_routes_and_marks_run_constant_queries(client, django_assert_max_num_queries, poster, direct, size):
    for _ in range(size):
        colleague = UserFactory()
        connect(direct, colleague)
        far = UserFactory()
        connect(colleague, far)
        OpeningFactory(posted_by=far, visibility=V.EXTENDED)
        ReferralFactory(opening=OpeningFactory(posted_by=colleague, visibility=V.COMPANY), referrer=direct)
    client.force_login(direct)
    with django_assert_max_num_queries(16):
        body = client.get("/openings/").content.decode()
    assert body.count("How it reached you") == min(2 * size, 20)


# --- The new-opening form and its live audience -------------------------------------------------


def test_form_defaults_to_the_posters_division_location_and_currency(client, poster, settings):
    settings.DEFAULT_BONUS_CURRENCY = "CHF"
    client.force_login(poster)
    form = client.get("/openings/new/").context["form"]
    assert form["division"].value() == poster.division_id
    assert form["location"].value() == poster.location_id
    assert form["referral_bonus_currency"].value() == "CHF"


def test_audience_preview_follows_visibility_and_exclusions(client, poster, direct, second):
    client.force_login(poster)
    network = client.get("/openings/audience/", {"visibility": "network"}).json()
    assert (network["total"], network["direct"]) == (1, 1)
    extended = client.get("/openings/audience/", {"visibility": "extended"}).json()
    assert (extended["total"], extended["second"]) == (2, 1)
    hidden = client.get("/openings/audience/", {"visibility": "extended", "excluded_emails": direct.email}).json()
    assert (hidden["total"], hidden["direct"], hidden["second"]) == (1, 0, 1)
    assert hidden["text"] == "1 person: 0 direct connections, 1 through them"


def test_audience_preview_refuses_bad_input_with_field_messages(client, poster):
    client.force_login(poster)
    response = client.get("/openings/audience/", {"visibility": "everyone", "excluded_emails": "nobody@example.com"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "visibility" in errors and "nobody@example.com" in errors["excluded_emails"][0]
    mine = client.get("/openings/audience/", {"visibility": "network", "excluded_emails": poster.email})
    assert mine.status_code == 400 and "yourself" in mine.json()["errors"]["excluded_emails"][0]


def test_audience_preview_of_an_opening_i_may_not_edit_is_like_a_missing_one(client, poster, direct):
    opening = OpeningFactory(posted_by=poster, visibility=V.NETWORK)
    client.force_login(direct)  # sees it, may not edit it
    theirs = client.get("/openings/audience/", {"visibility": "network", "opening": opening.pk})
    missing = client.get("/openings/audience/", {"visibility": "network", "opening": 999999})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    client.force_login(poster)
    assert client.get("/openings/audience/", {"visibility": "network", "opening": opening.pk}).status_code == 200


def test_audience_preview_needs_sign_in(client):
    assert client.get("/openings/audience/", {"visibility": "network"}).status_code == 302


def test_without_javascript_the_form_shows_the_audience_it_was_sent_with(client, poster, direct, second):
    client.force_login(poster)
    page = client.get("/openings/new/").content.decode()
    assert re.search(r'<strong id="audience-text">1 person: 1 direct connection\s*</strong>', page)
    refused = client.post("/openings/new/", {"title": "", "visibility": "extended", "excluded_emails": direct.email})
    body = refused.content.decode()
    assert "<title>Error: " in body
    assert re.search(r'<strong id="audience-text">1 person: 0 direct connections, 1 through them\s*</strong>', body)
    assert not Opening.objects.exists()
