"""The network in the API: connections, connection requests and suggestions."""

import pytest

from accounts import network
from accounts.models import Connection, ConnectionRequest
from tests.factories import UserFactory

Status = ConnectionRequest.Status
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


def snapshot():
    """Everything the network stores, to check that a refused call changed nothing."""
    return (
        sorted(ConnectionRequest.objects.values_list("pk", "sender_id", "recipient_id", "status")),
        sorted(Connection.objects.values_list("from_user_id", "to_user_id")),
    )


# --- Who may call -------------------------------------------------------------------------------

URLS = [
    ("get", "/api/v1/connections/"),
    ("delete", "/api/v1/connections/1/"),
    ("get", "/api/v1/connection-requests/"),
    ("post", "/api/v1/connection-requests/"),
    ("post", "/api/v1/connection-requests/1/accept/"),
    ("post", "/api/v1/connection-requests/1/decline/"),
    ("post", "/api/v1/connection-requests/1/withdraw/"),
    ("get", "/api/v1/suggestions/"),
]


@pytest.mark.parametrize("method,url", URLS)
def test_anonymous_gets_401(api, db, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("method,url", URLS)
def test_service_tokens_get_403(hr_service_api, method, url):
    response = getattr(hr_service_api, method)(url, {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


# --- Connections --------------------------------------------------------------------------------


def test_connections_are_the_callers_active_connections_as_employees(api_as, cast):
    body = api_as(cast["poster"]).get("/api/v1/connections/").json()
    assert body["next"] is None
    [employee] = body["results"]
    assert employee["id"] == cast["direct"].pk and employee["email"] == "direct@example.com"
    assert {"full_name", "title", "job_function", "division", "location"} <= set(employee)


def test_connections_are_cursor_paginated(api_as, poster):
    from tests.factories import connect

    for person in UserFactory.create_batch(3):
        connect(poster, person)
    first = api_as(poster).get("/api/v1/connections/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api_as(poster).get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_delete_a_connection(api_as, poster, direct):
    response = api_as(poster).delete(f"/api/v1/connections/{direct.pk}/")
    assert response.status_code == 204
    assert not Connection.objects.filter(from_user__in=[poster, direct], to_user__in=[poster, direct]).exists()


@pytest.mark.parametrize("other", ["stranger", "former", "missing", "self"])
def test_delete_someone_not_connected_is_404_and_changes_nothing(api_as, cast, other):
    pk = 987654 if other == "missing" else cast["poster" if other == "self" else other].pk
    before = snapshot()
    response = api_as(cast["poster"]).delete(f"/api/v1/connections/{pk}/")
    assert response.status_code == 404 and response.json() == NOT_FOUND
    assert snapshot() == before


# --- Connection requests ------------------------------------------------------------------------


def test_send_a_request(api_as, poster, stranger):
    response = api_as(poster).post("/api/v1/connection-requests/", {"to": stranger.pk, "message": "Hi"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["message"] == "Hi"
    assert body["sender"]["id"] == poster.pk and body["recipient"]["id"] == stranger.pk
    assert ConnectionRequest.objects.get().pk == body["id"]


def test_send_back_accepts_theirs_with_200(api_as, poster, stranger):
    theirs = network.connection_request_send(sender=stranger, recipient=poster)
    response = api_as(poster).post("/api/v1/connection-requests/", {"to": stranger.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == theirs.pk and response.json()["status"] == "accepted"
    assert network.are_connected(poster, stranger)


@pytest.mark.parametrize(
    "case,status_code,code,field",
    [
        ("unknown", 400, "invalid", "to"),
        ("leaver", 400, "invalid", "to"),
        ("not_a_number", 400, "invalid", "to"),
        ("missing_to", 400, "invalid", "to"),
        ("unknown_field", 400, "invalid", "recipient"),
        ("too_long", 400, "invalid", "message"),
        ("self", 400, "invalid", "to"),
        ("connected", 409, "conflict", "to"),
        ("duplicate", 409, "conflict", "to"),
        ("cooldown", 409, "cooldown", "to"),
        ("limit", 429, "limit_reached", "to"),
    ],
)
def test_refused_requests_answer_4xx_and_change_nothing(api_as, cast, settings, case, status_code, code, field):
    poster, stranger = cast["poster"], cast["stranger"]
    data = {"to": stranger.pk}
    if case == "unknown":
        data = {"to": 987654}
    elif case == "leaver":
        data = {"to": cast["former"].pk}
    elif case == "not_a_number":
        data = {"to": "stella"}
    elif case == "missing_to":
        data = {"message": "hi"}
    elif case == "unknown_field":
        data = {"recipient": stranger.pk}
    elif case == "too_long":
        data["message"] = "x" * 301
    elif case == "self":
        data = {"to": poster.pk}
    elif case == "connected":
        data = {"to": cast["direct"].pk}
    elif case == "duplicate":
        network.connection_request_send(sender=poster, recipient=stranger)
    elif case == "cooldown":
        network.connection_request_decline(
            request_obj=network.connection_request_send(sender=poster, recipient=stranger), by=stranger
        )
    elif case == "limit":
        settings.CONNECTION_REQUESTS_PER_DAY = 1
        network.connection_request_send(sender=poster, recipient=cast["hr"])
    before = snapshot()
    response = api_as(poster).post("/api/v1/connection-requests/", data, format="json")
    assert response.status_code == status_code
    body = response.json()
    assert body["code"] == code and set(body) == {"code", "detail", "fields"}
    assert field in body["fields"]
    assert snapshot() == before


def test_the_limit_message_is_clear(api_as, poster, stranger, settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 0
    detail = api_as(poster).post("/api/v1/connection-requests/", {"to": stranger.pk}, format="json").json()["detail"]
    assert (
        detail
        == "You have sent 0 connection requests in the last 24 hours, the daily limit. Please try again tomorrow."
    )


def test_list_requests_by_direction(api_as, poster, stranger, hr):
    incoming = network.connection_request_send(sender=stranger, recipient=poster)
    outgoing = network.connection_request_send(sender=poster, recipient=hr)
    api = api_as(poster)

    def ids(query=""):
        return [r["id"] for r in api.get(f"/api/v1/connection-requests/{query}").json()["results"]]

    assert sorted(ids()) == sorted([incoming.pk, outgoing.pk])
    assert ids("?direction=incoming") == [incoming.pk]
    assert ids("?direction=outgoing") == [outgoing.pk]
    assert api.get("/api/v1/connection-requests/?direction=sideways").status_code == 400


def test_list_shows_pending_by_default_and_others_by_status(api_as, poster, stranger, hr):
    declined = network.connection_request_send(sender=poster, recipient=stranger)
    network.connection_request_decline(request_obj=declined, by=stranger)
    api = api_as(poster)
    assert api.get("/api/v1/connection-requests/").json()["results"] == []
    assert [r["id"] for r in api.get("/api/v1/connection-requests/?status=declined").json()["results"]] == [declined.pk]


def test_list_hides_other_peoples_and_leavers_requests(api_as, cast):
    network.connection_request_send(sender=cast["stranger"], recipient=cast["hr"])
    ConnectionRequest.objects.create(sender=cast["former"], recipient=cast["poster"])
    assert api_as(cast["poster"]).get("/api/v1/connection-requests/").json()["results"] == []


def test_retrieve_is_for_the_two_parties(api_as, poster, stranger, hr):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    assert api_as(poster).get(f"/api/v1/connection-requests/{request_obj.pk}/").status_code == 200
    assert api_as(stranger).get(f"/api/v1/connection-requests/{request_obj.pk}/").status_code == 200
    response = api_as(hr).get(f"/api/v1/connection-requests/{request_obj.pk}/")
    assert response.status_code == 404 and response.json() == NOT_FOUND


def test_accept(api_as, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    response = api_as(stranger).post(f"/api/v1/connection-requests/{request_obj.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert response.json()["responded_at"]
    assert [e["id"] for e in api_as(poster).get("/api/v1/connections/").json()["results"]] == [stranger.pk]


def test_decline(api_as, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    response = api_as(stranger).post(f"/api/v1/connection-requests/{request_obj.pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not network.are_connected(poster, stranger)


def test_withdraw(api_as, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    response = api_as(poster).post(f"/api/v1/connection-requests/{request_obj.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    "action,actor",
    [
        ("accept", "sender"),
        ("accept", "third"),
        ("decline", "sender"),
        ("decline", "third"),
        ("withdraw", "recipient"),
        ("withdraw", "third"),
    ],
)
def test_someone_elses_request_is_404_like_a_missing_one(api_as, poster, stranger, hr, action, actor):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    by = {"sender": poster, "recipient": stranger, "third": hr}[actor]
    before = snapshot()
    response = api_as(by).post(f"/api/v1/connection-requests/{request_obj.pk}/{action}/")
    missing = api_as(by).post(f"/api/v1/connection-requests/987654/{action}/")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() == NOT_FOUND
    assert snapshot() == before


def test_answering_twice_is_409(api_as, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    api = api_as(stranger)
    api.post(f"/api/v1/connection-requests/{request_obj.pk}/decline/")
    before = snapshot()
    response = api.post(f"/api/v1/connection-requests/{request_obj.pk}/accept/")
    assert response.status_code == 409
    assert response.json()["detail"] == "You cannot accept this request: it was already declined."
    assert snapshot() == before


# --- Suggestions --------------------------------------------------------------------------------


def test_suggestions(api_as, cast):
    body = api_as(cast["poster"]).get("/api/v1/suggestions/").json()
    assert body["next"] is None
    by_id = {s["employee"]["id"]: s for s in body["results"]}
    assert cast["second"].pk in by_id
    second = by_id[cast["second"].pk]
    assert second["mutual_connections"] == 1 and second["reason"].endswith("1 mutual connection")
    assert set(second) == {"employee", "reason", "mutual_connections", "same_function", "met_at"}
    assert second["met_at"] is None  # a friend of a friend, not met at an event
    assert cast["direct"].pk not in by_id and cast["former"].pk not in by_id and cast["poster"].pk not in by_id


def test_schema_documents_the_network(api, db):
    schema = api.get("/api/schema/?format=json").json()
    for path in [
        "/api/v1/connections/",
        "/api/v1/connections/{id}/",
        "/api/v1/connection-requests/",
        "/api/v1/connection-requests/{id}/accept/",
        "/api/v1/connection-requests/{id}/decline/",
        "/api/v1/connection-requests/{id}/withdraw/",
        "/api/v1/suggestions/",
    ]:
        assert path in schema["paths"]
