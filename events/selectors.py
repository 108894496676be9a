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
    those from another division or another location than `viewer` first, then by employee id (a
    stable order the attendance index holds, so a page of a 2,000-person training reads its 50
    rows, not the 2,000: `RankedAttendees`). Without an employee viewer, by name."""
    people = User.objects.directory().filter(
        Exists(Attendance.objects.filter(event_id=event.pk, employee_id=OuterRef("pk")))
    )
    if viewer is None or not is_employee(viewer):
        return people.order_by("full_name", "pk")
    return (
        people.exclude(pk=viewer.pk)
        .annotate(
            same_place=Case(When(_same_place(viewer), then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("same_place", "pk")
    )


def _same_place(viewer, prefix=""):
    return Q(**{f"{prefix}division_id": viewer.division_id}) & Q(**{f"{prefix}location_id": viewer.location_id})


class RankedAttendees:
    """`attendees_of(event, viewer=viewer)` as a sequence a Paginator pages, cheap at any size.

    `count()` reads the event's attendance index alone (leavers are left out as the small set
    they are, not by reading every attendee's employee row). A page walks the attendance index
    (event, employee) in order through the attendees from another division or location, reading
    only the rows up to the page's end: one query while the page lies among them. The page where
    they end also reads the first same-place attendees (two queries), and pages after it count
    the others first (three queries, each of the first two reading every attendee: only the last
    pages, those of the viewer's own division and location, cost more than a ranking by name did
    on every page).
    """

    def __init__(self, event: Event, viewer=None):
        self.event, self.viewer = event, viewer
        self.ranked = viewer is not None and is_employee(viewer)

    def _rows(self):
        rows = Attendance.objects.filter(event_id=self.event.pk, employee__is_active=True)
        if self.ranked:
            rows = rows.exclude(employee_id=self.viewer.pk)
        return rows

    def count(self) -> int:
        rows = Attendance.objects.filter(event_id=self.event.pk).exclude(
            employee_id__in=User.objects.leavers().values("pk")
        )
        if self.ranked:
            rows = rows.exclude(employee_id=self.viewer.pk)
        return rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step or index.start is None or index.stop is None:
            raise TypeError("RankedAttendees takes a bounded slice (a page)")
        start, stop = index.start, index.stop
        if not self.ranked:
            return list(attendees_of(self.event)[start:stop])
        same = _same_place(self.viewer, "employee__")
        people = self._rows().select_related("employee__division", "employee__location").order_by("employee_id")
        page = [a.employee for a in people.exclude(same)[start:stop]]
        if len(page) < stop - start:
            # Where the others end: known from this page unless it starts past them.
            others = start + len(page) if page or not start else self._rows().exclude(same).count()
            skip = max(0, start - others)
            page += [a.employee for a in people.filter(same)[skip : skip + stop - start - len(page)]]
        return page


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
