"""Webhooks of events (issue 18): event.created, event.updated, event.deleted and
event.attendees_changed, written by the events services in the transaction of the change and
delivered to a real receiver on 127.0.0.1; subscribing needs HR's read scope (hr:read or hr)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events import services
from events.models import Event
from events.serializers import EventSerializer
from integrations import webhooks
from integrations.models import OutboxEvent, WebhookDelivery
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory, UserFactory
from tests.integrations.conftest import verify_signature

pytestmark = pytest.mark.django_db

EVENT_TYPES = ["event.created", "event.updated", "event.deleted", "event.attendees_changed"]


def assert_same_resource(sent, resource):
    """Equal field by field; times as the outbox's JSON writes them (to the millisecond)."""
    assert set(sent) == set(resource)
    for name, value in resource.items():
        if name.endswith("_at"):
            assert abs(parse_datetime(sent[name]) - parse_datetime(value)) < timedelta(milliseconds=1), name
        else:
            assert sent[name] == value, name


def types():
    return list(OutboxEvent.objects.order_by("created_at").values_list("type", flat=True))


def training_body(**extra):
    start = timezone.now() + timedelta(days=10)
    return {
        "title": "Leadership Training",
        "kind": "training",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
        "location": LocationFactory(code="berlin").code,
        **extra,
    }


def test_an_hr_system_creates_and_syncs_an_event_and_the_receiver_hears_it(
    receiver, service_api, django_capture_on_commit_callbacks
):
    hris = service_api("hr")
    created = hris.post("/api/v1/webhooks/", {"url": receiver.url, "events": EVENT_TYPES}, format="json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]

    body = training_body()
    with django_capture_on_commit_callbacks(execute=True):
        first = hris.put("/api/v1/events/by-external-id/lms-1/", body, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        again = hris.put("/api/v1/events/by-external-id/lms-1/", body, format="json")  # unchanged
    with django_capture_on_commit_callbacks(execute=True):
        renamed = hris.put("/api/v1/events/by-external-id/lms-1/", {"title": "Leading Teams"}, format="json")
    assert (first.status_code, again.status_code, renamed.status_code) == (201, 200, 200)

    assert [r["headers"]["Webhook-Id"] for r in receiver.requests] == [
        str(e.pk) for e in OutboxEvent.objects.order_by("created_at")
    ]
    assert [receiver.json(i)["type"] for i in range(len(receiver.requests))] == ["event.created", "event.updated"]
    assert all(verify_signature(secret, r["headers"], r["body"]) for r in receiver.requests)
    event = Event.objects.get()
    # The data is the API's event resource, as GET /api/v1/events/<id>/ shows it at that moment.
    assert_same_resource(receiver.json(-1)["data"], EventSerializer(event).data)
    assert receiver.json(-1)["data"]["title"] == "Leading Teams"
    assert receiver.json(0)["data"]["external_id"] == "lms-1"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_attendee_changes_name_who_joined_and_who_left(receiver, poster, direct, second, hr):
    webhooks.endpoint_create(url=receiver.url, events=["event.attendees_changed"], created_by=hr)
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    attend(event, second)

    services.attendees_replace(event=event, by=hr, employee_ids=[direct.pk, poster.pk])
    services.attendees_replace(event=event, by=hr, employee_ids=[direct.pk, poster.pk])  # no change: no event
    newcomer = UserFactory()
    services.attendance_add(event=event, by=poster, employee=newcomer)
    services.attendance_add(event=event, by=poster, employee=newcomer)  # already there
    late = UserFactory()
    services.attendance_check_in(token=services.check_in_token(event), employee=late)

    sent = list(OutboxEvent.objects.order_by("created_at"))
    assert [e.type for e in sent] == ["event.attendees_changed"] * 3
    assert [e.payload["attendees"] for e in sent] == [
        {"added": sorted([direct.pk, poster.pk]), "removed": [second.pk]},
        {"added": [newcomer.pk], "removed": []},
        {"added": [late.pk], "removed": []},
    ]
    assert all(e.payload["id"] == event.pk and e.payload["title"] == event.title for e in sent)
    # The payload's updated_at is the touched one (a change of the list is a change of the event).
    event.refresh_from_db()
    assert abs(parse_datetime(sent[-1].payload["updated_at"]) - event.updated_at) < timedelta(milliseconds=1)
    assert WebhookDelivery.objects.count() == 3


def test_portal_edits_and_deletion_are_sent(receiver, poster, hr, django_capture_on_commit_callbacks):
    webhooks.endpoint_create(url=receiver.url, events=EVENT_TYPES, created_by=hr)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.event_create(by=poster, title="Data Coffee", online=True, **_when())
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(event=event, by=poster, title="Data Coffee & Cake")
    services.event_update(event=event, by=poster, title="Data Coffee & Cake")  # nothing changed
    pk = event.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.event_delete(event=event, by=poster)
    assert [receiver.json(i)["type"] for i in range(3)] == ["event.created", "event.updated", "event.deleted"]
    assert receiver.json(2)["data"]["id"] == pk and receiver.json(2)["data"]["title"] == "Data Coffee & Cake"
    assert receiver.json(0)["data"]["organiser"] == poster.pk and receiver.json(0)["data"]["location"] is None


def test_an_organiser_change_alone_is_an_update(hr, poster, direct):
    EventFactory(external_id="lms-2", organiser=poster)
    services.event_upsert_by_external_id(external_id="lms-2", by=hr, fields={"organiser": direct})
    assert types() == ["event.updated"]
    assert OutboxEvent.objects.get().payload["organiser"] == direct.pk
    services.event_upsert_by_external_id(external_id="lms-2", by=hr, fields={"organiser": direct})
    assert types() == ["event.updated"]


def test_a_refused_or_rolled_back_change_sends_nothing(hr, poster, receiver):
    webhooks.endpoint_create(url=receiver.url, events=EVENT_TYPES, created_by=hr)
    event = EventFactory(organiser=poster)
    with pytest.raises(ValidationError):
        services.attendees_replace(event=event, by=hr, employee_ids=[poster.pk, 999_999])
    with pytest.raises(ValidationError):
        services.event_update(event=event, by=poster, ends_at=event.starts_at - timedelta(hours=1))
    with pytest.raises(RuntimeError), transaction.atomic():
        services.event_update(event=event, by=poster, title="Never")
        raise RuntimeError("the caller's transaction fails after the change")
    assert not OutboxEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_subscribing_to_events_needs_hrs_read_scope(service_api, api_as, poster, hr, receiver):
    body = {"url": receiver.url, "events": ["event.created", "event.attendees_changed"]}
    refused = service_api("hr:write").post("/api/v1/webhooks/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["events"] == [
        "Receiving event.attendees_changed, event.created needs the read scope of those events "
        "(hr:read or hr, or an HR employee)."
    ]
    # An employee reads events but not who attended every event: no subscription either.
    assert webhooks.subscription_problem(poster, ["event.created"]) is not None
    assert webhooks.subscription_problem(hr, EVENT_TYPES) is None
    assert service_api("hr").post("/api/v1/webhooks/", body, format="json").status_code == 201


def test_the_schema_lists_the_event_types(client, db):
    schema = client.get("/api/schema/?format=json").json()
    enum = schema["components"]["schemas"]["WebhookEventTypeEnum"]["enum"]
    assert set(EVENT_TYPES) <= set(enum)


def _when():
    start = timezone.now() + timedelta(days=3)
    return {"starts_at": start, "ends_at": start + timedelta(hours=2)}
