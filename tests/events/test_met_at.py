"""Meeting leaves a trace (issue 18): a request sent from an event carries it (`met_at`) to the
connection, only when both people attended; "Met at <event>" shows to the two of them alone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Connection, ConnectionRequest
from accounts.network import services
from tests.events.factories import EventFactory, attend

pytestmark = pytest.mark.django_db


@pytest.fixture
def training(poster, stranger):
    """A past training that the poster and the stranger both attended."""
    start = timezone.now() - timedelta(days=10)
    event = EventFactory(title="Leadership Training", starts_at=start, ends_at=start + timedelta(hours=8))
    attend(event, poster, stranger)
    return event


def test_met_at_is_carried_from_request_to_connection(poster, stranger, training):
    sent = services.connection_request_send(sender=stranger, recipient=poster, message="Hi", met_at=training)
    assert ConnectionRequest.objects.get(pk=sent.pk).met_at_id == training.pk
    services.connection_request_accept(request_obj=sent, by=poster)
    rows = Connection.objects.filter(from_user__in=[poster, stranger], to_user__in=[poster, stranger])
    assert sorted(rows.values_list("met_at_id", flat=True)) == [training.pk, training.pk]


def test_crossing_request_carries_met_at(poster, stranger, training):
    first = services.connection_request_send(sender=stranger, recipient=poster)
    answered = services.connection_request_send(sender=poster, recipient=stranger, met_at=training)
    assert answered.pk == first.pk and answered.status == ConnectionRequest.Status.ACCEPTED
    assert ConnectionRequest.objects.get(pk=first.pk).met_at_id == training.pk
    assert set(Connection.objects.filter(from_user=poster).values_list("met_at_id", flat=True)) == {training.pk}


def test_crossing_request_keeps_the_first_askers_event(poster, stranger, training):
    other = EventFactory(title="Other", starts_at=training.starts_at, ends_at=training.ends_at)
    attend(other, poster, stranger)
    services.connection_request_send(sender=stranger, recipient=poster, met_at=training)
    services.connection_request_send(sender=poster, recipient=stranger, met_at=other)
    assert set(Connection.objects.values_list("met_at_id", flat=True)) == {training.pk}


@pytest.mark.parametrize("who_attended", ["sender", "recipient", "nobody"])
def test_met_at_refused_unless_both_attended(poster, stranger, who_attended):
    event = EventFactory(title="Offsite")
    if who_attended == "sender":
        attend(event, stranger)
    elif who_attended == "recipient":
        attend(event, poster)
    with pytest.raises(services.NetworkError) as refused:
        services.connection_request_send(sender=stranger, recipient=poster, met_at=event)
    assert refused.value.field == "met_at"
    assert not ConnectionRequest.objects.exists()


def test_crossing_request_with_a_false_event_writes_nothing(poster, stranger):
    event = EventFactory(title="Offsite")
    attend(event, poster)
    first = services.connection_request_send(sender=stranger, recipient=poster)
    with pytest.raises(services.NetworkError):
        services.connection_request_send(sender=poster, recipient=stranger, met_at=event)
    assert ConnectionRequest.objects.get(pk=first.pk).status == ConnectionRequest.Status.PENDING
    assert not Connection.objects.exists()


def test_portal_connect_from_event_page(client, poster, stranger, training):
    client.force_login(stranger)
    page = client.get(reverse("events:detail", args=[training.pk]))
    assert f'name="met_at" value="{training.pk}"' in page.content.decode()
    assert "We met at Leadership Training" in page.content.decode()
    client.post(
        reverse("network:connect", args=[poster.pk]),
        {"met_at": training.pk, "message": "We met at Leadership Training"},
    )
    sent = ConnectionRequest.objects.get()
    assert sent.met_at_id == training.pk and sent.message == "We met at Leadership Training"
    client.force_login(poster)
    home = client.get(reverse("network:home")).content.decode()
    assert "Met at Leadership Training" in home


def test_portal_refuses_false_met_at_with_a_message(client, poster, stranger):
    event = EventFactory(title="Offsite")
    attend(event, stranger)
    client.force_login(stranger)
    answer = client.post(reverse("network:connect", args=[poster.pk]), {"met_at": event.pk}, follow=True)
    assert "did not both attend Offsite" in answer.content.decode()
    assert not ConnectionRequest.objects.exists()


def test_connect_form_prefilled_from_event(client, poster, stranger, training):
    client.force_login(stranger)
    page = client.get(reverse("network:profile", args=[poster.pk]) + f"?met_at={training.pk}").content.decode()
    assert "We met at Leadership Training" in page
    plain = client.get(reverse("network:profile", args=[poster.pk])).content.decode()
    assert "We met at Leadership Training" not in plain


def test_request_email_names_the_event(poster, stranger, training):
    from accounts.tasks import build_connection_request_email

    sent = services.connection_request_send(sender=stranger, recipient=poster, met_at=training)
    message = build_connection_request_email(sent.pk)
    assert "Met at Leadership Training" in message.body


def test_met_at_on_profiles_shows_to_both_people_only(client, cast, training):
    poster, stranger = cast["poster"], cast["stranger"]
    sent = services.connection_request_send(sender=stranger, recipient=poster, met_at=training)
    services.connection_request_accept(request_obj=sent, by=poster)
    for name, viewer in cast.items():
        client.force_login(viewer)
        for person in (poster, stranger):
            page = client.get(reverse("network:profile", args=[person.pk]))
            shown = page.status_code == 200 and "Met at" in page.content.decode()
            expected = {viewer.pk, person.pk} == {poster.pk, stranger.pk}
            assert shown == expected, (name, person.full_name)


def test_api_create_and_read_met_at(api_as, poster, stranger, training):
    answer = api_as(stranger).post(
        "/api/v1/connection-requests/", {"to": poster.pk, "met_at": training.pk}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["met_at"] == {"id": training.pk, "title": "Leadership Training"}
    listed = api_as(poster).get("/api/v1/connection-requests/").json()["results"]
    assert listed[0]["met_at"] == {"id": training.pk, "title": "Leadership Training"}
    accepted = api_as(poster).post(f"/api/v1/connection-requests/{answer.json()['id']}/accept/")
    assert accepted.json()["met_at"]["id"] == training.pk
    connections = api_as(poster).get("/api/v1/connections/").json()["results"]
    assert [(c["id"], c["met_at"]) for c in connections] == [
        (stranger.pk, {"id": training.pk, "title": "Leadership Training"})
    ]


def test_api_met_at_null_without_event(api_as, poster, stranger, direct):
    answer = api_as(stranger).post("/api/v1/connection-requests/", {"to": poster.pk}, format="json")
    assert answer.json()["met_at"] is None
    connections = api_as(poster).get("/api/v1/connections/").json()["results"]
    assert connections[0]["met_at"] is None


def test_api_refuses_met_at_not_both_attended(api_as, poster, stranger):
    event = EventFactory(title="Offsite")
    attend(event, stranger)
    answer = api_as(stranger).post("/api/v1/connection-requests/", {"to": poster.pk, "met_at": event.pk}, format="json")
    assert answer.status_code == 400
    assert "met_at" in answer.json()["fields"]
    assert not ConnectionRequest.objects.exists()


def test_api_connections_constant_queries(api_as, poster, training, stranger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory, connect

    client = api_as(poster)
    client.get("/api/v1/connections/")  # the token's first use writes its "last used" once
    counts = []
    for size in (2, 12):
        for _ in range(size):
            connect(poster, UserFactory())
        Connection.objects.filter(from_user=poster).update(met_at=training)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/connections/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
