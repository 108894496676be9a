"""The event admin goes through the services: HR adds and changes events with the same checks and
an audit row per write; the attendee list is read-only there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from integrations.models import AuditEvent
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db
EVENTS = "/admin/events/event/"


def form_data(**overrides):
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "title": "Leadership Training",
        "kind": "training",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "09:00:00",
        "ends_at_0": start.strftime("%Y-%m-%d"),
        "ends_at_1": "17:00:00",
        "location": LocationFactory().pk,
        "online": "",
        "description": "",
        "attendances-TOTAL_FORMS": "0",
        "attendances-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_hr_adds_and_changes_an_event_through_the_services(client, hr, direct):
    client.force_login(hr)
    response = client.post(f"{EVENTS}add/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert (event.kind, event.organiser) == ("training", hr)
    attend(event, direct)
    response = client.post(
        f"{EVENTS}{event.pk}/change/",
        form_data(title="Leadership, Berlin", location=event.location_id, **{"attendances-INITIAL_FORMS": "0"}),
    )
    assert response.status_code == 302
    assert Event.objects.get().title == "Leadership, Berlin"
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == ["event.create", "event.update"]
    assert event.attendances.count() == 1


def test_the_admin_refuses_an_end_before_the_start(client, hr):
    client.force_login(hr)
    response = client.post(f"{EVENTS}add/", form_data(ends_at_1="08:00:00"))
    assert response.status_code == 200 and "The end must be at or after the start." in response.content.decode()
    assert not Event.objects.exists() and not AuditEvent.objects.exists()


def test_deleting_is_audited(client, hr):
    event = EventFactory()
    client.force_login(hr)
    response = client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Event.objects.exists()
    assert AuditEvent.objects.get().action == "event.delete"
