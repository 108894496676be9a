"""The audit log: every successful API write leaves one row, readable only by HR."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import AuditEvent
from tests.factories import DivisionFactory, UserFactory
from tests.openings.factories import OpeningFactory


def test_an_update_records_who_and_the_diff(service_api, db):
    api = service_api("hr")
    employee = UserFactory(title="Analyst", job_function="Data")
    response = api.patch(
        f"/api/v1/employees/{employee.pk}/", {"title": "Lead Analyst"}, format="json", HTTP_X_REQUEST_ID="req-42"
    )
    assert response.status_code == 200
    assert response["X-Request-Id"] == "req-42"
    event = AuditEvent.objects.get()
    assert event.action == "employee.update"
    assert (event.object_type, event.object_id) == ("employee", str(employee.pk))
    assert event.changes == {"title": ["Analyst", "Lead Analyst"]}
    assert (event.method, event.path, event.status_code) == ("PATCH", f"/api/v1/employees/{employee.pk}/", 200)
    assert event.service_account == api.service_account
    assert event.token == api.token
    assert event.actor is None
    assert event.actor_label == "service:HRIS"
    assert event.request_id == "req-42"


def test_a_create_records_the_payload_and_the_new_id(api_as, hr):
    response = api_as(hr).post("/api/v1/divisions/", {"code": "sales", "name": "Sales"}, format="json")
    event = AuditEvent.objects.get()
    assert event.action == "division.create"
    assert event.object_id == str(response.json()["id"])
    assert event.changes == {"code": "sales", "name": "Sales"}
    assert event.actor == hr and event.token is not None
    assert len(event.request_id) == 32  # generated when the caller sends none


def test_a_delete_records_what_was_deleted(api_as, poster):
    opening = OpeningFactory(posted_by=poster, title="Gone soon")
    assert api_as(poster).delete(f"/api/v1/openings/{opening.pk}/").status_code == 204
    event = AuditEvent.objects.get()
    assert event.action == "opening.delete"
    assert event.changes["title"] == ["Gone soon", None]


def test_a_portal_session_write_is_recorded_with_the_employee(client, hr):
    client.force_login(hr)
    division = DivisionFactory(name="Old")
    response = client.patch(f"/api/v1/divisions/{division.pk}/", {"name": "New"}, content_type="application/json")
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.actor == hr and event.token is None
    assert event.changes == {"name": ["Old", "New"]}


def test_custom_actions_and_secrets(service_api, db):
    api = service_api("hr")
    created = api.post(
        "/api/v1/webhooks/", {"url": "https://ats.example.com/h", "events": ["opening.created"]}, format="json"
    )
    api.post(f"/api/v1/webhooks/{created.json()['id']}/rotate-secret/")
    create_event, rotate_event = AuditEvent.objects.order_by("id")
    assert create_event.action == "webhook.create"
    assert rotate_event.action == "webhook.rotate_secret"
    assert created.json()["secret"] not in str(create_event.changes) + str(rotate_event.changes)


def test_refused_writes_and_reads_record_nothing(service_api, api_as, stranger):
    division = DivisionFactory()
    api_as(stranger).patch(f"/api/v1/divisions/{division.pk}/", {"name": "X"}, format="json")  # 403
    service_api("hr").post("/api/v1/divisions/", {"code": "bad code"}, format="json")  # 400
    service_api("hr").get("/api/v1/divisions/")
    assert AuditEvent.objects.count() == 0


def test_the_audit_log_is_for_hr_only(service_api, api_as, hr, stranger):
    DivisionFactory()
    service_api("hr").post("/api/v1/divisions/", {"code": "sales", "name": "Sales"}, format="json")
    assert service_api("hr:read").get("/api/v1/audit-events/").status_code == 200
    assert api_as(hr).get("/api/v1/audit-events/").status_code == 200
    assert service_api("hr:write").get("/api/v1/audit-events/").status_code == 403
    assert api_as(stranger).get("/api/v1/audit-events/").status_code == 403
    event = AuditEvent.objects.get()
    assert api_as(stranger).get(f"/api/v1/audit-events/{event.pk}/").status_code == 403
    detail = service_api("hr:read").get(f"/api/v1/audit-events/{event.pk}/").json()
    assert detail["action"] == "division.create" and detail["service_account"] == "HRIS"
    assert detail["token"].startswith("rb_")


def test_audit_log_filters_and_pages(service_api, api_as, hr):
    api_as(hr).post("/api/v1/divisions/", {"code": "a", "name": "A"}, format="json")
    hris = service_api("hr")
    for code in ("b", "c", "d"):
        hris.post("/api/v1/locations/", {"code": code, "name": code.upper()}, format="json")
    AuditEvent.objects.filter(changes__code="b").update(at=timezone.now() - timedelta(days=3))
    reader = service_api("hr:read", name="Auditor")

    def results(query):
        response = reader.get(f"/api/v1/audit-events/{query}")
        assert response.status_code == 200, response.json()
        return response.json()

    assert [e["action"] for e in results(f"?actor={hr.pk}")["results"]] == ["division.create"]
    assert len(results("?action=location.create")["results"]) == 3
    assert len(results("?service_account=HRIS")["results"]) == 3
    since = (timezone.now() - timedelta(days=1)).isoformat()
    from urllib.parse import quote

    assert {e["changes"]["code"] for e in results(f"?since={quote(since)}")["results"]} == {"a", "c", "d"}
    page = results("?page_size=3")
    assert len(page["results"]) == 3 and page["next"]
    assert [e["id"] for e in page["results"]] == sorted(
        (e["id"] for e in page["results"]), reverse=True
    )  # newest first
    assert reader.get("/api/v1/audit-events/?since=yesterday").status_code == 400


def test_the_admin_shows_the_log_read_only(client, hr, service_api):
    service_api("hr").post("/api/v1/divisions/", {"code": "sales", "name": "Sales"}, format="json")
    event = AuditEvent.objects.get()
    client.force_login(hr)
    assert client.get("/admin/integrations/auditevent/").status_code == 200
    assert client.get(f"/admin/integrations/auditevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/integrations/auditevent/add/").status_code == 403
    assert client.post(f"/admin/integrations/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_outside_the_api_are_not_audited(client, hr, method):
    client.force_login(hr)
    getattr(client, method)("/settings/")
    assert AuditEvent.objects.count() == 0


def test_network_writes_are_audited_too(api_as, poster):
    other = UserFactory()
    response = api_as(poster).post("/api/v1/connection-requests/", {"to": other.pk}, format="json")
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    api_as(other).post(f"/api/v1/connection-requests/{request_id}/accept/")
    create_event, accept_event = AuditEvent.objects.order_by("id")
    assert create_event.action == "connection_request.create"
    assert accept_event.action == "connection_request.accept"
    assert accept_event.changes["status"] == ["pending", "accepted"]
    assert accept_event.actor == other
