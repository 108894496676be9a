"""The events API: list with `updated_since` and cursors, POST by kind and caller, idempotent PUT
by external id, the attendee list's PUT (all or nothing), and the audit rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Attendance, Event
from integrations.models import AuditEvent
from tests.events.factories import EventFactory, attend
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

START = "2026-11-12T09:00:00Z"
END = "2026-11-12T17:00:00Z"


def training(**extra):
    return {
        "title": "Leadership Training",
        "kind": "training",
        "starts_at": START,
        "ends_at": END,
        "online": True,
        **extra,
    }


def test_list_pages_and_updated_since(hr_service_api):
    old = EventFactory()
    Event.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    recent = [EventFactory() for _ in range(3)]
    page = hr_service_api.get("/api/v1/events/", {"page_size": 2}).json()
    assert [e["id"] for e in page["results"]] == [old.pk, recent[0].pk] and page["next"]
    rest = hr_service_api.get(page["next"]).json()
    assert [e["id"] for e in rest["results"]] == [recent[1].pk, recent[2].pk] and rest["next"] is None
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [e["id"] for e in hr_service_api.get("/api/v1/events/", {"updated_since": since}).json()["results"]] == [
        e.pk for e in recent
    ]
    bad = hr_service_api.get("/api/v1/events/", {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["fields"]


def test_an_attendee_list_change_counts_as_a_change_of_its_event(hr_service_api, direct):
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert hr_service_api.get("/api/v1/events/", {"updated_since": since}).json()["results"] == []
    assert (
        hr_service_api.put(
            f"/api/v1/events/{event.pk}/attendees/", {"employees": [direct.pk]}, format="json"
        ).status_code
        == 200
    )
    assert len(hr_service_api.get("/api/v1/events/", {"updated_since": since}).json()["results"]) == 1


def test_scope_hr_posts_a_training(hr_service_api):
    response = hr_service_api.post(
        "/api/v1/events/", training(location=LocationFactory(code="berlin").code), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "training" and body["organiser"] is None and body["location"] == "berlin"
    assert AuditEvent.objects.get().action == "event.create"


def test_an_employee_posts_a_meetup_but_not_a_training(api_as, stranger):
    api = api_as(stranger)
    refused = api.post("/api/v1/events/", training(), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    created = api.post("/api/v1/events/", training(kind="meetup"), format="json")
    assert created.status_code == 201 and created.json()["organiser"] == stranger.pk
    assert Event.objects.count() == 1


def test_end_before_start_is_a_400_on_ends_at(hr_service_api):
    response = hr_service_api.post("/api/v1/events/", training(ends_at="2026-11-12T08:00:00Z"), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"ends_at": ["The end must be at or after the start."]}
    assert not Event.objects.exists() and not AuditEvent.objects.exists()


def test_unknown_fields_are_refused(hr_service_api):
    response = hr_service_api.post("/api/v1/events/", training(attendees=[1]), format="json")
    assert response.status_code == 400 and "attendees" in response.json()["fields"]


@pytest.mark.parametrize("scope", ["hr:read", "hr:write"])
def test_reads_and_writes_need_the_right_scope(api, scope):
    from accounts.models import ServiceAccount
    from accounts.services import token_issue
    from tests.conftest import bearer

    _, plain = token_issue(service_account=ServiceAccount.objects.create(name="Other"), scope=scope)
    client = bearer(api, plain)
    assert client.get("/api/v1/events/").status_code == (200 if scope == "hr:read" else 403)
    assert client.post("/api/v1/events/", training(), format="json").status_code == 403
    assert client.put("/api/v1/events/by-external-id/X/", training(), format="json").status_code == 403
    assert not Event.objects.exists()


def test_no_credentials_is_401(api):
    assert api.get("/api/v1/events/").status_code == 401


# --- PUT by external id ---------------------------------------------------------------------------


def test_put_by_external_id_is_idempotent(hr_service_api):
    first = hr_service_api.put("/api/v1/events/by-external-id/LMS-42/", training(), format="json")
    assert first.status_code == 201, first.json()
    again = hr_service_api.put("/api/v1/events/by-external-id/LMS-42/", training(), format="json")
    assert again.status_code == 200 and again.json() == first.json()
    assert Event.objects.count() == 1
    # Every successful API write is audited (the middleware's rule): the second one records no change.
    audits = list(AuditEvent.objects.order_by("id").values_list("action", "changes"))
    assert [a for a, _ in audits] == ["event.create", "event.update"] and audits[1][1] == {}
    renamed = hr_service_api.put(
        "/api/v1/events/by-external-id/LMS-42/", {"title": "Leadership, Berlin"}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Leadership, Berlin"
    assert renamed.json()["starts_at"] == first.json()["starts_at"]  # fields left out keep their value
    assert AuditEvent.objects.order_by("-id").first().changes == {
        "title": ["Leadership Training", "Leadership, Berlin"]
    }


def test_put_by_external_id_needs_the_fields_to_create(hr_service_api):
    response = hr_service_api.put("/api/v1/events/by-external-id/LMS-1/", {"title": "Only a title"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"kind", "starts_at", "ends_at"}
    assert not Event.objects.exists()


def test_put_by_external_id_refuses_an_end_before_the_start(hr_service_api):
    hr_service_api.put("/api/v1/events/by-external-id/LMS-1/", training(), format="json")
    response = hr_service_api.put(
        "/api/v1/events/by-external-id/LMS-1/", {"ends_at": "2026-11-11T08:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "ends_at" in response.json()["fields"]
    assert Event.objects.get().ends_at.isoformat().startswith("2026-11-12T17:00")


def test_an_employee_cannot_sync(api_as, poster):
    assert api_as(poster).put("/api/v1/events/by-external-id/X/", training(), format="json").status_code == 403


# --- The attendee list ----------------------------------------------------------------------------


def test_hr_replaces_the_attendee_list(hr_service_api, poster, direct, second):
    event = EventFactory(organiser=poster)
    attend(event, second)
    response = hr_service_api.put(
        f"/api/v1/events/{event.pk}/attendees/", {"employees": [direct.pk, poster.pk]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"added": sorted([direct.pk, poster.pk]), "removed": [second.pk]}
    assert set(Attendance.objects.values_list("employee_id", "how")) == {
        (direct.pk, "imported"),
        (poster.pk, "imported"),
    }
    audit = AuditEvent.objects.get()
    assert audit.action == "event.attendees_replace" and audit.object_id == str(event.pk)


def test_the_organiser_replaces_it_with_a_personal_token(api_as, poster, direct):
    event = EventFactory(organiser=poster)
    response = api_as(poster).put(f"/api/v1/events/{event.pk}/attendees/", {"employees": [direct.pk]}, format="json")
    assert response.status_code == 200
    assert Attendance.objects.get().how == "organiser"


def test_an_attendee_may_read_but_not_replace_the_list(api_as, poster, direct):
    event = EventFactory(organiser=poster)
    attend(event, direct)
    response = api_as(direct).put(f"/api/v1/events/{event.pk}/attendees/", {"employees": []}, format="json")
    assert response.status_code == 403
    assert Attendance.objects.count() == 1


def test_a_stranger_gets_404_on_replace(api_as, poster, stranger):
    event = EventFactory(organiser=poster)
    response = api_as(stranger).put(
        f"/api/v1/events/{event.pk}/attendees/", {"employees": [stranger.pk]}, format="json"
    )
    assert response.status_code == 404 and not Attendance.objects.exists()


@pytest.mark.parametrize(
    "ids, message",
    [
        (lambda d, f: [d.pk, 987654, 987655], "Unknown employee ids: 987654, 987655."),
        (lambda d, f: [d.pk, d.pk], "Each employee only once; repeated: {d}."),
        (lambda d, f: [d.pk, f.pk], "Deactivated employees cannot attend: {f}."),
        (lambda d, f: ["x"], None),
    ],
)
def test_a_bad_list_is_refused_whole_and_nothing_is_written(hr_service_api, poster, direct, former, ids, message):
    event = EventFactory(organiser=poster)
    attend(event, poster)
    response = hr_service_api.put(
        f"/api/v1/events/{event.pk}/attendees/", {"employees": ids(direct, former)}, format="json"
    )
    assert response.status_code == 400
    if message:
        assert response.json()["fields"]["employees"] == [message.format(d=direct.pk, f=former.pk)]
    assert list(Attendance.objects.values_list("employee_id", flat=True)) == [poster.pk]
    assert not AuditEvent.objects.exists()


def test_the_attendee_list_pages(hr_service_api):
    event = EventFactory()
    attend(event, *[UserFactory() for _ in range(5)])
    page = hr_service_api.get(f"/api/v1/events/{event.pk}/attendees/", {"page_size": 3}).json()
    assert len(page["results"]) == 3 and page["next"]
    assert len(hr_service_api.get(page["next"]).json()["results"]) == 2


def test_list_queries_are_constant(hr_service_api, django_assert_max_num_queries):
    for size in (3, 30):
        for _ in range(size):
            EventFactory()
        with django_assert_max_num_queries(12):
            assert hr_service_api.get("/api/v1/events/", {"page_size": 200}).status_code == 200
