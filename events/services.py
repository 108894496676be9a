"""The events' writes. Every channel (the portal, the API, the admin, the demo) goes through these.

The rules:
- any active employee may create a meetup in the portal (or with a personal token) and is its
  organiser; trainings, conferences and every other kind come from HR: an HR employee or an HR
  system's token with scope `hr` (read and write, `can_manage_all_events`);
- an event ends at or after its start (a field message on `ends_at`) and takes place somewhere: a
  location, online, or both;
- the organiser or HR may add attendees, or replace its attendee list
  (`attendees_replace`: unknown, deactivated or repeated employee ids refuse the whole list and
  name the ids; nothing is written);
- the organiser or HR may change an event's fields (`can_edit_event`), except that an event an HR
  system sent (it has an external id) is changed by HR only: the next sync would silently undo an
  organiser's edit in the portal;
- the organiser may delete their event until it starts, HR at any time (`can_delete_event`): once
  it has begun, its attendee list and the "Met at" on connections made there are history;
- an active employee joins the attendee list with the event's signed check-in link, valid from the
  event's start until one day after its end; a deactivated employee cannot check in.

Webhooks: `event.created`, `event.updated`, `event.deleted` and `event.attendees_changed` are
written to the integrations outbox in the transaction of the change (integrations/outbox.py).

Audit: writes through the API are recorded by the API middleware (integrations/audit.py), in the
request's transaction; writes from the portal and the admin pass their `request` here and are
recorded with `audit_admin_change`, so every write leaves one audit row and none leaves two.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import is_employee, is_hr
from config.text import refuse_invisible_controls
from integrations.audit import audit_admin_change, diff, snapshot
from integrations.outbox import emit, event_payload

from .models import Attendance, Event

EDITABLE_FIELDS = ("title", "kind", "starts_at", "ends_at", "location", "online", "description")
CHECK_IN_SALT = "events.check-in"
CHECK_IN_GRACE = timedelta(days=1)
ATTENDEES_MAX = 10_000

END_BEFORE_START = "The end must be at or after the start."
NO_PLACE = "Choose a location, or tick online."
KIND_REFUSED = "Employees create meetups; trainings, conferences and other kinds come from HR (scope hr)."
SYNCED_REFUSED = "This event comes from an HR system ({source}); HR changes it there or in the portal."
STARTED_REFUSED = "This event has begun: only HR may delete it now (its attendees and meetings are history)."


# --- Who may do what ------------------------------------------------------------------------------


def can_manage_all_events(user) -> bool:
    """HR manages every event: the HR group, or a service token with scope `hr` (it must read what
    it changes, as for openings: `hr:write` alone does not do)."""
    return is_hr(user) and user.has_perm("accounts.manage_employees")


def can_manage_event(user, event: Event) -> bool:
    """The organiser (while an active employee) or HR change an event and its attendee list."""
    return can_manage_all_events(user) or (is_employee(user) and event.organiser_id == user.pk)


def can_edit_event(user, event: Event) -> bool:
    """HR changes every event's fields; the organiser (an active employee) changes theirs unless an
    HR system sent it (an external id): the system's next sync would undo the edit."""
    if can_manage_all_events(user):
        return True
    return can_manage_event(user, event) and not event.external_id


def can_delete_event(user, event: Event, *, now=None) -> bool:
    """HR deletes any event; the organiser deletes one they may edit (`can_edit_event`) until it
    starts. After that its attendee list and the "Met at" of connections made there are history."""
    if can_manage_all_events(user):
        return True
    return can_edit_event(user, event) and (now or timezone.now()) < event.starts_at


def can_create_kind(user, kind) -> bool:
    """Meetups: any active employee. Every kind: HR (see `can_manage_all_events`)."""
    return can_manage_all_events(user) or (is_employee(user) and kind == Event.Kind.MEETUP)


# --- Events ---------------------------------------------------------------------------------------


def event_fields_check(*, event: Event | None, fields: dict) -> None:
    """Raise ValidationError with a message per field if `fields` (over `event`'s current values)
    break a rule: the end before the start, no place, invisible control characters."""
    merged = {name: getattr(event, name) for name in EDITABLE_FIELDS} if event is not None else {}
    merged.update(fields)
    errors = {}
    starts_at, ends_at = merged.get("starts_at"), merged.get("ends_at")
    if starts_at and ends_at and ends_at < starts_at:
        errors["ends_at"] = [END_BEFORE_START]
    if not merged.get("online") and merged.get("location") is None:
        errors["location"] = [NO_PLACE]
    for name in ("title", "description"):
        if name in fields and fields[name]:
            try:
                refuse_invisible_controls(fields[name])
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)


def _audit(request, action, instance, changes):
    if request is not None:
        audit_admin_change(request=request, action=action, instance=instance, changes=changes)


