"""Service accounts and scopes, the admin that issues their tokens, and the ATS pushing referral
status through the portal's own transition rules."""

import re

import pytest

from accounts.models import ApiToken, ServiceAccount
from integrations import webhooks
from integrations.models import OutboxEvent, WebhookDelivery
from referrals.models import Referral, ReferralEvent
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.integrations.conftest import verify_signature
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

# --- Scopes: reads need hr:read, writes hr:write -----------------------------------------------------


def test_scopes_on_the_directory(service_api, db):
    employee = UserFactory()
    reader, writer, both = service_api("hr:read"), service_api("hr:write"), service_api("hr")
    assert reader.get("/api/v1/employees/").status_code == 200
    assert reader.get("/api/v1/divisions/").status_code == 200
    assert reader.patch(f"/api/v1/employees/{employee.pk}/", {"title": "X"}, format="json").status_code == 403
    assert reader.post("/api/v1/divisions/", {"code": "x", "name": "X"}, format="json").status_code == 403
    assert writer.get("/api/v1/employees/").status_code == 403
    assert writer.get("/api/v1/locations/").status_code == 403
    assert writer.patch(f"/api/v1/employees/{employee.pk}/", {"title": "X"}, format="json").status_code == 200
    assert writer.post("/api/v1/divisions/", {"code": "x", "name": "X"}, format="json").status_code == 201
    assert both.get("/api/v1/employees/").status_code == 200
    assert both.put("/api/v1/locations/by-code/oslo/", {"name": "Oslo"}, format="json").status_code == 201


def test_a_service_token_is_not_an_employee(service_api, db):
    assert service_api("hr").get("/api/v1/me/").status_code == 403


# --- The ATS pushes referral status ----------------------------------------------------------------


@pytest.fixture
def referral(poster):
    return ReferralFactory(opening=OpeningFactory(posted_by=poster))


def move(api, referral, body, **headers):
    return api.patch(f"/api/v1/referrals/{referral.pk}/", body, format="json", **headers)


def test_the_ats_moves_a_referral_along_the_pipeline(
    service_api, referral, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhooks.endpoint_create(url=receiver.url, events=["referral.status_changed"])
    ats = service_api("hr", name="ATS")
    with django_capture_on_commit_callbacks(execute=True):
        response = move(ats, referral, {"status": "in_review"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_review"
    event = ReferralEvent.objects.filter(referral=referral).latest("id")
    assert (event.from_status, event.to_status, event.by, event.by_service) == ("submitted", "in_review", None, "ATS")

    sent = receiver.requests[-1]
    assert verify_signature(endpoint.secret, sent["headers"], sent["body"])
    data = receiver.json()["data"]
    assert (data["id"], data["status"], data["previous_status"]) == (referral.pk, "in_review", "submitted")
    assert "candidate_email" not in data and "candidate_name" not in data  # no personal data in the outbox


def test_the_ats_follows_the_same_transition_rules(service_api, referral):
    ats = service_api("hr", name="ATS")
    response = move(ats, referral, {"status": "hired"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    response = move(ats, referral, {"status": "declined"})
    assert response.status_code == 400 and "decline_reason" in response.json()["fields"]
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert not OutboxEvent.objects.filter(type="referral.status_changed").exists()
    assert move(ats, referral, {"status": "declined", "decline_reason": "Role filled."}).status_code == 200


def test_reading_is_not_moving(service_api, referral):
    assert move(service_api("hr:read"), referral, {"status": "in_review"}).status_code == 403
    # Moving needs seeing: a write-only token cannot find the referral at all.
    assert move(service_api("hr:write"), referral, {"status": "in_review"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED


def test_a_retried_status_update_with_a_key_is_answered_once(service_api, referral):
    ats = service_api("hr", name="ATS")
    first = move(ats, referral, {"status": "in_review"}, HTTP_IDEMPOTENCY_KEY="ats-move-1")
    retry = move(ats, referral, {"status": "in_review"}, HTTP_IDEMPOTENCY_KEY="ats-move-1")
    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert ReferralEvent.objects.filter(referral=referral, to_status="in_review").count() == 1
    # Without a key, the same move again is an illegal transition.
    assert move(ats, referral, {"status": "in_review"}).status_code == 400


def test_a_new_referral_emits_referral_created(api_as, direct, poster, receiver, django_capture_on_commit_callbacks):
    webhooks.endpoint_create(url=receiver.url, events=["referral.created"])
    opening = OpeningFactory(posted_by=poster, visibility="company")
    body = {
        "opening": opening.pk,
        "candidate_name": "Ada Lovelace",
        "candidate_email": "ada@example.org",
        "consent_confirmed": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(direct).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.json()
    assert receiver.json()["type"] == "referral.created"
    assert receiver.json()["data"]["opening"] == opening.pk
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
    # A refused duplicate emits nothing.
    api_as(direct).post("/api/v1/referrals/", body, format="json")
    assert OutboxEvent.objects.filter(type="referral.created").count() == 1


# --- The admin issues and revokes service tokens ------------------------------------------------------


def test_hr_creates_a_service_account_and_issues_a_token_once(client, hr, api):
    client.force_login(hr)
    response = client.post(
        "/admin/accounts/serviceaccount/add/", {"name": "Workday", "description": "HRIS", "is_active": "on"}
    )
    assert response.status_code == 302
    account = ServiceAccount.objects.get(name="Workday")

    response = client.post(
        "/admin/accounts/serviceaccount/",
        {"action": "issue_token_hr_read", "_selected_action": [account.pk]},
        follow=True,
    )
    page = response.content.decode()
    plain = re.search(r"(rb_[A-Za-z0-9_-]{20,})", page).group(1)
    token = ApiToken.objects.get(service_account=account)
    assert token.scope == "hr:read"
    assert token.key_hash == ApiToken.hash_key(plain) and plain not in token.key_hash
    assert plain not in client.get("/admin/accounts/serviceaccount/").content.decode()  # shown once
    assert plain not in client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()

    reader = bearer(api, plain)
    assert reader.get("/api/v1/employees/").status_code == 200
    assert reader.post("/api/v1/divisions/", {"code": "x", "name": "X"}, format="json").status_code == 403

    client.post("/admin/accounts/apitoken/", {"action": "revoke_selected", "_selected_action": [token.pk]}, follow=True)
    assert reader.get("/api/v1/employees/").status_code == 401


def test_an_employee_without_hr_cannot_issue_tokens(client, db):
    clerk = UserFactory(is_staff=True)
    account = ServiceAccount.objects.create(name="ATS")
    client.force_login(clerk)
    client.post("/admin/accounts/serviceaccount/", {"action": "issue_token_hr", "_selected_action": [account.pk]})
    assert ApiToken.objects.count() == 0
