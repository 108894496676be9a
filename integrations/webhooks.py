"""Delivering webhooks: signing, one attempt at a time, retries with backoff, replay, rotation.

A delivery is attempted by the tasks worker right after the event commits (outbox.emit), and again
on the BACKOFF schedule while the receiver fails: about a day in all, then it is marked failed.
`manage.py deliver_webhooks` sends whatever is due, for cron and for recovery after a worker
restart. An attempt first *claims* the delivery with a conditional update, so the worker and the
command never send the same attempt twice; a claim that dies with its process expires after a
lease and the next run takes it over.

Each POST carries `Webhook-Id` (the event id: receivers deduplicate on it), `Webhook-Timestamp`
(Unix seconds) and `Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`; during
a secret rotation's overlap a second `v1=` signed with the previous secret follows, comma separated.
Only the standard library is used for HTTP, with a short timeout, and redirects are not followed.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.roles import actor_record, is_employee

from .destinations import DestinationRefused, destination_problem, pinned_opener, resolve_destination
from .models import WebhookDelivery, WebhookEndpoint, generate_webhook_secret

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt: 7 attempts over about 23.6 hours.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
USER_AGENT = "ReferralBoard-Webhooks/1.0"
ERROR_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 100

# The read permission an event type needs, by its prefix: a subscription is a way of reading.
EVENT_READ_PERMISSIONS = {
    "opening": "openings.view_all_openings",
    "referral": "referrals.view_all_referrals",
    "employee": "accounts.view_user",
    # Events are listed to every employee, but their webhooks name attendees: HR's read (hr:read
    # or hr), the same permission `events.selectors` asks before it shows an attendee list to HR.
    "event": "openings.view_all_openings",
}


def event_read_permission(event_type):
    return EVENT_READ_PERMISSIONS[event_type.split(".", 1)[0]]


def subscription_problem(principal, events):
    """Why `principal` may not receive `events`, or None.

    The rule: a webhook delivers what its subscriber could read through the API, no more, so each
    event type needs its read permission (an HR employee has them all; a service token through
    hr:read or hr; hr:write alone reads nothing). Checked when the subscription is made or changed
    and again when each event goes out (`endpoint_may_receive`).
    """
    missing = sorted(e for e in events if not principal.has_perm(event_read_permission(e)))
    if missing:
        return (
            f"Receiving {', '.join(missing)} needs the read scope of those events (hr:read or hr, or an HR employee)."
        )
    return None


def endpoint_subscriber(endpoint):
    """Who receives through `endpoint`, as a principal: the service token or the employee that
    subscribed it. None when it was set up by an operator (no creator recorded); False when the
    subscriber can no longer act (token revoked, account disabled, employee deactivated)."""
    from accounts.principals import ServicePrincipal

    token = endpoint.created_with_token
    if token is not None:
        if token.revoked_at is not None or not token.service_account.is_active:
            return False
        return ServicePrincipal(token.service_account, token)
    if endpoint.created_by_service_id is not None:
        # Subscribed before the token was recorded (or its token was deleted): the service may
        # receive what one of its usable tokens may read.
        account = endpoint.created_by_service
        tokens = list(account.tokens.usable()) if account.is_active else []
        return _AnyToken([ServicePrincipal(account, token) for token in tokens]) if tokens else False
    if endpoint.created_by_id is not None:
        return endpoint.created_by if is_employee(endpoint.created_by) else False
    return None


class _AnyToken:
    """A service account seen through all its usable tokens: it holds what any of them holds."""

    def __init__(self, principals):
        self.principals = principals

    def has_perm(self, perm, obj=None):
        return any(p.has_perm(perm) for p in self.principals)


def endpoint_may_receive(endpoint, event_type):
    """Whether the event may go out to `endpoint` now (see subscription_problem)."""
    subscriber = endpoint_subscriber(endpoint)
    if subscriber is None:
        return True
    return subscriber is not False and subscription_problem(subscriber, [event_type]) is None


def _timeout():
    return float(settings.WEBHOOK_TIMEOUT_SECONDS)


def _lease():
    """How long a claimed attempt is left alone before another run may take it over."""
    return timedelta(seconds=_timeout() + 60)


# --- Signing -------------------------------------------------------------------------------------


def sign(secret, timestamp, body):
    """hex HMAC-SHA256 of f"{timestamp}.{body}" with `secret` (body as the exact bytes sent)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signing_secrets(endpoint, *, now=None):
    """The current secret, then the previous one while its rotation overlap lasts."""
    now = now or timezone.now()
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        found.append(endpoint.previous_secret)
    return found


