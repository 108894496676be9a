from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Attendance, Event
from tests.factories import LocationFactory, UserFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    kind = Event.Kind.TRAINING
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))
    location = factory.SubFactory(LocationFactory)
    online = False
    description = "A day together."
    organiser = factory.SubFactory(UserFactory)
    source = "portal"


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    event = factory.SubFactory(EventFactory)
    employee = factory.SubFactory(UserFactory)
    how = Attendance.How.IMPORTED


def attend(event, *people, how=Attendance.How.IMPORTED):
    Attendance.objects.bulk_create([Attendance(event=event, employee=p, how=how) for p in people])
