"""The events pages: the list, the event page (people you met, Connect, paginated), the meetup
form, the check-in link; each at a constant number of queries."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ConnectionRequest, User
from events import services
from events.models import Attendance, Event
from integrations.models import AuditEvent
from tests.events.factories import EventFactory, attend
from tests.factories import DivisionFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- /events/ -------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_here_and_company_wide_and_past_attended(client, poster):
    here = EventFactory(title="Here soon", location=poster.location)
    online = EventFactory(title="Online for all", location=None, online=True)
    EventFactory(title="Elsewhere", location=LocationFactory())
    past = EventFactory(title="Last month", starts_at=timezone.now() - timedelta(days=30))
    attend(past, poster)
    EventFactory(title="Past, not me", starts_at=timezone.now() - timedelta(days=30), location=poster.location)
    client.force_login(poster)
    body = client.get("/events/").content.decode()
    assert "Here soon" in body and "Online for all" in body and "Last month" in body
    assert "Elsewhere" not in body and "Past, not me" not in body
    assert body.index("Here soon") < body.index("Last month")
    assert here and online


def test_the_list_has_empty_states(client, stranger):
    client.force_login(stranger)
    body = client.get("/events/").content.decode()
    assert "No events coming up" in body and "No past events yet" in body


def test_events_is_in_the_navigation(client, stranger):
    client.force_login(stranger)
    assert 'href="/events/"' in client.get("/").content.decode()


@pytest.mark.parametrize("size", [2, 20])
def test_the_list_runs_constant_queries(client, django_assert_max_num_queries, poster, size):
    for _ in range(size):
        EventFactory(location=poster.location)
        attend(EventFactory(starts_at=timezone.now() - timedelta(days=10)), poster)
    client.force_login(poster)
    with django_assert_max_num_queries(11):
        body = client.get("/events/").content.decode()
    assert body.count('<article class="card">') == min(size, 20) * 2


# --- /events/<id>/ ----------------------------------------------------------------------------------


def test_people_you_met_rank_other_divisions_and_offer_connect(client, poster, direct):
    event = EventFactory(title="Leadership Training")
    same = UserFactory(full_name="Aaron Same", division=poster.division, location=poster.location)
    other = UserFactory(full_name="Zed Elsewhere", division=DivisionFactory(), location=poster.location)
    attend(event, poster, same, other, direct)
    client.force_login(poster)
    body = client.get(f"/events/{event.pk}/").content.decode()
    assert "People you met here" in body
    assert body.index("Zed Elsewhere") < body.index("Aaron Same")
    assert f'action="/people/{other.pk}/connect/"' in body
    assert f'action="/people/{direct.pk}/connect/"' not in body and "Connected" in body  # already connected
    response = client.post(f"/people/{other.pk}/connect/", {"next": f"/events/{event.pk}/", "message": ""})
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert ConnectionRequest.objects.filter(sender=poster, recipient=other).exists()
    assert "Pending" in client.get(f"/events/{event.pk}/").content.decode()


def test_the_organiser_sees_the_check_in_link_and_others_do_not(client, poster, direct):
    event = EventFactory(organiser=poster)
    attend(event, direct)
    client.force_login(poster)
    body = client.get(f"/events/{event.pk}/").content.decode()
    # The signature carries the second it was made, so read the link the page shows and check it.
    token = re.search(r"/events/check-in/([^\"<\s/]+)/", body).group(1)
    assert services.check_in_event(token, now=event.starts_at) == event and "Check-in link" in body
    client.force_login(direct)
    assert "Check-in link" not in client.get(f"/events/{event.pk}/").content.decode()


def test_a_missing_event_is_404(client, poster):
    client.force_login(poster)
    assert client.get("/events/999999/").status_code == 404


def test_the_organiser_adds_an_attendee_and_nobody_else_does(client, poster, direct, stranger):
    event = EventFactory(organiser=poster)
    client.force_login(stranger)
    assert client.post(f"/events/{event.pk}/attendees/add/", {"email": direct.email}).status_code == 403
    client.force_login(poster)
    client.post(f"/events/{event.pk}/attendees/add/", {"email": direct.email.upper()})
    assert list(Attendance.objects.values_list("employee_id", "how")) == [(direct.pk, "organiser")]
    assert AuditEvent.objects.get().action == "event.attendee_add"


def _training(size, organiser):
    event = EventFactory(organiser=organiser, title="Big Training")
    division, location = DivisionFactory(), LocationFactory()
    people = User.objects.bulk_create(
        [
            User(email=f"t{size}-{i}@example.com", full_name=f"Trainee {i:05d}", division=division, location=location)
            for i in range(size)
        ]
    )
    Attendance.objects.bulk_create([Attendance(event=event, employee=p, how="imported") for p in people])
    return event, people


@pytest.mark.parametrize("size", [5, 2000])
def test_the_event_page_runs_constant_queries_for_an_attendee(client, django_assert_max_num_queries, poster, size):
    event, people = _training(size, poster)
    viewer = people[0]
    client.force_login(viewer)
    with django_assert_max_num_queries(16):
        body = client.get(f"/events/{event.pk}/").content.decode()
    assert body.count("Connect with ") == min(size - 1, 50)
    if size > 50:
        assert "Page 1 of" in body
        # Everyone here shares the viewer's division and location, so page 40 lies past the
        # attendees from elsewhere: one query more, counting those (events.selectors.RankedAttendees).
        with django_assert_max_num_queries(17):
            assert client.get(f"/events/{event.pk}/?page=40").status_code == 200


@pytest.mark.parametrize("size", [5, 2000])
def test_the_event_page_runs_constant_queries_for_the_organiser_and_hr(
    client, django_assert_max_num_queries, poster, hr, stranger, size
):
    event, _ = _training(size, poster)
    for viewer in (poster, hr, stranger):
        client.force_login(viewer)
        with django_assert_max_num_queries(16):
            body = client.get(f"/events/{event.pk}/").content.decode()
        assert ("Trainee 00000" in body) is (viewer != stranger)


# --- /events/new/ ---------------------------------------------------------------------------------


def _form(**extra):
    start = timezone.localtime() + timedelta(days=3)
    return {
        "title": "Analytics coffee",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "online": "on",
        "description": "",
        **extra,
    }


def test_an_employee_creates_a_meetup(client, stranger):
    client.force_login(stranger)
    response = client.post("/events/new/", _form())
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert (event.kind, event.organiser, event.online) == ("meetup", stranger, True)
    audit = AuditEvent.objects.get()
    assert (audit.action, audit.actor, audit.object_id) == ("event.create", stranger, str(event.pk))


def test_the_form_shows_field_errors_and_writes_nothing(client, stranger):
    client.force_login(stranger)
    start = timezone.localtime() + timedelta(days=3)
    response = client.post(
        "/events/new/",
        _form(
            ends_at=(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
            online="",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The end must be at or after the start." in body and "Choose a location, or tick online." in body
    assert "error-summary" in body and 'href="#id_ends_at"' in body
    assert not Event.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("size", [2, 20])
def test_the_form_runs_constant_queries(client, django_assert_max_num_queries, stranger, size):
    for _ in range(size):
        LocationFactory()
    client.force_login(stranger)
    with django_assert_max_num_queries(10):
        assert client.get("/events/new/").status_code == 200


# --- The check-in link ----------------------------------------------------------------------------


def test_check_in_confirms_then_joins(client, poster, direct):
    event = EventFactory(organiser=poster, title="Offsite")
    url = f"/events/check-in/{services.check_in_token(event)}/"
    client.force_login(direct)
    with time_machine.travel(event.starts_at + timedelta(hours=1)):
        page = client.get(url)
        assert page.status_code == 200 and "Join the attendee list of <strong>Offsite</strong>" in page.content.decode()
        assert not Attendance.objects.exists()  # GET writes nothing
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert Attendance.objects.get().how == "check_in"
    assert AuditEvent.objects.get().action == "event.check_in"


def test_check_in_needs_a_sign_in(client, poster):
    event = EventFactory(organiser=poster)
    url = f"/events/check-in/{services.check_in_token(event)}/"
    with time_machine.travel(event.starts_at):
        response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "moment, status, words",
    [
        (lambda e: e.starts_at - timedelta(hours=1), 400, "opens when it starts"),
        (lambda e: e.ends_at + timedelta(days=1, minutes=1), 410, "closed a day after it ended"),
    ],
)
def test_check_in_outside_its_window_is_refused(client, poster, direct, moment, status, words):
    event = EventFactory(organiser=poster)
    url = f"/events/check-in/{services.check_in_token(event)}/"
    client.force_login(direct)
    with time_machine.travel(moment(event)):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == status and words in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_tampered_check_in_link_is_400(client, poster, direct):
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    token = services.check_in_token(event)
    client.force_login(direct)
    for bad in (token[:-1] + ("x" if token[-1] != "x" else "y"), "abc", token.split(":")[0]):
        response = client.post(f"/events/check-in/{bad}/")
        assert response.status_code == 400 and "This check-in link is not valid" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_deactivated_employee_cannot_check_in_through_the_page(client, poster, former):
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(former)
    response = client.post(f"/events/check-in/{services.check_in_token(event)}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("size", [2, 200])
def test_the_check_in_page_runs_constant_queries(client, django_assert_max_num_queries, poster, direct, size):
    event, _ = _training(size, poster)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(direct)
    with django_assert_max_num_queries(10):
        assert client.get(f"/events/check-in/{services.check_in_token(event)}/").status_code == 200
