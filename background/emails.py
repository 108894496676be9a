"""The email outbox: every notification is a row written with its cause, sent by the worker.

`email_queue(kind, object_id)` is called inside the service's transaction: the row commits with
the change or not at all. After the commit the worker is asked to send it at once; if that fails
(mail server down, worker busy or dead) the row stays due and the worker's sweep, or
`manage.py send_due_emails`, sends it later. Retries back off from one minute to twelve hours
(BACKOFF), about two days in all, before a message is marked failed.

Exactly once, except for one window: a sender claims the row (leases.claim), builds the message
from the current rows, hands it to the SMTP server and then marks it sent. If the process dies
after the server accepted the message but before that mark commits, the lease runs out and the
message is sent again. SMTP offers no way to close this window (the server's "250 OK" and our
commit cannot be one transaction); everything before and after it is exactly-once.
"""

import logging
from datetime import timedelta
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from . import leases
from .models import OutgoingEmail

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt: the first retry within two minutes, then hours.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1

# kind -> "module.function" building the message from an id (or None when there is nothing to send).
BUILDERS = {
    "referral_new": "referrals.tasks.build_new_referral_email",
    "referral_status": "referrals.tasks.build_referral_status_email",
    "referral_reminder": "referrals.tasks.build_referral_reminder_email",
    "connection_request": "accounts.tasks.build_connection_request_email",
    "connection_accepted": "accounts.tasks.build_connection_accepted_email",
}


def _builder(kind):
    module, name = BUILDERS[kind].rsplit(".", 1)
    return getattr(import_module(module), name)


def email_queue(kind, object_id):
    """Write one email to the outbox in the caller's transaction and ask the worker to send it
    once that transaction commits. Returns the row."""
    if kind not in BUILDERS:
        raise ValueError(f"Unknown email kind {kind!r}.")
    row = OutgoingEmail.objects.create(kind=kind, object_id=object_id)
    transaction.on_commit(lambda: _enqueue([row.pk]))
    return row


def email_cancel(kind, object_id):
    """Drop the unsent emails of `kind` about `object_id` (their cause was undone in time)."""
    return OutgoingEmail.objects.filter(
        kind=kind, object_id=object_id, status=OutgoingEmail.Status.PENDING, holder=""
    ).update(status=OutgoingEmail.Status.SKIPPED, last_error="Cancelled before it was sent.")


def _enqueue(ids):
    """Ask the tasks worker to send these now. Never fails the caller: the row is the source of
    truth and the sweep sends it if the queue is unavailable."""
    from .tasks import send_emails

    try:
        send_emails.enqueue(ids)
    except Exception:  # noqa: BLE001
        logger.exception("Could not enqueue emails %s; the worker's sweep will send them.", ids)


def due(now=None):
    return OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now or timezone.now())


def emails_send(*, ids=None, limit=200):
    """Send the due emails (only `ids`, if given) that no live process holds.

    Returns {"sent", "skipped", "retrying", "failed"} counts. A failed attempt is retried after
    BACKOFF; after MAX_ATTEMPTS the row is marked failed and stays in the admin.
    """
    queryset = due()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    holder = leases.holder_name()
    claimed = leases.claim(queryset, holder=holder, limit=limit)
    outcome = {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    renewer = leases.Renewer(OutgoingEmail, claimed, holder=holder)
    for row in OutgoingEmail.objects.filter(pk__in=claimed).order_by("pk"):
        renewer()
        outcome[_send_one(row, holder)] += 1
        renewer.done(row.pk)
    return outcome


def _send_one(row, holder):
    mine = OutgoingEmail.objects.filter(pk=row.pk, holder=holder)
    now = timezone.now()
    try:
        message = _builder(row.kind)(row.object_id)
        if message is None:
            mine.update(status=OutgoingEmail.Status.SKIPPED, holder="", lease_until=None, attempts=row.attempts + 1)
            return "skipped"
        message.send()  # the duplicate window: accepted by the server, not yet marked sent
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
        attempts = row.attempts + 1
        gave_up = attempts >= MAX_ATTEMPTS
        mine.update(
            attempts=attempts,
            holder="",
            lease_until=None,
            last_error=f"{type(error).__name__}: {error}"[:1000],
            status=OutgoingEmail.Status.FAILED if gave_up else OutgoingEmail.Status.PENDING,
            next_attempt_at=now + BACKOFF[min(attempts, len(BACKOFF)) - 1],
        )
        logger.warning("Email %s (%s) failed, attempt %s: %s", row.pk, row.kind, attempts, error)
        return "failed" if gave_up else "retrying"
    mine.update(
        status=OutgoingEmail.Status.SENT,
        sent_at=timezone.now(),
        to=", ".join(message.to)[:254],
        attempts=row.attempts + 1,
        holder="",
        lease_until=None,
        last_error="",
    )
    return "sent"
