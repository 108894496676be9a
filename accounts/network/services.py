"""The network's writes: connection requests, their answers, removals and "Not now".

Every channel (portal pages, the API, tasks, the digest) calls these functions and never restates
their rules. The rules (issue 4, SPEC.md):

- Connections are symmetric and only accepted ones count. A connection links two people only
  while both are active employees: a leaver drops out of every list and links nobody.
- A request goes from an active employee to another active employee they are not connected with,
  never to themselves. One pending request per pair, whichever way round (a database constraint).
  A request to someone who already asked you accepts theirs.
- Only the recipient accepts or declines, only the sender withdraws; to anyone else the request
  does not exist (404).
- A request may name the event where the two met (`met_at`) only if both attended it and the
  sender may see its attendee list (the events' one rule); accepting keeps it on the connection.
- After a decline the sender may ask the same person again only after
  `CONNECTION_REQUEST_COOLDOWN_DAYS` (default 21); nobody sends more than
  `CONNECTION_REQUESTS_PER_DAY` requests in 24 hours.

Refusals raise `NetworkError` (a 4xx with a message for people and the field it concerns) or
`NetworkNotFound` (answered exactly like a missing id).
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from background.emails import email_cancel, email_queue
from config.text import MESSAGE as TEXT_CONTROLS_MESSAGE
from config.text import invisible_control_errors

from ..models import Connection, ConnectionRequest, SuggestionDismissal, User
from ..roles import is_employee
from .selectors import PENDING, are_connected

MESSAGE_MAX_LENGTH = ConnectionRequest._meta.get_field("message").max_length


class NetworkError(Exception):
    """A network action the rules refuse. Views show `message`; the API answers `status_code`
    with `{code, detail: message, fields: {field: [message]}}`."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, *, field="non_field_errors", code=None, status_code=None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class NetworkNotFound(NetworkError):
    """Someone else's request, or a person who is not (or no longer) there: answered as absent."""

    status_code = 404
    code = "not_found"

    def __init__(self, message="Not found."):
        super().__init__(message)


def _cooldown():
    return timedelta(days=getattr(settings, "CONNECTION_REQUEST_COOLDOWN_DAYS", 21))


def _daily_limit():
    return getattr(settings, "CONNECTION_REQUESTS_PER_DAY", 30)


def _pending_between(a_id, b_id):
    """The pending request between two people, whichever way round (at most one exists)."""
    return ConnectionRequest.objects.filter(
        Q(sender_id=a_id, recipient_id=b_id) | Q(sender_id=b_id, recipient_id=a_id), status=PENDING
    )


def _connect(a_id, b_id, now, met_at_id=None):
    # Both rows of a pair, together; ignore_conflicts keeps a half-existing pair (from an import,
    # say) from failing the acceptance.
    Connection.objects.bulk_create(
        [
            Connection(from_user_id=a_id, to_user_id=b_id, created_at=now, met_at_id=met_at_id),
            Connection(from_user_id=b_id, to_user_id=a_id, created_at=now, met_at_id=met_at_id),
        ],
        ignore_conflicts=True,
    )


def check_met_at(sender, recipient, event):
    """Refuse (NetworkError on `met_at`) an event the two did not both attend, or whose attendee
    list the sender may not see: "where we met" must be true and must reveal nothing new."""
    from events.models import Attendance
    from events.selectors import may_see_attendance

    both = Attendance.objects.filter(event_id=event.pk, employee_id__in=[sender.pk, recipient.pk]).count() == 2
    if not (both and may_see_attendance(sender, event)):
        raise NetworkError(f"You and {recipient} did not both attend {event.title}.", field="met_at")