def event_create(*, by, organiser=None, external_id=None, source="", request=None, **fields) -> Event:
    """Create an event as `by` (see the module's rules). An employee who is not HR organises what
    they create; HR may name another organiser, and an HR system's event may have none."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    kind = fields.get("kind", Event.Kind.MEETUP)
    if not can_create_kind(by, kind):
        raise PermissionDenied(KIND_REFUSED if is_employee(by) else "Creating events needs an employee or scope hr.")
    if can_manage_all_events(by):
        if organiser is None and is_employee(by):
            organiser = by
    elif organiser is not None and organiser.pk != by.pk:
        raise ValidationError({"organiser": ["You organise the events you create."]})
    else:
        organiser = by
    if organiser is not None and not organiser.is_active:
        raise ValidationError({"organiser": ["A deactivated employee cannot organise an event."]})
    event_fields_check(event=None, fields=fields)
    if not source:
        source = "portal" if is_employee(by) else str(getattr(getattr(by, "service_account", None), "name", "api"))
    with transaction.atomic():
        event = Event(organiser=organiser, external_id=external_id or None, source=source[:64], **fields)
        event.full_clean(exclude=["organiser", "location", "check_in_code"])
        event.save()
        _audit(request, "event.create", event, snapshot(event))
        emit("event.created", event_payload(event))
    return event


def event_update(*, event: Event, by, request=None, **fields) -> dict:
    """Change an event's fields (`can_edit_event`); {field: [old, new]} of what changed, {} when
    nothing did (then nothing is written)."""
    if not can_edit_event(by, event):
        if can_manage_event(by, event):
            raise PermissionDenied(SYNCED_REFUSED.format(source=event.source or "an HR system"))
        raise PermissionDenied("Only the organiser or HR may change this event.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    if "kind" in fields and fields["kind"] != event.kind and not can_create_kind(by, fields["kind"]):
        raise PermissionDenied(KIND_REFUSED)
    event_fields_check(event=event, fields=fields)
    before = snapshot(event)
    for name, value in fields.items():
        setattr(event, name, value)
    changes = diff(before, snapshot(event))
    if changes:
        with transaction.atomic():
            event.full_clean(exclude=["organiser", "location", "check_in_code"])
            event.save()
            _audit(request, "event.update", event, changes)
            emit("event.updated", event_payload(event))
    return changes


@dataclass
class Upsert:
    event: Event
    outcome: str  # "created", "updated" or "unchanged"
    changes: dict


def event_upsert_by_external_id(*, external_id: str, by, fields: dict, source="") -> Upsert:
    """Idempotent sync from an HR system (HR only): create the event with this external id, or
    change the fields sent (fields left out keep their value). The same body twice writes nothing
    the second time (outcome "unchanged", `updated_at` untouched)."""
    if not can_manage_all_events(by):
        raise PermissionDenied("Syncing events needs scope hr.")
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(external_id=external_id).first()
        if event is None:
            missing = [name for name in ("title", "kind", "starts_at", "ends_at") if name not in fields]
            if missing:
                raise ValidationError({name: ["This field is required to create an event."] for name in missing})
            organiser = fields.pop("organiser", None)
            event = event_create(by=by, organiser=organiser, external_id=external_id, source=source, **fields)
            return Upsert(event, "created", snapshot(event))
        organiser_changes = {}
        if "organiser" in fields:
            organiser = fields.pop("organiser")
            if organiser is not None and not organiser.is_active:
                raise ValidationError({"organiser": ["A deactivated employee cannot organise an event."]})
            if event.organiser_id != getattr(organiser, "pk", None):
                organiser_changes = {"organiser": [event.organiser_id, getattr(organiser, "pk", None)]}
                event.organiser = organiser
        changes = event_update(event=event, by=by, **fields)
        if organiser_changes and not changes:
            event.save()
            emit("event.updated", event_payload(event))
        changes = {**changes, **organiser_changes}
    return Upsert(event, "updated" if changes else "unchanged", changes)


# --- Attendance -----------------------------------------------------------------------------------


def _attendees_changed(event, *, added=(), removed=()):
    """Record a change of `event`'s attendee list (inside the caller's transaction): it is a change
    of the event for `updated_since`, and the `event.attendees_changed` webhook names who joined
    and who left."""
    event.updated_at = timezone.now()
    Event.objects.filter(pk=event.pk).update(updated_at=event.updated_at)
    emit(
        "event.attendees_changed",
        {**event_payload(event), "attendees": {"added": list(added), "removed": list(removed)}},
    )


def attendees_replace(*, event: Event, by, employee_ids, request=None) -> dict:
    """Replace `event`'s attendee list with `employee_ids` (organiser or HR).

    All or nothing: ids that name no employee, a deactivated employee, or that appear twice refuse
    the whole list (400 naming them) and nothing is written. People already on the list keep how
    they came; new ones are "imported" (HR) or "added by the organiser". Answers
    {"added": [ids], "removed": [ids]}.
    """
    if not can_manage_event(by, event):
        raise PermissionDenied("Only the organiser or HR may change the attendee list.")
    ids = list(employee_ids)
    if len(ids) > ATTENDEES_MAX:
        raise ValidationError({"employees": [f"Send at most {ATTENDEES_MAX} employee ids ({len(ids)} sent)."]})
    seen, repeated = set(), set()
    for pk in ids:
        (repeated if pk in seen else seen).add(pk)
    errors = []
    if repeated:
        errors.append("Each employee only once; repeated: " + ", ".join(map(str, sorted(repeated))) + ".")
    found = dict(User.objects.filter(pk__in=seen).values_list("pk", "is_active"))
    unknown = sorted(seen - set(found))
    if unknown:
        errors.append("Unknown employee ids: " + ", ".join(map(str, unknown)) + ".")
    leavers = sorted(pk for pk, active in found.items() if not active)
    if leavers:
        errors.append("Deactivated employees cannot attend: " + ", ".join(map(str, leavers)) + ".")
    if errors:
        raise ValidationError({"employees": errors})
    how = Attendance.How.IMPORTED if can_manage_all_events(by) else Attendance.How.ORGANISER
    with transaction.atomic():
        current = set(Attendance.objects.filter(event=event).values_list("employee_id", flat=True))
        added, removed = sorted(seen - current), sorted(current - seen)
        if removed:
            Attendance.objects.filter(event=event, employee_id__in=removed).delete()
        Attendance.objects.bulk_create(
            [Attendance(event=event, employee_id=pk, how=how) for pk in added], batch_size=1000
        )
        if added or removed:
            _attendees_changed(event, added=added, removed=removed)
            _audit(request, "event.attendees_replace", event, {"added": added, "removed": removed})
    return {"added": added, "removed": removed}


def attendance_add(*, event: Event, by, employee: User, request=None) -> Attendance:
    """The organiser (or HR) adds one active employee; adding someone already there changes nothing."""
    if not can_manage_event(by, event):
        raise PermissionDenied("Only the organiser or HR may add attendees.")
    if not employee.is_active:
        raise ValidationError({"employee": ["A deactivated employee cannot attend."]})
    how = Attendance.How.IMPORTED if can_manage_all_events(by) and not is_employee(by) else Attendance.How.ORGANISER
    with transaction.atomic():
        attendance, created = Attendance.objects.get_or_create(event=event, employee=employee, defaults={"how": how})
        if created:
            _attendees_changed(event, added=[employee.pk])
            _audit(request, "event.attendee_add", event, {"added": [employee.pk]})
    return attendance


# --- Check-in -------------------------------------------------------------------------------------


class CheckInRefused(Exception):
    """A check-in that cannot happen: `status` (400, 403 or 410) and a sentence for the person."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def check_in_token(event: Event) -> str:
    """The opaque part of the event's check-in link: its random code, signed (salted) with SECRET_KEY."""
    return signing.dumps(event.check_in_code, salt=CHECK_IN_SALT)


