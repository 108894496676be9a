"""Where two people met, in the lists that show people: the suggestions API's `met_at` (the event
a "Both at …" reason names) and /network/'s connections ("Met at <event>", linked to the event
page when the viewer may open it), each at a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Connection
from events.models import Event
from tests.events.factories import EventFactory, attend
from tests.factories import UserFactory, connect

pytestmark = pytest.mark.django_db


def past_event(**fields):
    start = timezone.now() - timedelta(days=5)
    return EventFactory(starts_at=start, ends_at=start + timedelta(hours=3), **fields)


def measured(call, assert_max, ceiling):
    """(queries, response) of `call` after a first call has warmed the caches (content types,
    permissions) so that both sizes are measured alike; at most `ceiling` queries."""
    call()
    with assert_max(ceiling) as queries:
        response = call()
    assert response.status_code == 200
    return len(queries), response


# --- /api/v1/suggestions/ --------------------------------------------------------------------------


def test_a_suggestion_met_at_an_event_names_it(api_as, poster, second):
    event = past_event(title="Leadership Training <Berlin>")
    met = UserFactory(full_name="Mira Met")
    attend(event, poster, met)
    body = api_as(poster).get("/api/v1/suggestions/").json()
    by_id = {row["employee"]["id"]: row for row in body["results"]}
    assert by_id[met.pk]["met_at"] == {"id": event.pk, "title": "Leadership Training <Berlin>"}
    assert by_id[met.pk]["reason"].startswith("Both at Leadership Training <Berlin>")
    # Suggested for another reason (a friend of a friend): no event.
    assert by_id[second.pk]["met_at"] is None
    assert body["results"][0]["employee"]["id"] == met.pk


def grow_met(viewer, size):
    """`size` people the viewer met at `size` past events (not connected), and `size` friends of friends."""
    for _ in range(size):
        attend(past_event(), viewer, UserFactory())
        friend = UserFactory()
        connect(viewer, friend)
        connect(friend, UserFactory())


def test_suggestions_with_events_run_constant_queries(api_as, poster, django_assert_max_num_queries, capsys):
    api = api_as(poster)
    counts = []
    for size, more in ((3, 3), (30, 27)):
        grow_met(poster, more)
        n, response = measured(lambda: api.get("/api/v1/suggestions/"), django_assert_max_num_queries, 12)
        rows = response.json()["results"]
        assert sum(1 for row in rows if row["met_at"]) == min(size, 20)
        counts.append(n)
    with capsys.disabled():
        print(f"\n/api/v1/suggestions/ with met_at: {counts[0]} queries with 3 events, {counts[1]} with 30")
    assert counts[0] == counts[1]


def test_the_schema_documents_met_at_on_suggestions(client, db):
    schema = client.get("/api/schema/?format=json").json()
    suggestion = schema["components"]["schemas"]["Suggestion"]
    assert "met_at" in suggestion["properties"] and "met_at" in suggestion["required"]
    met_at = suggestion["properties"]["met_at"]
    assert met_at.get("nullable") or any(
        part.get("type") == "null" or "nullable" in part for part in met_at.get("oneOf", met_at.get("allOf", []))
    ), met_at


# --- /network/ ------------------------------------------------------------------------------------


def connect_met_at(a, b, event):
    connect(a, b)
    Connection.objects.filter(from_user__in=[a, b], to_user__in=[a, b]).update(met_at=event)


def test_connections_show_where_we_met_linked_to_the_event(client, poster, direct):
    event = past_event(title="Data & Dinner <meetup>")
    met = UserFactory(full_name="Omar Met")
    connect_met_at(poster, met, event)
    client.force_login(poster)
    body = client.get("/network/").content.decode()
    assert f'Met at <a href="/events/{event.pk}/">Data &amp; Dinner &lt;meetup&gt;</a>' in body
    assert body.count("Met at") == 1  # Dan Direct was not met at an event
    # The other side sees it too.
    client.force_login(met)
    assert f'href="/events/{event.pk}/">Data &amp; Dinner' in client.get("/network/").content.decode()


def test_an_event_the_viewer_may_not_open_is_named_without_a_link(client, poster, monkeypatch):
    # Today every employee may open every event; the page asks the events' rule all the same, so a
    # narrower rule (say, private events) changes the link without touching the page.
    event = past_event(title="Closed Offsite")
    connect_met_at(poster, UserFactory(), event)
    monkeypatch.setattr("events.selectors.events_listed_to", lambda viewer: Event.objects.none())
    client.force_login(poster)
    body = client.get("/network/").content.decode()
    assert "Met at Closed Offsite" in body and f'href="/events/{event.pk}/"' not in body


def test_a_deleted_event_leaves_the_connection_without_met_at(client, poster, hr):
    from events import services

    event = past_event(title="Gone Meetup")
    other = UserFactory()
    connect_met_at(poster, other, event)
    services.event_delete(event=event, by=hr)
    client.force_login(poster)
    body = client.get("/network/").content.decode()
    assert other.full_name in body and "Gone Meetup" not in body


def test_network_with_met_at_runs_constant_queries(client, poster, django_assert_max_num_queries, capsys):
    client.force_login(poster)
    counts = []
    for size in (3, 30):
        while Connection.objects.filter(from_user=poster).count() < size:
            connect_met_at(poster, UserFactory(), past_event())
        n, response = measured(lambda: client.get("/network/"), django_assert_max_num_queries, 21)
        assert response.content.decode().count("Met at <a href=") == size
        counts.append(n)
    with capsys.disabled():
        print(f"\n/network/ with met_at: {counts[0]} queries with 3 connections, {counts[1]} with 30")
    assert counts[0] == counts[1]
