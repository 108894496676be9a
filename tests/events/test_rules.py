"""The events' rules in services.py: who creates what, the end after the start, attendee lists,
the check-in link (tampering, its window, leavers)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import ServiceAccount
from accounts.principals import ServicePrincipal
from accounts.services import token_issue
from events import services
from events.models import Attendance, Event
from events.selectors import attendees_of, events_with_attendance_visible_to, may_see_attendance
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def service(scope):
    token, _ = token_issue(service_account=ServiceAccount.objects.create(name=f"LMS {scope}"), scope=scope)
    return ServicePrincipal(token.service_account, token)


def when(hours=24, length=2):
    start = timezone.now() + timedelta(hours=hours)
    return {"starts_at": start, "ends_at": start + timedelta(hours=length)}


def test_any_active_employee_creates_a_meetup_and_organises_it(stranger):
    event = services.event_create(by=stranger, title="Coffee", kind="meetup", location=LocationFactory(), **when())
    assert event.organiser == stranger and event.source == "portal"


@pytest.mark.parametrize("kind", ["training", "conference", "offsite", "other"])
def test_employees_cannot_create_other_kinds(stranger, kind):
    with pytest.raises(PermissionDenied):
        services.event_create(by=stranger, title="T", kind=kind, online=True, **when())
    assert not Event.objects.exists()


@pytest.mark.parametrize("kind", ["training", "conference", "offsite", "meetup"])
def test_hr_and_scope_hr_create_any_kind(hr, kind):
    services.event_create(by=hr, title="By HR", kind=kind, online=True, **when())
    lms = services.event_create(by=service("hr"), title="From the LMS", kind=kind, online=True, **when())
    assert lms.organiser is None and lms.source == "LMS hr"


@pytest.mark.parametrize("scope", ["hr:read", "hr:write"])
def test_half_scopes_create_nothing(scope):
    with pytest.raises(PermissionDenied):
        services.event_create(by=service(scope), title="T", kind="training", online=True, **when())
    assert not Event.objects.exists()


def test_a_deactivated_employee_creates_nothing(former):
    with pytest.raises(PermissionDenied):
        services.event_create(by=former, title="T", kind="meetup", online=True, **when())


def test_end_before_start_is_refused_on_ends_at(stranger):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.event_create(
            by=stranger, title="T", kind="meetup", online=True, starts_at=start, ends_at=start - timedelta(minutes=1)
        )
    assert caught.value.message_dict == {"ends_at": [services.END_BEFORE_START]}
    assert not Event.objects.exists()


def test_an_event_needs_a_place(stranger):
    with pytest.raises(ValidationError) as caught:
        services.event_create(by=stranger, title="T", kind="meetup", online=False, location=None, **when())
    assert "location" in caught.value.message_dict


def test_only_the_organiser_or_hr_change_an_event(poster, stranger, hr):
    event = EventFactory(organiser=poster)
    with pytest.raises(PermissionDenied):
        services.event_update(event=event, by=stranger, title="Mine now")
    old = event.title
    assert services.event_update(event=event, by=poster, title="Renamed") == {"title": [old, "Renamed"]}
    assert services.event_update(event=event, by=hr, title="By HR") == {"title": ["Renamed", "By HR"]}
    assert services.event_update(event=event, by=hr, title="By HR") == {}


# --- Attendee lists -------------------------------------------------------------------------------


def test_the_organiser_replaces_the_attendee_list(poster, direct, second):
    event = EventFactory(organiser=poster)
    attend(event, second)
    change = services.attendees_replace(event=event, by=poster, employee_ids=[direct.pk])
    assert change == {"added": [direct.pk], "removed": [second.pk]}
    assert list(Attendance.objects.filter(event=event).values_list("employee_id", "how")) == [(direct.pk, "organiser")]


def test_nobody_else_changes_an_attendee_list(poster, direct, stranger):
    event = EventFactory(organiser=poster)
    attend(event, direct)
    for person in (direct, stranger):
        with pytest.raises(PermissionDenied):
            services.attendees_replace(event=event, by=person, employee_ids=[person.pk])
        with pytest.raises(PermissionDenied):
            services.attendance_add(event=event, by=person, employee=person)
    assert list(Attendance.objects.values_list("employee_id", flat=True)) == [direct.pk]


@pytest.mark.parametrize(
    "bad, named",
    [
        ("unknown", "Unknown employee ids: 999999."),
        ("repeated", "repeated: {direct}."),
        ("leaver", "cannot attend: {former}."),
    ],
)
def test_a_bad_attendee_list_is_refused_whole(hr, poster, direct, former, bad, named):
    event = EventFactory(organiser=poster)
    attend(event, poster)
    ids = {"unknown": [direct.pk, 999999], "repeated": [direct.pk, direct.pk], "leaver": [direct.pk, former.pk]}[bad]
    before = Event.objects.get(pk=event.pk).updated_at
    with pytest.raises(ValidationError) as caught:
        services.attendees_replace(event=event, by=hr, employee_ids=ids)
    assert named.format(direct=direct.pk, former=former.pk) in " ".join(caught.value.message_dict["employees"])
    assert list(Attendance.objects.values_list("employee_id", flat=True)) == [poster.pk]
    assert Event.objects.get(pk=event.pk).updated_at == before


def test_leavers_drop_out_of_attendee_lists(poster, direct, former):
    event = EventFactory(organiser=poster)
    attend(event, direct, former)
    assert list(attendees_of(event)) == [direct]


def test_people_you_met_rank_other_division_or_location_first(poster):
    event = EventFactory(organiser=poster)
    same = UserFactory(full_name="Aaron Same", division=poster.division, location=poster.location)
    other_division = UserFactory(full_name="Zed Elsewhere", location=poster.location)
    other_location = UserFactory(full_name="Yan Abroad", division=poster.division)
    attend(event, poster, same, other_division, other_location)
    ranked = list(attendees_of(event, viewer=poster))
    # Then by employee id: a stable order the attendance index holds (RankedAttendees pages it).
    assert ranked == [other_division, other_location, same]


def test_the_attendance_rule_and_its_per_object_twin_agree(cast):
    event = EventFactory(organiser=cast["poster"])
    attend(event, cast["direct"], cast["former"])
    other = EventFactory()
    for person in cast.values():
        visible = set(events_with_attendance_visible_to(person).values_list("pk", flat=True))
        assert (event.pk in visible) == may_see_attendance(person, event)
        assert (other.pk in visible) == may_see_attendance(person, other)


# --- Idempotent sync ------------------------------------------------------------------------------


def test_upsert_by_external_id_is_idempotent(hr):
    lms = service("hr")
    fields = {"title": "Leadership Training", "kind": "training", "online": True, **when()}
    first = services.event_upsert_by_external_id(external_id="LMS-1", by=lms, fields=dict(fields))
    stamp = Event.objects.get().updated_at
    again = services.event_upsert_by_external_id(external_id="LMS-1", by=lms, fields=dict(fields))
    assert (first.outcome, again.outcome, again.changes) == ("created", "unchanged", {})
    assert Event.objects.count() == 1 and Event.objects.get().updated_at == stamp
    moved = services.event_upsert_by_external_id(external_id="LMS-1", by=lms, fields={"title": "Leadership, Berlin"})
    assert moved.outcome == "updated" and moved.changes == {"title": ["Leadership Training", "Leadership, Berlin"]}
    with pytest.raises(PermissionDenied):
        services.event_upsert_by_external_id(external_id="LMS-2", by=service("hr:read"), fields=dict(fields))


# --- Check-in -------------------------------------------------------------------------------------


def test_check_in_works_from_the_start_until_a_day_after_the_end(poster, direct, second):
    event = EventFactory(organiser=poster)
    token = services.check_in_token(event)
    with time_machine.travel(event.starts_at - timedelta(minutes=1)):
        with pytest.raises(services.CheckInRefused) as early:
            services.attendance_check_in(token=token, employee=direct)
    assert early.value.status == 400 and "opens when it starts" in early.value.message
    with time_machine.travel(event.starts_at):
        assert services.attendance_check_in(token=token, employee=direct) == (event, True)
        assert services.attendance_check_in(token=token, employee=direct) == (event, False)
    with time_machine.travel(event.ends_at + timedelta(days=1) - timedelta(seconds=1)):
        assert services.attendance_check_in(token=token, employee=second)[1] is True
    with time_machine.travel(event.ends_at + timedelta(days=1, seconds=1)):
        with pytest.raises(services.CheckInRefused) as late:
            services.attendance_check_in(token=token, employee=poster)
    assert late.value.status == 410 and "closed" in late.value.message
    assert set(Attendance.objects.values_list("employee_id", "how")) == {
        (direct.pk, "check_in"),
        (second.pk, "check_in"),
    }


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, event: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token, event: signing.dumps(event.check_in_code, salt="another.salt"),
        lambda token, event: signing.dumps("not-a-code", salt=services.CHECK_IN_SALT),
        lambda token, event: "garbage",
    ],
)
def test_a_tampered_check_in_link_is_refused(poster, direct, forge):
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.CheckInRefused) as caught:
        services.attendance_check_in(token=forge(services.check_in_token(event), event), employee=direct)
    assert caught.value.status == 400 and "not valid" in caught.value.message
    assert not Attendance.objects.exists()


def test_the_link_is_opaque(poster):
    event = EventFactory(organiser=poster, title="Secret Offsite")
    token = services.check_in_token(event)
    # The signed payload is the event's random code: the link names neither the event nor its id.
    assert signing.loads(token, salt=services.CHECK_IN_SALT) == event.check_in_code
    assert len(event.check_in_code) >= 20 and "Secret" not in token


def test_a_deactivated_employee_cannot_check_in(poster, former):
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.CheckInRefused) as caught:
        services.attendance_check_in(token=services.check_in_token(event), employee=former)
    assert caught.value.status == 403
    assert not Attendance.objects.exists()