def connection_request_send(*, sender, recipient, message="", met_at=None):
    """`sender` asks `recipient` to connect; returns the request.

    `met_at`, an event, says where they met: see check_met_at.

    Refused (NetworkError) for yourself, an existing connection, a duplicate pending request, a
    recent decline (cooldown) and past the daily limit; a leaver or unknown person is NetworkNotFound.
    If `recipient` already asked `sender`, their request is accepted instead and returned with
    status accepted. The pending-pair constraint settles two simultaneous requests: the loser's
    insert fails and is answered as if it had come second.
    """
    if not is_employee(sender):
        raise NetworkNotFound()
    if recipient is None or not is_employee(recipient):
        raise NetworkNotFound()
    if recipient.pk == sender.pk:
        raise NetworkError("You cannot send a connection request to yourself.", field="to")
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise NetworkError(f"Keep the message to {MESSAGE_MAX_LENGTH} characters or fewer.", field="message")
    if invisible_control_errors(message=message):
        raise NetworkError(TEXT_CONTROLS_MESSAGE, field="message")
    if are_connected(sender, recipient):
        raise NetworkError(f"You are already connected with {recipient}.", field="to", code="conflict", status_code=409)
    if met_at is not None:
        check_met_at(sender, recipient, met_at)
    try:
        with transaction.atomic():
            # Lock the sender's row so that two requests from one person count against the daily
            # limit one after the other (PostgreSQL; SQLite serialises writers anyway). NO KEY: a
            # plain FOR UPDATE would block the foreign-key check of someone asking this sender at
            # the same moment, and two people asking each other would deadlock.
            list(User.objects.select_for_update(no_key=True).filter(pk=sender.pk).values_list("pk", flat=True))
            existing = _pending_between(sender.pk, recipient.pk).first()
            if existing is not None:
                return _answer_existing(existing, sender, recipient, met_at)
            _check_cooldown(sender, recipient)
            _check_daily_limit(sender)
            request_obj = ConnectionRequest.objects.create(
                sender=sender, recipient=recipient, message=message, met_at=met_at
            )
            email_queue("connection_request", request_obj.pk)
            return request_obj
    except IntegrityError:
        # Another request for this pair committed between our check and our insert.
        existing = _pending_between(sender.pk, recipient.pk).first()
        if existing is None:
            raise NetworkError(
                "Someone else changed this just now. Please try again.", code="conflict", status_code=409
            ) from None
        with transaction.atomic():
            return _answer_existing(existing, sender, recipient, met_at)


def _answer_existing(existing, sender, recipient, met_at=None):
    if existing.sender_id == recipient.pk:
        # They asked first: asking back means yes. Their request's email, if still unsent, would
        # only announce what is already settled.
        _respond(existing, sender, party="recipient", verb="accept")
        if met_at is not None and existing.met_at_id is None:
            # Where they met, said by the second asker, is kept like the first asker's would be.
            ConnectionRequest.objects.filter(pk=existing.pk).update(met_at=met_at)
            existing.met_at = met_at
        _accept(existing)
        email_cancel("connection_request", existing.pk)
        return existing
    raise NetworkError(
        f"You already asked {recipient} to connect; the request is pending.",
        field="to",
        code="conflict",
        status_code=409,
    )


def _check_cooldown(sender, recipient):
    last_decline = (
        ConnectionRequest.objects.filter(
            sender_id=sender.pk, recipient_id=recipient.pk, status=ConnectionRequest.Status.DECLINED
        )
        .order_by("-responded_at")
        .values_list("responded_at", flat=True)
        .first()
    )
    if last_decline is not None:
        again = last_decline + _cooldown()
        if again > timezone.now():
            raise NetworkError(
                f"{recipient} declined your last request. You can ask again from "
                f"{date_format(timezone.localtime(again), 'j F Y')}.",
                field="to",
                code="cooldown",
                status_code=409,
            )


def _check_daily_limit(sender):
    limit = _daily_limit()
    since = timezone.now() - timedelta(days=1)
    # Every request counts, withdrawn ones too: otherwise send-and-withdraw would dodge the limit.
    sent = ConnectionRequest.objects.filter(sender_id=sender.pk, created_at__gte=since).count()
    if sent >= limit:
        raise NetworkError(
            f"You have sent {limit} connection requests in the last 24 hours, the daily limit. "
            "Please try again tomorrow.",
            field="to",
            code="limit_reached",
            status_code=429,
        )