def signature_header(endpoint, timestamp, body, *, now=None):
    return ",".join(f"v1={sign(secret, timestamp, body)}" for secret in signing_secrets(endpoint, now=now))


def event_body(event):
    """The JSON body of every delivery of `event`: {id, type, created_at, data}, compact, as bytes."""
    document = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


# --- Sending -------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the body: report it as a failure instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(url, body, headers):
    """POST once; returns (status code or None, error text or "").

    The destination is checked after DNS resolution (destinations.py) and the connection goes to
    the address that was checked. Of a failed answer only the status code and a short reason are
    kept, never the body: a receiver's reply is not ours to store or to show through the API.
    """
    try:
        addresses = resolve_destination(url)
    except DestinationRefused as refused:
        return None, f"Refused destination: {refused}"
    opener = pinned_opener(addresses[0], _NoRedirects)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with opener.open(request, timeout=_timeout()) as response:
            response.read(64 * 1024)
            return response.status, ""
    except urllib.error.HTTPError as error:
        reason = " ".join(str(error.reason or "").split())[:REASON_MAX_LENGTH]
        return error.code, f"HTTP {error.code} {reason}".strip()
    except urllib.error.URLError as error:
        return None, f"Could not connect: {error.reason}"
    except TimeoutError:
        return None, f"No answer within {_timeout():g} seconds."
    except (OSError, ValueError) as error:  # reset connections, bad status lines, malformed URLs
        return None, f"{type(error).__name__}: {error}"


def _claim(delivery_id, now):
    """Take the delivery if it is pending and due, leased until the returned time (the lease is
    the pushed-back `next_attempt_at`); None if it is done, not due, or taken."""
    lease_until = now + _lease()
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease_until, last_attempt_at=now)
    return lease_until if taken else None


def delivery_attempt(delivery_id):
    """Make one attempt at a delivery that is due, record the outcome and schedule the next one.

    A 2xx answer succeeds. Anything else (another status, a refused connection, no answer within
    WEBHOOK_TIMEOUT_SECONDS) counts as a failed attempt: the next one is due after BACKOFF, and after
    MAX_ATTEMPTS the delivery is marked failed (HR can replay it from the admin or the API).
    Returns the delivery, or None when it was not due or another process holds it.
    """
    now = timezone.now()
    lease_until = _claim(delivery_id, now)
    if lease_until is None:
        return None
    delivery = WebhookDelivery.objects.select_related(
        "event", "endpoint", "endpoint__created_by", "endpoint__created_with_token__service_account"
    ).get(pk=delivery_id)
    endpoint = delivery.endpoint
    attempt_number = delivery.attempts + 1
    if not endpoint.is_active:
        code, error, duration_ms = None, "The endpoint is disabled.", 0
        attempt_number = MAX_ATTEMPTS  # no point retrying
    elif not endpoint_may_receive(endpoint, delivery.event.type):
        code, error, duration_ms = None, "The subscriber may no longer read this event type.", 0
        attempt_number = MAX_ATTEMPTS
    else:
        body = event_body(delivery.event)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(delivery.event_id),
            "Webhook-Timestamp": timestamp,
            "Webhook-Signature": signature_header(endpoint, timestamp, body, now=now),
            "Webhook-Attempt": str(attempt_number),
        }
        started = time.monotonic()
        code, error = _post(endpoint.url, body, headers)
        duration_ms = int((time.monotonic() - started) * 1000)
    finished = timezone.now()
    delivery.attempts = attempt_number
    delivery.last_response_code = code
    delivery.duration_ms = duration_ms
    delivery.last_attempt_at = finished
    if code is not None and 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = finished
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        delivery.last_error = (error or f"HTTP {code}")[:ERROR_MAX_LENGTH]
        if attempt_number >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = finished + BACKOFF[attempt_number - 1]
    recorded = _record_attempt(delivery, lease_until)
    if not recorded:
        logger.warning(
            "Webhook delivery %s outlived its lease and was taken over: this attempt's outcome is dropped.",
            delivery.pk,
        )
        return None
    if delivery.status == WebhookDelivery.Status.PENDING:
        _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
    return delivery


