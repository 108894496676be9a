"""Webhooks against a real HTTP receiver on 127.0.0.1: signature, retries, slow and dead receivers,
rotation, replay, the outbox's transaction, and the API and admin that manage them."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.services import employee_deactivate
from integrations import webhooks
from integrations.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from integrations.outbox import emit
from openings.models import Opening
from openings.services import opening_create, opening_set_status, opening_update, openings_close_expired
from tests.factories import DivisionFactory, LocationFactory, UserFactory
from tests.integrations.conftest import verify_signature
from tests.openings.factories import OpeningFactory

ALL_OPENING_EVENTS = ["opening.created", "opening.updated", "opening.closed"]


def subscribe(url, events=ALL_OPENING_EVENTS, **fields):
    return webhooks.endpoint_create(url=url, events=events, **fields)


def opening_body(division, location, **extra):
    return {
        "title": "Data Engineer",
        "description": "Pipelines.",
        "division": division.code,
        "location": location.code,
        "visibility": "company",
        "status": "open",
        **extra,
    }


@pytest.fixture
def org():
    return DivisionFactory(code="finance"), LocationFactory(code="berlin")


def post_opening(api_as, poster, org, capture):
    division, location = org
    with capture(execute=True):
        response = api_as(poster).post("/api/v1/openings/", opening_body(division, location), format="json")
    assert response.status_code == 201, response.json()
    return response


def test_an_event_reaches_the_receiver_signed(receiver, api_as, poster, org, django_capture_on_commit_callbacks):
    endpoint = subscribe(receiver.url)
    response = post_opening(api_as, poster, org, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    event = OutboxEvent.objects.get()
    assert sent["headers"]["Webhook-Id"] == str(event.id)
    assert sent["headers"]["Content-Type"] == "application/json"
    assert verify_signature(endpoint.secret, sent["headers"], sent["body"])
    assert not verify_signature("whsec_wrong", sent["headers"], sent["body"])
    document = receiver.json()
    assert set(document) == {"id", "type", "created_at", "data"}
    assert document["type"] == "opening.created"
    assert document["data"]["id"] == response.json()["id"]
    assert document["data"]["division"] == "finance"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.last_response_code, delivery.next_attempt_at) == (1, 200, None)
    assert delivery.duration_ms is not None


def test_only_subscribed_and_active_endpoints_get_an_event(receiver, poster, org):
    subscribe(receiver.url, events=["employee.deactivated"])
    subscribe(receiver.url, events=["opening.created"], is_active=False)
    wanted = subscribe(receiver.url, events=["opening.created"])
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [wanted.pk]


def test_a_receiver_that_is_down_gets_retries_with_backoff(
    down_url, api_as, poster, org, django_capture_on_commit_callbacks
):
    subscribe(down_url)
    before = timezone.now()
    response = post_opening(api_as, poster, org, django_capture_on_commit_callbacks)
    assert response.status_code == 201  # the API answer does not depend on the receiver

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_response_code is None
    assert "Could not connect" in delivery.last_error
    assert before + timedelta(seconds=55) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=65)

    # Nothing is due yet: the cron command leaves it alone.
    call_command("deliver_webhooks")
    assert WebhookDelivery.objects.get().attempts == 1

    # Each retry waits longer; after the last one the delivery is given up.
    waits = []
    for attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        call_command("deliver_webhooks")
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert waits == sorted(waits) and len(waits) == len(webhooks.BACKOFF) - 1
    assert timedelta(hours=20) < sum(webhooks.BACKOFF, timedelta()) < timedelta(hours=26)


def test_a_slow_receiver_never_blocks_the_request(
    receiver, api_as, poster, org, settings, django_capture_on_commit_callbacks
):
    """With the production-like queue the request only enqueues; the worker's attempt gives up at
    the timeout and is retried."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 3
    subscribe(receiver.url)

    started = time.monotonic()
    post_opening(api_as, poster, org, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 1.0
    from django_tasks import default_task_backend

    assert [r.task.name for r in default_task_backend.results] == ["deliver_webhook"]

    started = time.monotonic()
    call_command("deliver_webhooks")  # what the worker or cron does
    assert time.monotonic() - started < 2.5
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert "No answer within" in delivery.last_error or "timed out" in delivery.last_error

    receiver.delay = 0
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    call_command("deliver_webhooks")
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 2
    # Both attempts carried the same event id, so the receiver can drop the duplicate.
    assert len({r["headers"]["Webhook-Id"] for r in receiver.requests}) == 1


def test_with_the_immediate_queue_an_attempt_is_cut_at_the_timeout(
    receiver, api_as, poster, org, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 4
    subscribe(receiver.url)
    started = time.monotonic()
    post_opening(api_as, poster, org, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 1)


def test_error_answers_and_redirects_are_failed_attempts(receiver, poster, org):
    endpoint = subscribe(receiver.url)
    division, location = org
    for status_code in (500, 302, 410):
        receiver.status = status_code
        with transaction.atomic():
            opening = opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
        delivery = WebhookDelivery.objects.get(event__payload__id=opening.pk, endpoint=endpoint)
        webhooks.delivery_attempt(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.last_response_code == status_code
        assert f"HTTP {status_code}" in delivery.last_error


def test_an_attempt_is_claimed_so_it_is_never_sent_twice(receiver, poster, org):
    subscribe(receiver.url)
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    delivery = WebhookDelivery.objects.get()
    assert webhooks.delivery_attempt(delivery.pk).status == WebhookDelivery.Status.SUCCEEDED
    assert webhooks.delivery_attempt(delivery.pk) is None
    call_command("deliver_webhooks")
    assert len(receiver.requests) == 1


def test_a_sender_that_outlived_its_lease_does_not_overwrite_the_takeover(receiver, poster, org):
    subscribe(receiver.url)
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    delivery = WebhookDelivery.objects.get()
    stalled_lease = webhooks._claim(delivery.pk, timezone.now())  # this sender then hangs on its POST
    assert webhooks.delivery_attempt(delivery.pk) is None  # while its lease runs, nobody else sends
    with time_machine.travel(stalled_lease + timedelta(seconds=1), tick=False):
        assert webhooks.delivery_attempt(delivery.pk).status == WebhookDelivery.Status.SUCCEEDED
    late = WebhookDelivery.objects.get(pk=delivery.pk)  # the stalled sender wakes up with a failure
    late.status, late.attempts, late.last_error = WebhookDelivery.Status.PENDING, 1, "timed out"
    late.next_attempt_at = timezone.now() + timedelta(minutes=1)
    assert webhooks._record_attempt(late, stalled_lease) is False
    row = WebhookDelivery.objects.get(pk=delivery.pk)
    assert row.status == WebhookDelivery.Status.SUCCEEDED and row.last_error == "" and row.attempts == 1
    assert len(receiver.requests) == 1


def test_rotation_signs_with_both_secrets_during_the_overlap(receiver, service_api, poster, org):
    api = service_api("hr")
    created = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["opening.created"]}, format="json")
    assert created.status_code == 201
    old_secret = created.json()["secret"]
    rotated = api.post(f"/api/v1/webhooks/{created.json()['id']}/rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret and rotated.json()["secret_rotating_until"]

    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    webhooks.delivery_attempt(WebhookDelivery.objects.get().pk)
    sent = receiver.requests[-1]
    assert sent["headers"]["Webhook-Signature"].count("v1=") == 2
    assert verify_signature(new_secret, sent["headers"], sent["body"])
    assert verify_signature(old_secret, sent["headers"], sent["body"])

    # After the overlap only the new secret signs.
    WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    opening_create(posted_by=poster, title="T2", description="D", division=division, location=location)
    webhooks.delivery_attempt(WebhookDelivery.objects.filter(status="pending").get().pk)
    sent = receiver.requests[-1]
    assert sent["headers"]["Webhook-Signature"].count("v1=") == 1
    assert verify_signature(new_secret, sent["headers"], sent["body"])
    assert not verify_signature(old_secret, sent["headers"], sent["body"])


def test_replay_sends_the_same_event_again(receiver, service_api, poster, org, django_capture_on_commit_callbacks):
    endpoint = subscribe(receiver.url)
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    first = WebhookDelivery.objects.get()
    webhooks.delivery_attempt(first.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = service_api("hr").post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{first.pk}/replay/")
    assert response.status_code == 201, response.json()
    assert response.json()["replay_of"] == first.pk
    assert len(receiver.requests) == 2  # sent at once by the (immediate) worker
    assert receiver.requests[0]["headers"]["Webhook-Id"] == receiver.requests[1]["headers"]["Webhook-Id"]
    assert (
        service_api("hr:read").post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{first.pk}/replay/").status_code == 403
    )


def test_a_disabled_endpoint_stops_its_pending_deliveries(receiver, poster, org):
    endpoint = subscribe(receiver.url)
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    delivery = webhooks.delivery_attempt(WebhookDelivery.objects.get().pk)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert receiver.requests == []


# --- The outbox: events commit with their change, or not at all -------------------------------


def test_an_event_rolls_back_with_its_change(poster, org, receiver):
    subscribe(receiver.url)
    division, location = org
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
            raise RuntimeError("the change fails after the event was written")
    assert OutboxEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert Opening.objects.count() == 0


def test_a_refused_write_emits_nothing(api_as, poster, org, receiver):
    subscribe(receiver.url)
    division, location = org
    response = api_as(poster).post(
        "/api/v1/openings/", opening_body(division, location, visibility="everyone"), format="json"
    )
    assert response.status_code == 400
    assert OutboxEvent.objects.count() == 0


def test_deliveries_wait_for_the_commit(receiver, poster, org, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    division, location = org
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    assert receiver.requests == []  # nothing is sent before the transaction commits
    assert len(callbacks) == 1


def event_types():
    return list(OutboxEvent.objects.order_by("created_at").values_list("type", flat=True))


def test_the_opening_events(poster, hr, org):
    division, location = org
    opening = opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    opening_update(opening=opening, by=poster, title="T, revised")
    opening_set_status(opening=opening, by=poster, status="open")
    opening_update(opening=opening, by=hr, title="T, final", status="closed")
    assert event_types() == ["opening.created", "opening.updated", "opening.updated", "opening.closed"]
    closed = OutboxEvent.objects.get(type="opening.closed")
    assert closed.payload["title"] == "T, final" and closed.payload["status"] == "closed"


def test_openings_closing_by_date_emit_closed(poster):
    expired = OpeningFactory(posted_by=poster, closes_on=timezone.localdate() - timedelta(days=1))
    OpeningFactory(posted_by=poster, closes_on=timezone.localdate() + timedelta(days=1))
    assert openings_close_expired() == 1
    assert [(e.type, e.payload["id"]) for e in OutboxEvent.objects.all()] == [("opening.closed", expired.pk)]


def test_deactivation_emits_employee_deactivated(db):
    employee = UserFactory(employee_id="E1")
    employee_deactivate(employee=employee)
    event = OutboxEvent.objects.get()
    assert event.type == "employee.deactivated"
    assert event.payload["employee_id"] == "E1" and event.payload["is_active"] is False


def test_emit_refuses_unknown_types(db):
    with pytest.raises(ValueError):
        emit("opening.exploded", {})


# --- The webhooks API and admin -----------------------------------------------------------------


def test_webhook_api_needs_the_scopes(service_api, api_as, stranger, hr):
    body = {"url": "https://ats.example.com/hook", "events": ["referral.created"]}
    assert service_api("hr:read").post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert api_as(stranger).post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert api_as(stranger).get("/api/v1/webhooks/").status_code == 403
    assert service_api("hr:write").get("/api/v1/webhooks/").status_code == 403
    # hr:write alone reads no referral: it may not receive them either (test_webhook_scopes.py).
    assert service_api("hr:write").post("/api/v1/webhooks/", body, format="json").status_code == 400
    created = service_api("hr").post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    listed = service_api("hr:read").get("/api/v1/webhooks/")
    assert listed.status_code == 200
    assert [w["url"] for w in listed.json()["results"]] == ["https://ats.example.com/hook"]
    assert "secret" not in listed.json()["results"][0]
    assert api_as(hr).get("/api/v1/webhooks/").status_code == 200
    endpoint_id = created.json()["id"]
    patched = api_as(hr).patch(f"/api/v1/webhooks/{endpoint_id}/", {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert service_api("hr:read").delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 403
    assert service_api("hr:write").delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 204
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://ats.example.com/hook", "events": ["opening.created"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["opening.created"]}, "url"),
        ({"url": "file:///etc/passwd", "events": ["opening.created"]}, "url"),
        ({"url": "https://ats.example.com/hook", "events": ["opening.exploded"]}, "events"),
        ({"url": "https://ats.example.com/hook", "events": []}, "events"),
        ({"url": "https://ats.example.com/hook", "events": "opening.created"}, "events"),
        ({"url": "https://ats.example.com/hook", "events": ["opening.created"], "secret": "mine"}, "secret"),
    ],
)
def test_bad_webhooks_are_refused_and_nothing_is_written(service_api, body, field):
    response = service_api("hr").post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert WebhookEndpoint.objects.count() == 0


def test_the_delivery_log_of_an_endpoint(down_url, service_api, poster, org):
    endpoint = subscribe(down_url)
    division, location = org
    for n in range(3):
        opening_create(posted_by=poster, title=f"T{n}", description="D", division=division, location=location)
    api = service_api("hr:read")
    page = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?page_size=2")
    assert page.status_code == 200
    body = page.json()
    assert len(body["results"]) == 2 and body["next"]
    assert body["results"][0]["event"]["type"] == "opening.created"
    assert {"status", "attempts", "next_attempt_at", "last_response_code", "last_error", "duration_ms"} <= set(
        body["results"][0]
    )
    rest = api.get(body["next"]).json()
    assert len(rest["results"]) == 1
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=sideways").status_code == 400
    assert service_api("hr:write").get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 403


def test_admin_rotates_secrets_and_replays_deliveries(client, hr, receiver, poster, org):
    endpoint = subscribe(receiver.url)
    division, location = org
    opening_create(posted_by=poster, title="T", description="D", division=division, location=location)
    delivery = WebhookDelivery.objects.get()
    client.force_login(hr)

    old = endpoint.secret
    response = client.post(
        "/admin/integrations/webhookendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in response.content.decode()  # shown once, in the message

    response = client.post(
        "/admin/integrations/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]}, follow=True
    )
    assert response.status_code == 200
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    assert client.get(f"/admin/integrations/webhookdelivery/{delivery.pk}/change/").status_code == 200
    assert client.get("/admin/integrations/webhookdelivery/add/").status_code == 403


def test_admin_creates_an_endpoint_and_shows_its_secret_once(client, hr):
    client.force_login(hr)
    response = client.post(
        "/admin/integrations/webhookendpoint/add/",
        {
            "url": "https://ats.example.com/hook",
            "description": "ATS",
            "events": ["opening.created", "referral.created"],
            "is_active": "on",
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == hr
    assert endpoint.events == ["opening.created", "referral.created"]
    assert endpoint.secret in response.content.decode()
    page = client.get(f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page
    refused = client.post(
        "/admin/integrations/webhookendpoint/add/", {"url": "ftp://x.example.com/", "events": ["opening.created"]}
    )
    assert refused.status_code == 200 and WebhookEndpoint.objects.count() == 1
