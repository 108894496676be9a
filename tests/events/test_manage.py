"""Changing and deleting an event in the portal (/events/<id>/edit/ and /events/<id>/delete/):
the organiser and HR through the events services; events an HR system sent are HR's; 404 for a
missing event, 403 for one the caller sees but may not change; field messages, nothing written."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import ConnectionRequest
from events import services
from events.models import Attendance, Event
from integrations.models import AuditEvent
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


def meetup(organiser, **fields):
    return EventFactory(organiser=organiser, kind=Event.Kind.MEETUP, title="Data Coffee", **fields)


def form_data(event, **changes):
    local = timezone.localtime
    data = {
        "title": event.title,
        "starts_at": local(event.starts_at).strftime(FMT),
        "ends_at": local(event.ends_at).strftime(FMT),
        "location": event.location_id or "",
        "description": event.description,
    }
    if event.online:
        data["online"] = "on"
    data.update(changes)
    return data


# --- The rules ------------------------------------------------------------------------------------


def test_who_may_edit_and_delete(poster, direct, stranger, hr):
    future = meetup(poster)
    begun = meetup(poster, starts_at=timezone.now() - timedelta(hours=1))
    synced = EventFactory(organiser=poster, external_id="lms-7", source="Cornerstone")
    attend(future, direct)
    for event in (future, begun, synced):
        assert services.can_edit_event(hr, event) and services.can_delete_event(hr, event)
        for other in (direct, stranger):  # an attendee is not an organiser
            assert not services.can_edit_event(other, event) and not services.can_delete_event(other, event)
    assert services.can_edit_event(poster, future) and services.can_delete_event(poster, future)
    assert services.can_edit_event(poster, begun) and not services.can_delete_event(poster, begun)
    assert not services.can_edit_event(poster, synced) and not services.can_delete_event(poster, synced)
    assert services.can_manage_event(poster, synced)  # still adds attendees and shows the check-in link


def test_the_services_refuse_with_the_reason(poster, hr):
    synced = EventFactory(organiser=poster, external_id="lms-8", source="Cornerstone")
    with pytest.raises(PermissionDenied, match="Cornerstone"):
        services.event_update(event=synced, by=poster, title="Mine")
    with pytest.raises(PermissionDenied, match="Cornerstone"):
        services.event_delete(event=synced, by=poster)
    begun = meetup(poster, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(PermissionDenied, match="only HR"):
        services.event_delete(event=begun, by=poster)
    services.event_delete(event=begun, by=hr)
    old = synced.title
    assert services.event_update(event=synced, by=hr, title="Renamed by HR") == {"title": [old, "Renamed by HR"]}


# --- /events/<id>/edit/ ---------------------------------------------------------------------------


def test_the_organiser_edits_a_meetup(client, poster):
    event = meetup(poster)
    client.force_login(poster)
    page = client.get(f"/events/{event.pk}/")
    assert f'href="/events/{event.pk}/edit/"' in page.content.decode()
    form = client.get(f"/events/{event.pk}/edit/")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="Data Coffee"' in body and 'name="kind"' not in body  # an organiser's meetup stays one
    place = LocationFactory(name="Lisbon")
    response = client.post(f"/events/{event.pk}/edit/", form_data(event, title="Data Coffee & Cake", location=place.pk))
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    event.refresh_from_db()
    assert (event.title, event.location, event.kind) == ("Data Coffee & Cake", place, "meetup")
    audit = AuditEvent.objects.get()
    assert audit.action == "event.update" and set(audit.changes) == {"title", "location"}


def test_saving_without_changes_writes_nothing(client, poster):
    event = meetup(poster)
    before = event.updated_at
    client.force_login(poster)
    response = client.post(f"/events/{event.pk}/edit/", form_data(event), follow=True)
    assert "Nothing changed." in response.content.decode()
    event.refresh_from_db()
    assert event.updated_at == before and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ends_at_offset": -2}, "ends_at", services.END_BEFORE_START),
        ({"location": "", "online": None}, "location", services.NO_PLACE),
        ({"title": ""}, "title", "This field is required."),
        ({"starts_at": "yesterday-ish"}, "starts_at", "Enter a valid date/time."),
        ({"title": "Hidden\u202etext"}, "title", None),
    ],
)
def test_bad_input_answers_400_with_the_field_message(client, poster, changes, field, message):
    event = meetup(poster)
    before = (event.title, event.starts_at, event.ends_at, event.location_id, event.updated_at)
    data = form_data(event)
    if "ends_at_offset" in changes:
        data["ends_at"] = timezone.localtime(event.starts_at + timedelta(hours=changes.pop("ends_at_offset")))
        data["ends_at"] = data["ends_at"].strftime(FMT)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    client.force_login(poster)
    response = client.post(f"/events/{event.pk}/edit/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert 'class="field-error"' in response.content.decode()
    event.refresh_from_db()
    assert (event.title, event.starts_at, event.ends_at, event.location_id, event.updated_at) == before
    assert not AuditEvent.objects.exists()


def test_hr_edits_any_event_and_may_change_its_kind(client, poster, hr):
    event = EventFactory(organiser=poster, kind=Event.Kind.TRAINING, external_id="lms-9", source="LMS")
    client.force_login(hr)
    assert 'name="kind"' in client.get(f"/events/{event.pk}/edit/").content.decode()
    response = client.post(f"/events/{event.pk}/edit/", {**form_data(event), "kind": "conference"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.kind == "conference"


@pytest.mark.parametrize("path", ["edit", "delete", "check-in-poster"])
def test_others_get_403_and_a_missing_event_404(client, poster, direct, stranger, path):
    event = meetup(poster)
    attend(event, direct)
    for other in (direct, stranger):
        client.force_login(other)
        assert client.get(f"/events/{event.pk}/{path}/").status_code == 403
        assert client.post(f"/events/{event.pk}/{path}/", form_data(event, title="Taken")).status_code == 403
    assert Event.objects.get(pk=event.pk).title == "Data Coffee"
    assert client.get(f"/events/999999/{path}/").status_code == 404
    client.logout()
    assert client.get(f"/events/{event.pk}/{path}/").status_code == 302  # to sign in


def test_the_organiser_of_a_synced_training_sees_no_edit_and_gets_403(client, poster):
    event = EventFactory(organiser=poster, external_id="lms-10", source="Cornerstone")
    client.force_login(poster)
    body = client.get(f"/events/{event.pk}/").content.decode()
    assert f"/events/{event.pk}/edit/" not in body and f"/events/{event.pk}/delete/" not in body
    assert "Sent by an HR system (Cornerstone)" in body
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    assert client.post(f"/events/{event.pk}/delete/").status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


# --- /events/<id>/delete/ -------------------------------------------------------------------------


def test_the_organiser_deletes_a_meetup_after_confirming(client, poster, direct):
    event = meetup(poster)
    attend(event, direct)
    ConnectionRequest.objects.create(sender=poster, recipient=direct, met_at=event, message="We met at Data Coffee")
    client.force_login(poster)
    confirm = client.get(f"/events/{event.pk}/delete/")
    assert confirm.status_code == 200 and "Delete Data Coffee?" in confirm.content.decode()
    assert Event.objects.filter(pk=event.pk).exists()  # a GET changes nothing
    response = client.post(f"/events/{event.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/events/"
    assert "Data Coffee was deleted." in response.content.decode()
    assert not Event.objects.filter(pk=event.pk).exists() and not Attendance.objects.exists()
    assert ConnectionRequest.objects.get().met_at is None  # the request stays
    assert AuditEvent.objects.get().action == "event.delete"


def test_a_begun_meetup_is_not_deleted_by_its_organiser_but_by_hr(client, poster, hr):
    event = meetup(poster, starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(poster)
    assert f"/events/{event.pk}/delete/" not in client.get(f"/events/{event.pk}/").content.decode()
    assert client.post(f"/events/{event.pk}/delete/").status_code == 403
    client.force_login(hr)
    assert client.post(f"/events/{event.pk}/delete/").status_code == 302
    assert not Event.objects.filter(pk=event.pk).exists()


def test_a_deleted_event_is_404_afterwards(client, poster):
    event = meetup(poster)
    client.force_login(poster)
    client.post(f"/events/{event.pk}/delete/")
    for path in ("", "edit/", "delete/", "check-in-poster/"):
        assert client.get(f"/events/{event.pk}/{path}").status_code == 404


def test_a_leaver_organiser_no_longer_edits(client, poster):
    event = meetup(poster)
    other = UserFactory()
    client.force_login(other)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    poster.is_active = False
    poster.save()
    assert not services.can_edit_event(poster, event) and not services.can_delete_event(poster, event)
