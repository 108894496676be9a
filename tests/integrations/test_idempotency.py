"""Idempotency-Key: a retried write does its work once; a reused key with another body is refused."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Division, User
from accounts.services import token_issue
from integrations.idempotency import idempotency_prune
from integrations.models import AuditEvent, IdempotencyRecord, OutboxEvent
from openings.models import Opening
from tests.conftest import bearer
from tests.factories import DivisionFactory, LocationFactory


def post(api, path, body, key):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_replays_the_first_answer(service_api):
    api = service_api("hr")
    first = post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "key-1")
    assert first.status_code == 201
    second = post(api, "/api/v1/divisions/", {"name": "Sales", "code": "sales"}, "key-1")  # same body, other key order
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Division.objects.count() == 1
    assert AuditEvent.objects.count() == 1  # the work, and its audit row, happened once


def test_the_same_key_with_another_body_is_refused(service_api):
    api = service_api("hr")
    post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "key-1")
    response = post(api, "/api/v1/divisions/", {"code": "ops", "name": "Operations"}, "key-1")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in body["fields"]
    assert list(Division.objects.values_list("code", flat=True)) == ["sales"]
    # Another path with the same key is another request too.
    assert post(api, "/api/v1/locations/", {"code": "sales", "name": "Sales"}, "key-1").status_code == 422


def test_put_and_patch_take_keys_too(service_api):
    api = service_api("hr")
    put = lambda body: api.put(  # noqa: E731
        "/api/v1/employees/by-employee-id/E1/", body, format="json", HTTP_IDEMPOTENCY_KEY="put-1"
    )
    assert put({"email": "a@example.com", "full_name": "A"}).status_code == 201
    replay = put({"email": "a@example.com", "full_name": "A"})
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert put({"email": "a@example.com", "full_name": "B"}).status_code == 422
    assert User.objects.get().full_name == "A"
    employee = User.objects.get()
    patch = lambda: api.patch(  # noqa: E731
        f"/api/v1/employees/{employee.pk}/", {"title": "Boss"}, format="json", HTTP_IDEMPOTENCY_KEY="patch-1"
    )
    assert patch().status_code == 200
    assert patch()["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="employee.update").count() == 1


def test_keys_belong_to_their_caller(service_api, db):
    hris = service_api("hr", name="HRIS")
    ats = service_api("hr", name="ATS")
    assert post(hris, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k").status_code == 201
    assert post(ats, "/api/v1/divisions/", {"code": "ops", "name": "Ops"}, "k").status_code == 201
    # A second token of the same service account is the same caller.
    _, plain = token_issue(service_account=hris.service_account, scope="hr")
    replay = post(bearer(APIClient(), plain), "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k")
    assert replay["Idempotent-Replayed"] == "true"
    assert Division.objects.count() == 2


def test_a_failed_request_does_not_keep_its_key(service_api):
    api = service_api("hr")
    refused = post(api, "/api/v1/divisions/", {"code": "sales"}, "k")
    assert refused.status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    fixed = post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k")
    assert fixed.status_code == 201


def test_keys_are_kept_for_24_hours(service_api):
    api = service_api("hr")
    post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # Past 24 hours the key is forgotten: it runs again (and here fails on the duplicate code).
    again = post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k")
    assert again.status_code == 400
    assert "Idempotent-Replayed" not in again
    post(api, "/api/v1/divisions/", {"code": "ops", "name": "Ops"}, "other")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_prune() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_a_malformed_key_is_refused(service_api):
    response = post(service_api("hr"), "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert Division.objects.count() == 0


def test_unauthenticated_requests_are_refused_as_usual(api, db):
    response = post(api, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "k")
    assert response.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


def test_replays_work_for_employees_too(api_as, poster):
    division, location = DivisionFactory(), LocationFactory()
    body = {
        "title": "T",
        "description": "D",
        "division": division.code,
        "location": location.code,
        "visibility": "company",
    }
    api = api_as(poster)
    first = post(api, "/api/v1/openings/", body, "opening-1")
    second = post(api, "/api/v1/openings/", body, "opening-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Opening.objects.count() == 1
    assert OutboxEvent.objects.count() == 1  # no second opening.created either


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent connections (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_run_once():
    from accounts.models import ServiceAccount

    account = ServiceAccount.objects.create(name="HRIS")
    _, plain = token_issue(service_account=account, scope="hr")
    barrier = threading.Barrier(4)
    answers = []

    def send():
        client = bearer(APIClient(), plain)
        barrier.wait()
        try:
            answers.append(post(client, "/api/v1/divisions/", {"code": "sales", "name": "Sales"}, "same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.get("Idempotent-Replayed") == "true" for a in answers) == 3
    assert Division.objects.count() == 1
    assert AuditEvent.objects.count() == 1