def _respond(request_obj, by, *, party, verb):
    """Lock and check a request before a response: `party` ("recipient" or "sender") alone may act,
    on a pending request with an active counterpart; to anyone else it does not exist."""
    if not is_employee(by) or getattr(request_obj, f"{party}_id") != by.pk:
        raise NetworkNotFound()
    locked = (
        ConnectionRequest.objects.select_for_update(of=("self",))
        .filter(pk=request_obj.pk)
        .values("status", "sender__is_active", "recipient__is_active")
        .first()
    )
    if locked is None or not (locked["sender__is_active"] and locked["recipient__is_active"]):
        raise NetworkNotFound()
    if locked["status"] != PENDING:
        label = ConnectionRequest.Status(locked["status"]).label.lower()
        raise NetworkError(f"You cannot {verb} this request: it was already {label}.", code="conflict", status_code=409)


def _accept(request_obj):
    now = timezone.now()
    ConnectionRequest.objects.filter(pk=request_obj.pk).update(
        status=ConnectionRequest.Status.ACCEPTED, responded_at=now
    )
    request_obj.status = ConnectionRequest.Status.ACCEPTED
    request_obj.responded_at = now
    _connect(request_obj.sender_id, request_obj.recipient_id, now, request_obj.met_at_id)
    email_queue("connection_accepted", request_obj.pk)


def connection_request_accept(*, request_obj, by):
    """The recipient accepts: the request is marked accepted and both connection rows are written,
    in one transaction. Anyone else gets NetworkNotFound; a request no longer pending, NetworkError."""
    with transaction.atomic():
        _respond(request_obj, by, party="recipient", verb="accept")
        _accept(request_obj)
    return request_obj


def _close(request_obj, status):
    now = timezone.now()
    ConnectionRequest.objects.filter(pk=request_obj.pk).update(status=status, responded_at=now)
    request_obj.status = status
    request_obj.responded_at = now
    return request_obj


def connection_request_decline(*, request_obj, by):
    """The recipient declines. The sender is not told, and may ask again after the cooldown."""
    with transaction.atomic():
        _respond(request_obj, by, party="recipient", verb="decline")
        return _close(request_obj, ConnectionRequest.Status.DECLINED)


def connection_request_withdraw(*, request_obj, by):
    """The sender withdraws a pending request (no cooldown: they changed their own mind)."""
    with transaction.atomic():
        _respond(request_obj, by, party="sender", verb="withdraw")
        return _close(request_obj, ConnectionRequest.Status.WITHDRAWN)


def connection_remove(*, user, other):
    """Either side ends a connection: both rows go, in one transaction. NetworkNotFound if the two
    are not connected (a leaver is connected to nobody)."""
    if not is_employee(user) or other is None or not are_connected(user, other):
        raise NetworkNotFound()
    with transaction.atomic():
        Connection.objects.filter(
            Q(from_user_id=user.pk, to_user_id=other.pk) | Q(from_user_id=other.pk, to_user_id=user.pk)
        ).delete()


def suggestion_restore(*, user, dismissed):
    """ "Show again": undo a "Not now", so `dismissed` may be suggested to `user` again.

    Someone else's or an unknown employee is a NetworkNotFound; restoring twice changes nothing.
    """
    if not is_employee(user) or dismissed is None or not is_employee(dismissed):
        raise NetworkNotFound()
    SuggestionDismissal.objects.filter(user_id=user.pk, dismissed_id=dismissed.pk).delete()


def suggestion_dismiss(*, user, dismissed):
    """ "Not now": `dismissed` is never suggested to `user` again (they can still connect)."""
    if not is_employee(user) or dismissed is None or not is_employee(dismissed):
        raise NetworkNotFound()
    if dismissed.pk == user.pk:
        raise NetworkError("You are never suggested to yourself.")
    SuggestionDismissal.objects.get_or_create(user_id=user.pk, dismissed_id=dismissed.pk)
