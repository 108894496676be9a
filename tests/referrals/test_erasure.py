"""Erased means erased: after a candidate's data is erased, no table holds it. The audit log never
records personal free text (field names, or a salted hash of a candidate's email), stored idempotent
answers that carry it are deleted, and connection-request notes are not logged."""

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from integrations.models import AuditEvent, IdempotencyRecord
from referrals import services
from referrals.models import Referral
from tests.openings.factories import OpeningFactory

EMAIL = "zed.quixote@elsewhere.example.org"
NAME = "Zed Quixote-Erasable"
PHONE = "+49 30 5550199"
WHY = "Built the ledger that never lies"
COMMENT = "Told me about a private matter"
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def rows_holding(text):
    """Every (model, pk) whose text or JSON columns contain `text`, across every installed model."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        query = Q()
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS):
                query |= Q(**{f"_text_{field.attname}__icontains": text})
        if not query:
            continue
        annotations = {
            f"_text_{f.attname}": Cast(f.attname, TextField())
            for f in model._meta.concrete_fields
            if isinstance(f, TEXT_FIELDS)
        }
        found += [
            (model._meta.label, pk)
            for pk in model._default_manager.annotate(**annotations).filter(query).values_list("pk", flat=True)
        ]
    return found


@pytest.fixture
def referred(api_as, cast):
    """A referral made and moved through the API (audit rows, an idempotent answer), then ended."""
    opening = OpeningFactory(posted_by=cast["poster"], visibility="company")
    referrer = api_as(cast["direct"])
    created = referrer.post(
        "/api/v1/referrals/",
        {
            "opening": opening.pk,
            "candidate_name": NAME,
            "candidate_email": EMAIL,
            "candidate_phone": PHONE,
            "why_fit": WHY,
            "relationship": "Former colleague",
            "consent_confirmed": True,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="referral-zed-1",
    )
    assert created.status_code == 201, created.json()
    referral_id = created.json()["id"]
    moved = api_as(cast["poster"]).patch(
        f"/api/v1/referrals/{referral_id}/",
        {"status": "declined", "decline_reason": WHY, "comment": COMMENT},
        format="json",
        HTTP_IDEMPOTENCY_KEY="decline-zed-1",
    )
    assert moved.status_code == 200, moved.json()
    return Referral.objects.get(pk=referral_id)


def test_the_audit_log_never_records_a_candidates_words(referred, api_as, cast):
    events = (
        api_as(cast["hr"])
        .get("/api/v1/audit-events/", {"object_type": "referral", "object_id": referred.pk})
        .json()["results"]
    )

    assert len(events) == 2
    served = str(events)
    for text in (EMAIL, NAME, PHONE, WHY, COMMENT):
        assert text not in served
    created = next(e for e in events if e["action"] == "referral.create")
    assert created["changes"]["candidate_name"] == "(personal data, not recorded)"
    assert created["changes"]["candidate_email"] == "hash:" + Referral.hash_email(EMAIL)[:16]


def test_after_erasure_no_table_holds_the_candidate(referred):
    assert rows_holding(EMAIL)  # the referral itself, and the stored idempotent answer
    assert IdempotencyRecord.objects.exists()

    services.referral_erase_personal_data(referral=referred)

    for text in (EMAIL, NAME, PHONE, WHY, COMMENT):
        assert rows_holding(text) == [], text
    assert not IdempotencyRecord.objects.filter(response_body__icontains="Zed").exists()


def test_erasure_scrubs_audit_rows_written_before_the_rule(referred):
    AuditEvent.objects.create(
        method="PATCH",
        path="/api/v1/referrals/x/",
        action="referral.update",
        object_type="referral",
        object_id=str(referred.pk),
        changes={"candidate_name": ["Old", NAME], "status": ["a", "b"]},
    )

    services.referral_erase_personal_data(referral=referred)

    assert rows_holding(NAME) == []
    assert AuditEvent.objects.filter(changes__status=["a", "b"]).exists()


def test_connection_request_notes_are_not_logged(api_as, cast):
    note = "We met at the Lisbon offsite, ask me about my divorce"

    response = api_as(cast["second"]).post(
        "/api/v1/connection-requests/", {"to": cast["stranger"].pk, "message": note}, format="json"
    )

    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action__startswith="connection_request")
    assert note not in str(event.changes)
    assert event.changes["message"] == "(personal data, not recorded)"
