"""No input answers 500: malformed cursors, dates at the edges of the calendar or with offsets
PostgreSQL does not know, and deeply nested JSON all get a 400 in the API's error shape."""

import base64

import pytest

LISTS = [
    "/api/v1/employees/",
    "/api/v1/openings/",
    "/api/v1/referrals/",
    "/api/v1/divisions/",
    "/api/v1/locations/",
    "/api/v1/audit-events/",
    "/api/v1/webhooks/",
    "/api/v1/connections/",
    "/api/v1/connection-requests/",
]


def cursor(raw):
    return base64.b64encode(raw.encode()).decode()


def assert_error_shape(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    if field:
        assert field in body["fields"], body


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("value", [cursor("p=abc"), cursor("o=1&p=1'"), "not-base64!!", cursor("r=x&p=")])
def test_a_malformed_cursor_is_a_400(api_as, hr, path, value):
    assert_error_shape(api_as(hr).get(path, {"cursor": value}), 400, "cursor")


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/employees/", "updated_since"),
        ("/api/v1/openings/", "updated_since"),
        ("/api/v1/referrals/", "updated_since"),
        ("/api/v1/audit-events/", "since"),
    ],
)
@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"]
)
def test_dates_at_the_edges_of_the_calendar_are_a_400(api_as, hr, path, name, value):
    assert_error_shape(api_as(hr).get(path, {name: value}), 400, name)


@pytest.mark.parametrize(
    "path", ["/api/v1/employees/", "/api/v1/openings/", "/api/v1/referrals/", "/api/v1/audit-events/"]
)
def test_any_offset_is_understood(api_as, hr, path):
    # -23:59 is valid ISO 8601 but no zone PostgreSQL accepts: it is converted to UTC first.
    name = "since" if "audit" in path else "updated_since"
    response = api_as(hr).get(path, {name: "2026-01-01T00:00:00-23:59"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("depth", [40, 3000])
@pytest.mark.parametrize("with_key", [False, True])
def test_deeply_nested_json_is_a_400(api_as, hr, depth, with_key):
    body = "[" * depth + "]" * depth
    headers = {"HTTP_IDEMPOTENCY_KEY": f"deep-{depth}"} if with_key else {}
    response = api_as(hr).generic("POST", "/api/v1/openings/", body, content_type="application/json", **headers)
    assert_error_shape(response, 400)
    assert "nested deeper" in response.json()["detail"]
