"""Fellow attendees in suggestions and the digest (issue 18): people met at an event come first,
with "Both at <title>, <place>, <date>", and the digest's "From events you attended" names only
people from events the recipient attended."""

import datetime as dt
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import ConnectionRequest, SuggestionDismissal, User
from accounts.network import services, suggestions_for, suggestions_for_many
from openings import digest as digest_lib
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory, UserFactory, connect

pytestmark = pytest.mark.django_db

NOV_12 = timezone.make_aware(dt.datetime(2025, 11, 12, 9, 0))


@pytest.fixture
def berlin_training():
    return EventFactory(
        title="Leadership Training",
        location=LocationFactory(name="Berlin"),
        starts_at=NOV_12,
        ends_at=NOV_12 + timedelta(hours=8),
    )


def test_fellow_attendee_comes_first_with_the_event_reason(poster, berlin_training):
    met = UserFactory(job_function="Legal")
    # A strong ordinary suggestion: same function elsewhere with three mutual connections.
    counterpart = UserFactory(job_function=poster.job_function)
    for _ in range(3):
        friend = UserFactory()
        connect(poster, friend)
        connect(friend, counterpart)
    attend(berlin_training, poster, met)
    found = suggestions_for(poster, limit=5)
    assert found[0].person == met
    assert found[0].reason.startswith("Both at Leadership Training, Berlin, 12 November")
    assert counterpart in [s.person for s in found[1:]]


def test_online_event_says_online(poster):
    start = timezone.now() - timedelta(days=3)
    event = EventFactory(title="Webinar", location=None, online=True, starts_at=start, ends_at=start)
    met = UserFactory()
    attend(event, poster, met)
    reason = suggestions_for(poster)[0].reason
    assert reason.startswith("Both at Webinar, online, ")


@pytest.mark.parametrize("left_out", ["connected", "pending_out", "pending_in", "dismissed", "deactivated"])
def test_fellow_attendees_left_out(poster, berlin_training, left_out):
    met = UserFactory()
    attend(berlin_training, poster, met)
    if left_out == "connected":
        connect(poster, met)
    elif left_out == "pending_out":
        ConnectionRequest.objects.create(sender=poster, recipient=met)
    elif left_out == "pending_in":
        ConnectionRequest.objects.create(sender=met, recipient=poster)
    elif left_out == "dismissed":
        SuggestionDismissal.objects.create(user=poster, dismissed=met)
    else:
        User.objects.filter(pk=met.pk).update(is_active=False)
    assert all(s.person.pk != met.pk for s in suggestions_for(poster, limit=20))


def test_no_event_reason_from_an_event_not_attended_or_not_begun(poster, stranger, berlin_training):
    attend(berlin_training, stranger, UserFactory())  # the poster was not there
    upcoming = EventFactory(title="Future")
    attend(upcoming, poster, stranger)
    assert all(s.event is None for s in suggestions_for(poster, limit=20))


def test_suggestions_batch_queries_constant_with_events():
    """The fellow-attendee pool costs one query per batch whatever the number of events or people."""
    start = timezone.now() - timedelta(days=2)
    counts = []
    for size in (3, 30):
        people = UserFactory.create_batch(size, job_function="Design")
        for i in range(0, size, 3):
            event = EventFactory(starts_at=start, ends_at=start)
            attend(event, *people[i : i + 3], *UserFactory.create_batch(2))
        with CaptureQueriesContext(connection) as queries:
            found = suggestions_for_many(people, limit=3)
        counts.append(len(queries))
        assert all(found[p.pk][0].event is not None for p in people)
    # At most six plus two for the one job function at either size (the mutual counts of
    # counterparts run only when there are counterparts, as before issue 18).
    assert max(counts) <= 6 + 2, counts


# --- The digest ----------------------------------------------------------------------------------


def test_digest_section_from_events_you_attended(poster, direct, berlin_training):
    met = UserFactory.create_batch(5, full_name="Met Person")
    attend(berlin_training, poster, *met)
    ConnectionRequest.objects.create(sender=direct, recipient=UserFactory())  # unrelated
    ConnectionRequest.objects.create(sender=UserFactory(), recipient=poster)  # something new
    digest = digest_lib.digest_for(User.objects.get(pk=poster.pk))
    assert len(digest.met_at_events) == 3
    assert all(s.event.pk == berlin_training.pk for s in digest.met_at_events)
    assert all(s.event is None for s in digest.suggestions)
    message = digest_lib.render_digest(digest)
    message.send()
    body = mail.outbox[-1].body
    assert "FROM EVENTS YOU ATTENDED" in body
    assert "Both at Leadership Training, Berlin, 12 November" in body
    assert "From events you attended" in mail.outbox[-1].alternatives[0][0]


def test_digest_without_events_has_no_section(poster):
    ConnectionRequest.objects.create(sender=UserFactory(), recipient=poster)
    digest = digest_lib.digest_for(User.objects.get(pk=poster.pk))
    assert digest.met_at_events == []
    digest_lib.render_digest(digest).send()
    assert "FROM EVENTS YOU ATTENDED" not in mail.outbox[-1].body


@pytest.mark.parametrize("size", [4, 40])
def test_digest_queries_per_batch_constant_with_events(django_assert_max_num_queries, size):
    start = timezone.now() - timedelta(days=2)
    users = UserFactory.create_batch(size)
    for i in range(0, size, 4):
        attend(EventFactory(starts_at=start, ends_at=start), *users[i : i + 4])
    users = list(User.objects.filter(pk__in=[u.pk for u in users]))
    with CaptureQueriesContext(connection) as queries:
        digests = digest_lib.build_digests(users, week=digest_lib.week_of())
    # The digest's budget (16, tests/openings/test_digest.py) holds with events too.
    assert len(queries) <= 16
    assert all(d.met_at_events for d in digests)


class DigestNamesOnlyFellowAttendees(TestCase):
    """Whatever the attendance, "From events you attended" names only people who were at an event
    the recipient attended, and says which."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        attendance=st.lists(st.sets(st.integers(min_value=0, max_value=5), max_size=6), min_size=1, max_size=4),
        leaver=st.integers(min_value=0, max_value=6),
    )
    def test_never_names_someone_from_an_event_the_recipient_missed(self, attendance, leaver):
        start = timezone.now() - timedelta(days=1)
        people = UserFactory.create_batch(6)
        events = []
        for who in attendance:
            event = EventFactory(starts_at=start, ends_at=start)
            attend(event, *[people[i] for i in sorted(who)])
            events.append((event, {people[i].pk for i in who}))
        if leaver < 6:
            User.objects.filter(pk=people[leaver].pk).update(is_active=False)
        active = list(User.objects.filter(pk__in=[p.pk for p in people], is_active=True).order_by("pk"))
        for digest in digest_lib.build_digests(active, week=digest_lib.week_of()):
            me = digest.user.pk
            together = {pk for event, there in events if me in there for pk in there} - {me}
            for s in digest.met_at_events:
                assert s.person.pk in together
                assert s.person.is_active
                assert any(event.pk == s.event.pk and {me, s.person.pk} <= there for event, there in events)
            assert len(digest.met_at_events) == min(3, len(together - {people[leaver].pk} if leaver < 6 else together))


def test_accepting_removes_from_suggestions(poster, berlin_training):
    met = UserFactory()
    attend(berlin_training, poster, met)
    sent = services.connection_request_send(sender=poster, recipient=met, met_at=berlin_training)
    services.connection_request_accept(request_obj=sent, by=met)
    assert all(s.person.pk != met.pk for s in suggestions_for(poster, limit=20))
