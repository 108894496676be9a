"""The contract: a valid OpenAPI schema without warnings, one error shape for every status, and the
limits (page size, body size, rate)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.models import Division
from tests.factories import DivisionFactory
from tests.openings.factories import OpeningFactory

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}


def run_manage(*args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.json"
    result = run_manage("spectacular", "--format", "openapi-json", "--file", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(path.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_validates_without_a_single_warning(tmp_path):
    result = run_manage("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        for code in ("400", "401", "403", "404", "429"):
            assert code in responses, f"{method.upper()} {path} does not document {code}"
            assert responses[code]["content"]["application/json"]["schema"]["$ref"].endswith(("/Error", "/BulkError"))
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"
        if method in {"post", "put", "patch"}:
            assert {"409", "422"} <= set(responses)
            assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_every_write_with_a_body_has_a_request_example(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if "requestBody" in operation
        and not any("examples" in media for media in operation["requestBody"]["content"].values())
    ]
    assert missing == []


def test_the_integration_endpoints_are_documented(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}
    assert {
        ("/api/v1/employees/by-employee-id/{employee_id}/", "put"),
        ("/api/v1/employees/bulk/", "post"),
        ("/api/v1/divisions/by-code/{code}/", "put"),
        ("/api/v1/locations/by-code/{code}/", "put"),
        ("/api/v1/audit-events/", "get"),
        ("/api/v1/webhooks/", "post"),
        ("/api/v1/webhooks/{id}/deliveries/", "get"),
        ("/api/v1/webhooks/{id}/rotate-secret/", "post"),
    } <= documented
    fields = schema["components"]["schemas"]["EmployeeRecordRequest"]["properties"]
    assert set(fields) == {
        "email",
        "full_name",
        "title",
        "job_function",
        "division",
        "location",
        "manager_employee_id",
        "is_active",
        "skills",  # issue 18: the HRIS may push skills
    }


# --- One error shape, whatever the status -----------------------------------------------------------


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code:
        assert body["code"] == code
    return body


def test_400_names_the_field(service_api):
    body = assert_error(
        service_api("hr").post("/api/v1/divisions/", {"code": "sales", "name": 7, "colour": "red"}, format="json"),
        400,
        "invalid",
    )
    assert body["fields"]["colour"] == ["Unknown field."]


def test_400_for_malformed_json(service_api):
    assert_error(
        service_api("hr").post("/api/v1/divisions/", "{not json", content_type="application/json"), 400, "parse_error"
    )
    assert Division.objects.count() == 0


def test_401_without_credentials(api, db):
    response = api.get("/api/v1/employees/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_403_for_an_employee_writing_the_directory(api_as, stranger):
    assert_error(
        api_as(stranger).post("/api/v1/divisions/", {"code": "x", "name": "X"}, format="json"), 403, "permission_denied"
    )


def test_404_for_a_hidden_or_missing_object_and_an_unknown_route(api_as, stranger, poster):
    hidden = OpeningFactory(posted_by=poster)
    missing = assert_error(api_as(stranger).get("/api/v1/openings/999999/"), 404, "not_found")
    assert api_as(stranger).get(f"/api/v1/openings/{hidden.pk}/").json() == missing
    assert_error(api_as(stranger).get("/api/v1/no-such-thing/"), 404)


def test_405_for_a_method_the_endpoint_does_not_take(service_api):
    division = DivisionFactory()
    assert_error(service_api("hr").delete(f"/api/v1/divisions/{division.pk}/"), 405, "method_not_allowed")


def test_409_for_a_conflict(api_as, poster, direct):
    body = assert_error(
        api_as(poster).post("/api/v1/connection-requests/", {"to": direct.pk}, format="json"), 409, "conflict"
    )
    assert "to" in body["fields"]


def test_422_for_a_reused_idempotency_key(service_api):
    api = service_api("hr")
    api.post("/api/v1/divisions/", {"code": "a", "name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    body = assert_error(
        api.post("/api/v1/divisions/", {"code": "b", "name": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="k"), 422
    )
    assert "Idempotency-Key" in body["fields"]


def test_413_for_an_oversized_body(service_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"employee_id": f"E{n}", "email": f"{n}@example.com", "full_name": "x" * 40} for n in range(50)]
    response = service_api("hr").post("/api/v1/employees/bulk/", rows, format="json")
    body = assert_error(response, 413, "request_too_large")
    assert body["fields"]["non_field_errors"]
    from accounts.models import User

    assert User.objects.count() == 0
    assert len(json.dumps(rows)) > django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_429_with_retry_after_per_token(service_api, settings):
    cache.clear()
    settings.API_RATE_PER_MINUTE = 3
    api = service_api("hr:read")
    # Inside one fixed window: a new minute starting between the requests would reset the budget.
    minute = int(time.time() // 60 + 1) * 60 + 10
    with time_machine.travel(minute, tick=False):
        for _ in range(3):
            assert api.get("/api/v1/divisions/").status_code == 200
        response = api.get("/api/v1/divisions/")
        body = assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) == 50
        assert "seconds" in body["detail"]
        # The budget is per token: another token of the same system is not throttled.
        assert service_api("hr:read").get("/api/v1/divisions/").status_code == 200
    cache.clear()


# --- Page size --------------------------------------------------------------------------------------


def test_page_size_is_capped_at_200(service_api):
    Division.objects.bulk_create([Division(code=f"d{n}", name=f"D{n}") for n in range(205)])
    api = service_api("hr:read")
    body = api.get("/api/v1/divisions/?page_size=1000").json()
    assert len(body["results"]) == 200 and body["next"]
    assert len(api.get("/api/v1/divisions/").json()["results"]) == 50
    assert len(api.get(body["next"]).json()["results"]) == 5
