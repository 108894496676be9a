"""`seed_demo` builds events: the personas' handful, and about one per 50 employees."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Connection, User
from events.models import Attendance, Event
from events.selectors import attendees_of

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_events_daniel_can_meet_people_at(client):
    call_command("seed_demo", "--employees", "300", stdout=StringIO())
    daniel = User.objects.get(email="daniel.okafor@example.com")
    training = Event.objects.get(external_id="LMS-DEMO-LEAD-1")
    assert training.is_past
    met = list(attendees_of(training, viewer=daniel))
    strangers = [p for p in met if p.division_id != daniel.division_id]
    assert len(strangers) >= 10
    linked = set(Connection.objects.filter(from_user=daniel).values_list("to_user_id", flat=True))
    assert not linked & {p.pk for p in strangers}
    upcoming = Event.objects.filter(starts_at__gt=training.ends_at).count()
    assert upcoming >= 3 and Event.objects.count() >= 6
    client.force_login(daniel)
    body = client.get(f"/events/{training.pk}/").content.decode()
    assert "People you met here" in body and body.count("Connect with ") >= 10


def test_a_large_company_gets_about_one_event_per_50_employees(db):
    call_command("seed_demo", "--employees", "2000", "--connections", "10", stdout=StringIO())
    events = Event.objects.count()
    assert 38 <= events <= 42
    average = Attendance.objects.count() / events
    assert 20 <= average <= 40


def test_seed_demo_leaves_traces_of_meetings(db):
    from accounts.models import ConnectionRequest
    from referrals.hr import events_by_cross_connections

    call_command("seed_demo", "--employees", "300", stdout=StringIO())
    daniel = User.objects.get(email="daniel.okafor@example.com")
    training = Event.objects.get(external_id="LMS-DEMO-LEAD-1")
    pending = ConnectionRequest.objects.get(recipient=daniel, met_at=training, status="pending")
    assert pending.message == f"We met at {training.title}"
    assert Connection.objects.filter(met_at__isnull=False).count() >= 4
    assert events_by_cross_connections()[0]["n"] >= 1
