"""Who sees an event's attendee list, for every member of the cast, through every channel (the
event page and the API): attendees, the organiser and HR; everyone else gets the event without
its attendees, and the attendee-list endpoint answers them exactly like a missing event."""

import pytest

from accounts.services import token_issue
from events.selectors import events_with_attendance_visible_to
from tests.conftest import bearer
from tests.events.factories import EventFactory, attend

pytestmark = pytest.mark.django_db

# The organiser is the poster; direct attended; former attended but has left since.
SEES_ATTENDEES = {
    "poster": True,  # organiser
    "direct": True,  # attendee
    "second": False,  # second degree of the organiser, not there
    "stranger": False,
    "hr": True,
    "stranger_via_leaver": False,
}


@pytest.fixture
def event(cast):
    event = EventFactory(organiser=cast["poster"], title="Leadership Training")
    attend(event, cast["direct"], cast["former"])
    return event


@pytest.mark.parametrize("who, sees", SEES_ATTENDEES.items())
def test_the_event_page(client, cast, event, who, sees):
    client.force_login(cast[who])
    response = client.get(f"/events/{event.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and "Leadership Training" in body
    listed = "Dan Direct" in body and 'id="attendees-h"' in body
    if who == "direct":
        listed = 'id="attendees-h"' in body and "People you met here" in body
    assert listed is sees
    assert "Fred Former" not in body  # a leaver drops out of every list
    assert (event.pk in set(events_with_attendance_visible_to(cast[who]).values_list("pk", flat=True))) is sees


@pytest.mark.parametrize("who, sees", SEES_ATTENDEES.items())
def test_the_api(api_as, cast, event, who, sees):
    api = api_as(cast[who])
    assert api.get(f"/api/v1/events/{event.pk}/").status_code == 200
    listed = api.get("/api/v1/events/").json()["results"]
    assert [e["id"] for e in listed] == [event.pk] and "attendees" not in listed[0]
    attendees = api.get(f"/api/v1/events/{event.pk}/attendees/")
    missing = api.get("/api/v1/events/999999/attendees/")
    if sees:
        assert attendees.status_code == 200
        assert [a["employee"] for a in attendees.json()["results"]] == [cast["direct"].pk]
    else:
        # Exactly like a missing event: same status, same body.
        assert attendees.status_code == missing.status_code == 404
        assert attendees.json() == missing.json()


def test_the_hr_service_sees_attendees(hr_service_api, cast, event):
    assert [a["employee"] for a in hr_service_api.get(f"/api/v1/events/{event.pk}/attendees/").json()["results"]] == [
        cast["direct"].pk
    ]


def test_a_deactivated_employee_sees_nothing(client, api, cast, event):
    former = cast["former"]
    _, plain = token_issue(user=cast["direct"])
    former_token = None
    # The leaver's session and token no longer work: no page, no API.
    client.force_login(former)
    assert client.get(f"/events/{event.pk}/").status_code == 302
    assert events_with_attendance_visible_to(former).count() == 0
    former.is_active = True
    former.save()
    _, former_token = token_issue(user=former)
    former.is_active = False
    former.save()
    assert bearer(api, former_token).get(f"/api/v1/events/{event.pk}/attendees/").status_code == 401
    assert bearer(api, plain).get(f"/api/v1/events/{event.pk}/attendees/").status_code == 200
