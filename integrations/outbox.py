"""The outbox: events written in the same transaction as the change that caused them.

Service functions call `emit(event_type, payload)` inside their transaction. The event and one
pending delivery per subscribed endpoint commit together with the change, or not at all; only after
the commit is the tasks worker asked to send them. A rolled-back change therefore never notifies
anyone, and a committed one is never lost: if the worker is down, `manage.py deliver_webhooks`
sends whatever is due.

Payloads are thin on purpose: ids, statuses and what an integration needs to decide whether to
fetch the full record through the API. Candidates' personal data never goes into the outbox, so the
referral retention rule (erasure after a year) cannot be bypassed by an old event.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from .models import EVENT_TYPES, OutboxEvent, WebhookDelivery, WebhookEndpoint


def emit(event_type, payload):
    """Record `event_type` with `payload` in the caller's transaction and queue its deliveries.

    One delivery per active endpoint subscribed to the type; they are enqueued for the tasks worker
    once the surrounding transaction commits. Returns the OutboxEvent.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    # Round-trip through JSON so dates and decimals are stored exactly as they will be sent.
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    with transaction.atomic():
        event = OutboxEvent.objects.create(type=event_type, payload=payload)
        endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.subscribes_to(event_type)]
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=event.created_at)
                for endpoint in endpoints
            ]
        )
    if deliveries:
        from .webhooks import enqueue_deliveries

        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: enqueue_deliveries(ids))
    return event


# --- Payloads ------------------------------------------------------------------------------------


def opening_payload(opening):
    return {
        "id": opening.pk,
        "title": opening.title,
        "status": opening.status,
        "visibility": opening.visibility,
        "division": getattr(opening.division, "code", None),
        "location": getattr(opening.location, "code", None),
        "employment_type": opening.employment_type,
        "work_arrangement": opening.work_arrangement,
        "closes_on": opening.closes_on,
        "posted_by": opening.posted_by_id,
        "opened_at": opening.opened_at,
        "updated_at": opening.updated_at,
    }


def referral_payload(referral, *, previous_status=None):
    data = {
        "id": referral.pk,
        "opening": referral.opening_id,
        "referrer": referral.referrer_id,
        "status": referral.status,
        "is_self_referral": referral.is_self_referral,
        "updated_at": referral.updated_at,
    }
    if previous_status is not None:
        data["previous_status"] = previous_status
    return data


def employee_payload(employee):
    return {
        "id": employee.pk,
        "employee_id": employee.employee_id,
        "email": employee.email,
        "is_active": employee.is_active,
        "deactivated_at": employee.deactivated_at,
    }


def event_payload(event):
    """An event as the API's event resource shows it (`events.serializers.EventSerializer`): no
    attendees; `event.attendees_changed` adds only the ids of who joined and who left."""
    return {
        "id": event.pk,
        "title": event.title,
        "kind": event.kind,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "location": event.location.code if event.location_id else None,
        "online": event.online,
        "description": event.description,
        "organiser": event.organiser_id,
        "external_id": event.external_id,
        "source": event.source,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
    }


def bonus_payload(bonus):
    """A referral bonus for payroll and HR systems: amounts, dates and references, no candidate data."""
    return {
        "id": bonus.pk,
        "referral": bonus.referral_id,
        "referrer": bonus.referral.referrer_id,
        "status": bonus.status,
        "amount": bonus.amount,
        "currency": bonus.currency,
        "start_date": bonus.start_date,
        "eligible_on": bonus.eligible_on,
        "payroll_reference": bonus.payroll_reference,
        "updated_at": bonus.updated_at,
    }