def _record_attempt(delivery, lease_until):
    """Write the attempt's outcome only while this process still holds the delivery's lease.

    A sender that stalled past its lease (an endpoint that kept the connection open) finds
    another process has taken the delivery over; writing its late outcome would reset the newer
    attempt's count and schedule. Returns whether the outcome was written.
    """
    fields = (
        "status",
        "attempts",
        "last_response_code",
        "duration_ms",
        "last_attempt_at",
        "delivered_at",
        "next_attempt_at",
        "last_error",
    )
    held = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=lease_until
    )
    return bool(held.update(**{name: getattr(delivery, name) for name in fields}))


def _enqueue(delivery_id, *, run_after=None):
    """Ask the tasks worker for an attempt. Never fails the caller: if the queue is unavailable,
    or cannot defer (the immediate backend of the tests), `deliver_webhooks` finds it when due."""
    from .tasks import deliver_webhook

    task = deliver_webhook
    try:
        if run_after is not None:
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(delivery_id)
    except Exception:  # noqa: BLE001 - the delivery row is the source of truth, not the queue
        logger.exception("Could not enqueue webhook delivery %s; deliver_webhooks will send it.", delivery_id)


def enqueue_deliveries(delivery_ids):
    for delivery_id in delivery_ids:
        _enqueue(delivery_id)


def deliveries_due(*, now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )


def deliver_due(*, limit=None, now=None):
    """Attempt every delivery that is due now (oldest first). Returns {status: count} of the attempts made."""
    due = deliveries_due(now=now).values_list("pk", flat=True)
    ids = list(due[:limit] if limit else due)
    outcome = {"succeeded": 0, "retrying": 0, "failed": 0, "skipped": 0}
    for delivery_id in ids:
        delivery = delivery_attempt(delivery_id)
        if delivery is None:
            outcome["skipped"] += 1
        elif delivery.status == WebhookDelivery.Status.PENDING:
            outcome["retrying"] += 1
        else:
            outcome[delivery.status] += 1
    return outcome


# --- HR's actions --------------------------------------------------------------------------------


def delivery_replay(*, delivery):
    """Send the delivery's event to its endpoint again, as a new delivery due now (same event id,
    so a receiver that already has it can recognise it). Returns the new delivery."""
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            event_id=delivery.event_id,
            endpoint_id=delivery.endpoint_id,
            replay_of=delivery,
            next_attempt_at=timezone.now(),
        )
    transaction.on_commit(lambda: _enqueue(replay.pk))
    return replay


def endpoint_rotate_secret(*, endpoint, overlap=None):
    """Give the endpoint a new secret and keep signing with the old one as well for `overlap`
    (WEBHOOK_SECRET_OVERLAP_HOURS by default), so the receiver can switch without missing events.
    Returns the new secret (shown once)."""
    if overlap is None:
        overlap = timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    now = timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + overlap
    endpoint.secret = generate_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint.secret


def _check_subscription(*, url, events, by):
    errors = {}
    problem = destination_problem(url)
    if problem:
        errors["url"] = [problem]
    problem = subscription_problem(by, events) if by is not None else None
    if problem:
        errors["events"] = [problem]
    if errors:
        raise ValidationError(errors)


def endpoint_create(*, url, events, description="", is_active=True, created_by=None):
    """Subscribe `url` to `events`. `created_by` is the employee or service principal asking.

    Refused (ValidationError on the field): a destination that is not public (destinations.py) and
    an event type `created_by` may not read (subscription_problem).
    """
    _check_subscription(url=url, events=events, by=created_by)
    endpoint = WebhookEndpoint(url=url, events=sorted(set(events)), description=description, is_active=is_active)
    actor = actor_record(created_by)
    endpoint.created_by = actor.employee
    endpoint.created_by_service = actor.service_account
    endpoint.created_with_token = actor.token
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def endpoint_update(*, endpoint, by=None, **fields):
    """Change an endpoint's url, events, description or activity, under endpoint_create's rules.

    A new address is checked again; new events need `by` to read them.
    """
    events = sorted(set(fields.get("events", endpoint.events)))
    added = sorted(set(events) - set(endpoint.events or []))
    errors = {}
    problem = destination_problem(fields["url"]) if "url" in fields else None
    if problem:
        errors["url"] = [problem]
    problem = subscription_problem(by, added) if by is not None and added else None
    if problem:
        errors["events"] = [problem]
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(endpoint, name, events if name == "events" else value)
    endpoint.full_clean()
    endpoint.save()
    return endpoint
