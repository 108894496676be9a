"""The events' reads, and the one rule of who sees an attendee list.

Every channel (the event pages, the API, and later suggestions and the digest) calls these and
never restates them. Deactivated employees drop out of every attendee list here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.roles import is_employee, is_hr

from .models import Attendance, Event

if TYPE_CHECKING:
    from django.db.models import QuerySet


def events_listed_to(viewer) -> QuerySet[Event]:
    """Every event is listed to every active employee and to HR (services with a read scope):
    an event's title, time and place are no secret. Who attended is (see below)."""
    if is_employee(viewer) or is_hr(viewer):
        return Event.objects.all()
    return Event.objects.none()


def events_with_attendance_visible_to(viewer) -> QuerySet[Event]:
    """The events whose attendee list `viewer` may see. THE rule, for every channel:

    an event's attendee list is seen by its attendees (active employees on it), its organiser and
    HR (the HR group, or a service token that reads HR data: `accounts.roles.is_hr`); nobody else
    learns who attended. A deactivated employee sees nothing. Everyone else gets the event without
    its attendees, and any attendee-list endpoint answers them exactly like a missing event (404).
    """
    if is_hr(viewer):
        return Event.objects.all()
    if not is_employee(viewer):
        return Event.objects.none()
    return Event.objects.filter(
        Q(organiser_id=viewer.pk) | Q(pk__in=Attendance.objects.filter(employee_id=viewer.pk).values("event_id"))
    )


def may_see_attendance(viewer, event: Event) -> bool:
    """The per-object twin of `events_with_attendance_visible_to` (one query)."""
    return events_with_attendance_visible_to(viewer).filter(pk=event.pk).exists()


def attendances_of(event: Event) -> QuerySet[Attendance]:
    """The attendee rows of `event` whose employee is active (leavers drop out), by id.

    Callers check `may_see_attendance` first: this is the list itself, not who may read it.
    """
    return (
        Attendance.objects.filter(event_id=event.pk, employee__is_active=True)
        .select_related("employee__division", "employee__location")
        .order_by("id")
    )


def attendees_of(event: Event, *, viewer=None) -> QuerySet[User]:
    """The active attendees of `event` as employees, without `viewer`, ranked for meeting people:
    those from another division or another location than `viewer` first, then by name."""
    people = User.objects.directory().filter(
        Exists(Attendance.objects.filter(event_id=event.pk, employee_id=OuterRef("pk")))
    )
    if viewer is None or not is_employee(viewer):
        return people.order_by("full_name", "pk")
    same_place = Q(division_id=viewer.division_id) & Q(location_id=viewer.location_id)
    return (
        people.exclude(pk=viewer.pk)
        .annotate(same_place=Case(When(same_place, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("same_place", "full_name", "pk")
    )


def is_attendee(user, event: Event) -> bool:
    return is_employee(user) and Attendance.objects.filter(event_id=event.pk, employee_id=user.pk).exists()


def upcoming_events_for(user) -> QuerySet[Event]:
    """Events not over yet that concern `user`: at their location, company-wide (no location), or
    organised or attended by them; soonest first."""
    if not is_employee(user):
        return Event.objects.none()
    mine = Q(location__isnull=True) | Q(organiser_id=user.pk)
    if user.location_id:
        mine |= Q(location_id=user.location_id)
    attended = Attendance.objects.filter(employee_id=user.pk).values("event_id")
    return (
        Event.objects.filter(ends_at__gte=timezone.now())
        .filter(mine | Q(pk__in=attended))
        .select_related("location", "organiser")
        .order_by("starts_at", "id")
    )


def past_events_attended_by(user) -> QuerySet[Event]:
    """Events that are over and that `user` attended; latest first."""
    if not is_employee(user):
        return Event.objects.none()
    return (
        Event.objects.filter(ends_at__lt=timezone.now(), attendances__employee_id=user.pk)
        .select_related("location", "organiser")
        .order_by("-starts_at", "-id")
    )