def check_in_window(event: Event):
    """(opens, closes): a check-in link works from the event's start until a day after its end."""
    return event.starts_at, event.ends_at + CHECK_IN_GRACE


def check_in_event(token: str, *, now=None) -> Event:
    """The event a check-in link names, if the link is genuine and open now; else CheckInRefused
    (400 tampered or unknown, 400 not open yet, 410 over)."""
    try:
        code = signing.loads(token, salt=CHECK_IN_SALT)
    except signing.BadSignature:
        raise CheckInRefused(400, "This check-in link is not valid. Ask the organiser for the link again.") from None
    event = Event.objects.select_related("location", "organiser").filter(check_in_code=str(code)).first()
    if event is None:
        raise CheckInRefused(400, "This check-in link is not valid. Ask the organiser for the link again.")
    now = now or timezone.now()
    opens, closes = check_in_window(event)
    if now < opens:
        raise CheckInRefused(
            400, f"Check-in for {event} opens when it starts, {timezone.localtime(opens):%d %B %Y %H:%M}."
        )
    if now > closes:
        raise CheckInRefused(410, f"Check-in for {event} closed a day after it ended.")
    return event


def attendance_check_in(*, token: str, employee, request=None) -> tuple[Event, bool]:
    """`employee` joins the attendee list through the event's check-in link; (event, joined now).

    Only an active employee checks in; the link must be genuine and open (`check_in_event`).
    Checking in twice changes nothing.
    """
    event = check_in_event(token)
    if not is_employee(employee):
        raise CheckInRefused(403, "Only active employees can check in.")
    with transaction.atomic():
        _, created = Attendance.objects.get_or_create(
            event=event, employee=employee, defaults={"how": Attendance.How.CHECK_IN}
        )
        if created:
            _attendees_changed(event, added=[employee.pk])
            _audit(request, "event.check_in", event, {"added": [employee.pk]})
    return event, created


def event_delete(*, event: Event, by, request=None) -> None:
    """Delete an event and its attendee list (`can_delete_event`). Connections and requests made
    there keep existing; their "Met at" is emptied (the foreign key is SET_NULL)."""
    if not can_delete_event(by, event):
        if can_manage_event(by, event) and event.external_id:
            raise PermissionDenied(SYNCED_REFUSED.format(source=event.source or "an HR system"))
        if can_manage_event(by, event):
            raise PermissionDenied(STARTED_REFUSED)
        raise PermissionDenied("Only the organiser or HR may delete this event.")
    with transaction.atomic():
        _audit(request, "event.delete", event, snapshot(event))
        emit("event.deleted", event_payload(event))
        event.delete()
