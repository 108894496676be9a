"""Referral bonuses (issue 20): the lifecycle through time, forfeiture, who earns one, who sees
and does what, bad input, and queries at two sizes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.services import employee_deactivate
from integrations.models import AuditEvent, OutboxEvent
from openings.models import Opening
from referrals import bonuses, services
from referrals.models import BonusEvent, Referral, ReferralBonus
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

S = Referral.Status
B = ReferralBonus.Status
MADE = "2026-01-05 12:00Z"  # a Monday
CANDIDATE = "ada@elsewhere.example.org"


def hire(poster, referrer, *, email=CANDIDATE, amount="1000.00", currency="EUR", opening=None, by=None):
    """Refer `email` to a company-wide opening of `poster` with a bonus, and run it to hired."""
    opening = opening or OpeningFactory(
        posted_by=poster,
        visibility=Opening.Visibility.COMPANY,
        referral_bonus_amount=Decimal(amount) if amount else None,
        referral_bonus_currency=currency,
    )
    referral = services.referral_submit(
        referrer=referrer, opening=opening, candidate_name="Ada", candidate_email=email, consent_confirmed=True
    )
    for status in (S.IN_REVIEW, S.INTERVIEWING, S.OFFERED, S.HIRED):
        referral = services.referral_move(referral=referral, by=by or poster, status=status)
    return referral


def events(kind):
    return OutboxEvent.objects.filter(type=kind).count()


@pytest.fixture
def hired(cast):
    with time_machine.travel(MADE, tick=False):
        return hire(cast["poster"], cast["direct"])


# --- The lifecycle through time ----------------------------------------------------------------------


def test_every_transition_from_promise_to_paid(cast, hired, settings):
    poster, direct, hr = cast["poster"], cast["direct"], cast["hr"]
    settings.BONUS_RETENTION_DAYS = 90
    assert (hired.bonus_amount, hired.bonus_currency) == (Decimal("1000.00"), "EUR")
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonus = bonuses.bonus_record_start(referral=hired, by=poster, start_date=date(2026, 2, 2))
    assert (bonus.status, bonus.eligible_on, bonus.amount) == (B.PENDING, date(2026, 5, 3), Decimal("1000.00"))

    with time_machine.travel("2026-05-02 23:00Z", tick=False):  # the day before: still pending
        assert bonuses.bonuses_make_eligible() == 0
    assert ReferralBonus.objects.get().status == B.PENDING
    with time_machine.travel("2026-05-03 01:00Z", tick=False):
        assert bonuses.bonuses_make_eligible() == 1
        assert bonuses.bonuses_make_eligible() == 0  # the second run of the day emits nothing twice
    assert ReferralBonus.objects.get().status == B.ELIGIBLE
    assert events("bonus.eligible") == 1

    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        bonuses.bonus_approve(bonus=bonus, by=hr)
        bonuses.bonus_mark_paid(bonus=bonus, by=hr, payroll_reference="PAY-2026-05-17")
    bonus.refresh_from_db()
    assert (bonus.status, bonus.payroll_reference) == (B.PAID, "PAY-2026-05-17")
    history = list(bonus.events.values_list("from_status", "to_status", "by__email", "reference"))
    assert history == [
        ("", B.PENDING, poster.email, ""),
        (B.PENDING, B.ELIGIBLE, None, ""),
        (B.ELIGIBLE, B.APPROVED, hr.email, ""),
        (B.APPROVED, B.PAID, hr.email, "PAY-2026-05-17"),
    ]
    assert [events(k) for k in ("bonus.approved", "bonus.paid", "bonus.forfeited")] == [1, 1, 0]
    actions = list(AuditEvent.objects.filter(object_type="bonus").order_by("id").values_list("action", flat=True))
    assert actions == ["bonus.create", "bonus.eligible", "bonus.approved", "bonus.paid"]
    assert direct.pk == bonus.referral.referrer_id


def test_the_promise_is_kept_after_the_openings_bonus_is_edited(cast, hired):
    Opening.objects.filter(pk=hired.opening_id).update(
        referral_bonus_amount=Decimal("50.00"), referral_bonus_currency="USD"
    )
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonus = bonuses.bonus_record_start(referral=hired, by=cast["hr"], start_date=date(2026, 2, 2))
    assert (bonus.amount, bonus.currency) == (Decimal("1000.00"), "EUR")


def test_a_start_date_long_past_makes_it_eligible_at_once(cast, hired, settings):
    settings.BONUS_RETENTION_DAYS = 10
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        bonus = bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 1, 10))
    assert bonus.status == B.ELIGIBLE
    assert events("bonus.eligible") == 1


def test_the_start_date_may_be_corrected_while_pending_only(cast, hired):
    poster, hr = cast["poster"], cast["hr"]
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonuses.bonus_record_start(referral=hired, by=poster, start_date=date(2026, 2, 2))
        bonus = bonuses.bonus_record_start(referral=hired, by=poster, start_date=date(2026, 2, 9))
    assert bonus.eligible_on == date(2026, 2, 9) + timedelta(days=90)
    with time_machine.travel(bonus.eligible_on.isoformat() + " 12:00Z", tick=False):
        bonuses.bonuses_make_eligible()
        with pytest.raises(ValidationError, match="start date is fixed"):
            bonuses.bonus_record_start(referral=hired, by=hr, start_date=date(2026, 2, 3))


# --- Forfeiture -------------------------------------------------------------------------------------------


def test_forfeited_when_the_hris_deactivates_the_hire_before_the_retention_date(cast, hired):
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 2, 2))
        the_hire = UserFactory(email=CANDIDATE.upper())  # the HRIS provisions the new employee
    with time_machine.travel("2026-03-15 09:00Z", tick=False):
        employee_deactivate(employee=the_hire)
    bonus = ReferralBonus.objects.get()
    assert bonus.status == B.FORFEITED
    assert "left on 15 Mar 2026" in bonus.forfeit_reason
    assert events("bonus.forfeited") == 1
    assert bonus.events.last().to_status == B.FORFEITED
    assert AuditEvent.objects.filter(action="bonus.forfeited", object_id=str(bonus.pk)).exists()


def test_forfeited_through_the_hris_api_deactivation(cast, hired, hr_service_api):
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 2, 2))
    the_hire = UserFactory(email=CANDIDATE)
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        response = hr_service_api.patch(f"/api/v1/employees/{the_hire.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert ReferralBonus.objects.get().status == B.FORFEITED


def test_a_hire_who_leaves_after_the_retention_date_keeps_the_bonus(cast, hired):
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 2, 2))
        the_hire = UserFactory(email=CANDIDATE)
    with time_machine.travel("2026-05-04 09:00Z", tick=False):  # past eligible_on, before the daily job
        employee_deactivate(employee=the_hire)
        bonuses.bonuses_make_eligible()
    assert ReferralBonus.objects.get().status == B.ELIGIBLE


def test_hr_records_a_forfeiture_with_a_reason_the_referrer_reads(client, cast, hired):
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        bonus = bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 2, 2))
    client.force_login(cast["hr"])
    response = client.post(f"/hr/bonuses/{bonus.pk}/forfeit/", {"forfeit_reason": "Left after 40 days."})
    assert response.status_code == 302
    client.force_login(cast["direct"])
    page = client.get(f"/referrals/{hired.pk}/").content.decode()
    assert "Left after 40 days." in page and "Forfeited" in page


# --- Who earns one ------------------------------------------------------------------------------------------


def test_no_bonus_for_a_self_referral(cast):
    opening = OpeningFactory(
        posted_by=cast["poster"], visibility=Opening.Visibility.COMPANY, referral_bonus_amount=Decimal("500")
    )
    referral = services.referral_express_interest(employee=cast["direct"], opening=opening)
    assert referral.bonus_amount is None
    for status in (S.IN_REVIEW, S.INTERVIEWING, S.OFFERED, S.HIRED):
        referral = services.referral_move(referral=referral, by=cast["poster"], status=status)
    with pytest.raises(ValidationError, match="self-referral"):
        bonuses.bonus_record_start(referral=referral, by=cast["poster"], start_date=date.today())
    assert not ReferralBonus.objects.exists()


@pytest.mark.parametrize("ending", [S.DECLINED, S.WITHDRAWN])
def test_no_bonus_for_a_declined_or_withdrawn_referral(cast, ending):
    opening = OpeningFactory(
        posted_by=cast["poster"], visibility=Opening.Visibility.COMPANY, referral_bonus_amount=Decimal("500")
    )
    referral = services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Ada",
        candidate_email=CANDIDATE,
        consent_confirmed=True,
    )
    services.referral_move(
        referral=referral, by=cast["poster"], status=ending, decline_reason="No." if ending == S.DECLINED else ""
    )
    with pytest.raises(ValidationError, match="hired"):
        bonuses.bonus_record_start(referral=referral, by=cast["hr"], start_date=date.today())
    assert not ReferralBonus.objects.exists()


def test_credit_stays_with_the_first_referrer(cast):
    poster, first, second = cast["poster"], cast["direct"], UserFactory()
    opening = OpeningFactory(
        posted_by=poster, visibility=Opening.Visibility.COMPANY, referral_bonus_amount=Decimal("800")
    )
    with time_machine.travel(MADE, tick=False):
        earlier = services.referral_submit(
            referrer=first, opening=opening, candidate_name="Ada", candidate_email=CANDIDATE, consent_confirmed=True
        )
    with pytest.raises(ValidationError):  # while the first is active, the second is refused outright
        services.referral_submit(
            referrer=second, opening=opening, candidate_name="Ada", candidate_email=CANDIDATE, consent_confirmed=True
        )
    services.referral_withdraw(referral=earlier, by=first)
    with time_machine.travel("2026-01-06 12:00Z", tick=False):
        later = hire(poster, second, opening=opening)
    with pytest.raises(ValidationError, match="credit stays"):
        bonuses.bonus_record_start(referral=later, by=poster, start_date=date(2026, 2, 1))
    assert not ReferralBonus.objects.exists()


# --- Bad input: a clear 4xx, nothing changed -----------------------------------------------------------


@pytest.fixture
def pending(cast, hired):
    with time_machine.travel("2026-02-02 09:00Z", tick=False):
        return bonuses.bonus_record_start(referral=hired, by=cast["poster"], start_date=date(2026, 2, 2))


def snapshot():
    return list(ReferralBonus.objects.values()), BonusEvent.objects.count(), OutboxEvent.objects.count()


def test_bad_moves_through_the_api_are_4xx_and_change_nothing(cast, pending, hr_service_api):
    before = snapshot()
    url = f"/api/v1/bonuses/{pending.pk}/"
    approve = hr_service_api.patch(url, {"status": "approved"}, format="json")
    assert approve.status_code == 400 and "pending until" in approve.json()["fields"]["status"][0]
    paid = hr_service_api.patch(url, {"status": "paid", "payroll_reference": "PAY-1"}, format="json")
    assert paid.status_code == 400 and "Only an approved bonus" in paid.json()["fields"]["status"][0]
    long_ref = hr_service_api.patch(url, {"status": "paid", "payroll_reference": "X" * 101}, format="json")
    assert long_ref.status_code == 400 and "payroll_reference" in long_ref.json()["fields"]
    no_reason = hr_service_api.patch(url, {"status": "forfeited"}, format="json")
    assert no_reason.status_code == 400 and "forfeit_reason" in no_reason.json()["fields"]
    blank_reason = hr_service_api.patch(url, {"status": "forfeited", "forfeit_reason": "   "}, format="json")
    assert blank_reason.status_code == 400
    unknown = hr_service_api.patch(url, {"status": "eligible"}, format="json")
    assert unknown.status_code == 400
    assert snapshot() == before


def test_bad_moves_in_the_portal_are_4xx_and_change_nothing(client, cast, pending):
    before = snapshot()
    client.force_login(cast["hr"])
    response = client.post(
        "/hr/bonuses/actions/", {"action": "mark_paid", "ids": [pending.pk], "payroll_reference": "P-1"}
    )
    assert response.status_code == 409 or response.status_code == 400
    assert "Only an approved bonus" in response.content.decode()
    response = client.post(
        "/hr/bonuses/actions/", {"action": "mark_paid", "ids": [pending.pk], "payroll_reference": "X" * 101}
    )
    assert response.status_code == 400 and "100 characters" in response.content.decode()
    response = client.post(f"/hr/bonuses/{pending.pk}/forfeit/", {"forfeit_reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    assert snapshot() == before


def test_a_start_date_before_the_referral_is_refused(client, cast, hired):
    client.force_login(cast["poster"])
    response = client.post(f"/referrals/{hired.pk}/start-date/", {"start_date": "2026-01-04"})
    assert response.status_code == 400
    assert "cannot be before the referral was made" in response.content.decode()
    response = client.post(f"/referrals/{hired.pk}/start-date/", {"start_date": "not a date"})
    assert response.status_code == 400
    assert not ReferralBonus.objects.exists()


def test_the_second_approval_is_told_it_already_moved(cast, pending, hr_service_api):
    ReferralBonus.objects.filter(pk=pending.pk).update(status=B.ELIGIBLE)
    url = f"/api/v1/bonuses/{pending.pk}/"
    assert hr_service_api.patch(url, {"status": "approved"}, format="json").status_code == 200
    again = hr_service_api.patch(url, {"status": "approved"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_moved" and "already approved" in again.json()["detail"]
    assert BonusEvent.objects.filter(to_status=B.APPROVED).count() == 1
    assert events("bonus.approved") == 1


def test_a_guarded_update_refuses_a_bonus_that_moved_under_it(cast, pending):
    """The race, without threads: the bonus is read eligible, then someone else approves it before
    this approval's UPDATE runs."""
    ReferralBonus.objects.filter(pk=pending.pk).update(status=B.ELIGIBLE)
    real_get = ReferralBonus.objects.get

    def get_then_someone_else_approves(*args, **kwargs):
        found = real_get(*args, **kwargs)
        ReferralBonus.objects.filter(pk=pending.pk).update(status=B.APPROVED)
        return found

    from unittest import mock

    with mock.patch.object(ReferralBonus.objects, "get", side_effect=get_then_someone_else_approves):
        with pytest.raises(bonuses.BonusAlreadyMoved):
            bonuses.bonus_approve(bonus=pending, by=cast["hr"])
    assert not BonusEvent.objects.filter(to_status=B.APPROVED).exists()


# --- Permissions ---------------------------------------------------------------------------------------------


@pytest.fixture
def eligible(cast, pending):
    ReferralBonus.objects.filter(pk=pending.pk).update(status=B.ELIGIBLE)
    pending.refresh_from_db()
    return pending


ROLES = ["referrer", "poster", "hr", "stranger"]


def who(cast, role):
    return {"referrer": cast["direct"], "poster": cast["poster"], "hr": cast["hr"], "stranger": cast["stranger"]}[role]


@pytest.mark.parametrize("role", ROLES)
def test_the_referral_page_shows_bonus_data_to_the_referrer_and_hr_only(client, cast, eligible, role):
    eligible.payroll_reference = "SECRET-REF"
    client.force_login(who(cast, role))
    response = client.get(f"/referrals/{eligible.referral_id}/")
    if role == "stranger":
        assert response.status_code == 404
        return
    page = response.content.decode()
    sees = role in ("referrer", "hr")
    assert ("1000.00 EUR" in page) is sees
    assert ("Eligible on" in page) is sees
    if role == "poster":
        assert "A referral bonus applies" in page


@pytest.mark.parametrize("role", ROLES)
def test_my_referrals_show_the_bonus_to_the_referrer(client, cast, eligible, role):
    client.force_login(who(cast, role))
    page = client.get("/referrals/").content.decode()
    assert ("1000.00 EUR" in page) is (role == "referrer")
    if role == "poster":
        assert "a referral bonus applies" in page


@pytest.mark.parametrize("role", ROLES)
def test_recording_the_start_date(client, cast, hired, role):
    client.force_login(who(cast, role))
    response = client.post(f"/referrals/{hired.pk}/start-date/", {"start_date": "2026-02-02"})
    expected = {"poster": 302, "hr": 302, "referrer": 403, "stranger": 404}[role]
    assert response.status_code == expected
    assert ReferralBonus.objects.exists() is (expected == 302)


@pytest.mark.parametrize("role", ROLES)
def test_hr_bonus_pages_and_actions(client, cast, eligible, role):
    client.force_login(who(cast, role))
    is_hr = role == "hr"
    assert client.get("/hr/bonuses/").status_code == (200 if is_hr else 403)
    assert client.get("/hr/bonuses/export.csv").status_code == (200 if is_hr else 403)
    response = client.post("/hr/bonuses/actions/", {"action": "approve", "ids": [eligible.pk]})
    assert response.status_code == (302 if is_hr else 403)
    response = client.post(
        "/hr/bonuses/actions/", {"action": "mark_paid", "ids": [eligible.pk], "payroll_reference": "P-9"}
    )
    assert response.status_code == (302 if is_hr else 403)
    expected = B.PAID if is_hr else B.ELIGIBLE
    assert ReferralBonus.objects.get().status == expected
    response = client.post(f"/hr/bonuses/{eligible.pk}/forfeit/", {"forfeit_reason": "Left."})
    assert response.status_code == (400 if is_hr else 403)  # HR: a paid bonus can no longer be forfeited


@pytest.mark.parametrize("role", [*ROLES, "hr_service", "hr_read_only"])
def test_the_bonus_api(api_as, cast, eligible, hr_service_api, role):
    if role == "hr_service":
        client = hr_service_api
    elif role == "hr_read_only":
        from accounts.models import ServiceAccount
        from accounts.services import token_issue
        from tests.conftest import bearer

        _, plain = token_issue(service_account=ServiceAccount.objects.create(name="Reports"), scope="hr:read")
        from rest_framework.test import APIClient

        client = bearer(APIClient(), plain)
    else:
        client = api_as(who(cast, role))  # a personal token: no scope hr unless the person is HR
    reads = role in ("hr", "hr_service", "hr_read_only")
    writes = role in ("hr", "hr_service")
    assert client.get("/api/v1/bonuses/").status_code == (200 if reads else 403)
    assert client.get(f"/api/v1/bonuses/{eligible.pk}/").status_code == (200 if reads else 403)
    response = client.patch(f"/api/v1/bonuses/{eligible.pk}/", {"status": "approved"}, format="json")
    assert response.status_code == (200 if writes else 403)
    response = client.patch(
        f"/api/v1/bonuses/{eligible.pk}/", {"status": "paid", "payroll_reference": "PAY-7"}, format="json"
    )
    assert response.status_code == (200 if writes else 403)
    response = client.patch(
        f"/api/v1/bonuses/{eligible.pk}/", {"status": "forfeited", "forfeit_reason": "Left."}, format="json"
    )
    assert response.status_code == (400 if writes else 403)
    assert ReferralBonus.objects.get().status == (B.PAID if writes else B.ELIGIBLE)


def test_the_api_without_credentials_is_401(api, eligible):
    assert api.get("/api/v1/bonuses/").status_code == 401
    assert api.patch(f"/api/v1/bonuses/{eligible.pk}/", {"status": "approved"}, format="json").status_code == 401


def test_the_services_refuse_non_hr(cast, eligible):
    for person in (cast["direct"], cast["poster"], cast["stranger"]):
        with pytest.raises(PermissionDenied):
            bonuses.bonus_approve(bonus=eligible, by=person)
        with pytest.raises(PermissionDenied):
            bonuses.bonus_forfeit(bonus=eligible, by=person, reason="x")
    for person in (cast["direct"], cast["stranger"]):
        with pytest.raises(PermissionDenied):
            bonuses.bonus_record_start(referral=eligible.referral, by=person, start_date=date(2026, 2, 2))


# --- API contents, filters, webhooks, CSV --------------------------------------------------------------------


def test_the_api_lists_with_status_and_updated_since_and_patches_with_audit(hr_service_api, eligible):
    data = hr_service_api.get("/api/v1/bonuses/?status=eligible").json()
    assert [row["id"] for row in data["results"]] == [eligible.pk]
    assert data["results"][0]["amount"] == "1000.00" and data["results"][0]["eligible_on"] == "2026-05-03"
    assert hr_service_api.get("/api/v1/bonuses/?status=paid").json()["results"] == []
    assert hr_service_api.get("/api/v1/bonuses/?updated_since=2999-01-01T00:00:00Z").json()["results"] == []
    assert hr_service_api.get("/api/v1/bonuses/?status=nonsense").status_code == 400
    response = hr_service_api.patch(f"/api/v1/bonuses/{eligible.pk}/", {"status": "approved"}, format="json")
    assert response.json()["status"] == "approved"
    assert response.json()["history"][-1]["by_service"] == "HRIS"
    audit = AuditEvent.objects.filter(object_type="bonus", object_id=str(eligible.pk), method="PATCH")
    assert audit.count() == 1 and audit.get().changes["status"] == ["eligible", "approved"]
    payload = OutboxEvent.objects.get(type="bonus.approved").payload
    assert payload["id"] == eligible.pk and payload["status"] == "approved" and "candidate_name" not in payload


def test_the_schema_documents_the_bonus_api(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/bonuses/" in schema["paths"] and "/api/v1/bonuses/{id}/" in schema["paths"]
    assert "patch" in schema["paths"]["/api/v1/bonuses/{id}/"]


def test_the_csv_export_for_payroll(client, cast, eligible):
    ReferralBonus.objects.filter(pk=eligible.pk).update(status=B.APPROVED)
    client.force_login(cast["hr"])
    response = client.get("/hr/bonuses/export.csv?status=approved")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("bonus_id,referral_id,referrer_employee_id")
    assert len(lines) == 2 and "1000.00,EUR,approved" in lines[1] and cast["direct"].email in lines[1]
    assert client.get("/hr/bonuses/export.csv?status=paid").content.decode().strip().count("\n") == 0
    assert client.get("/hr/bonuses/export.csv?date_from=2026-06-01&date_to=2026-01-01").status_code == 400


def test_hr_filters_by_status_division_and_date(client, cast, eligible):
    client.force_login(cast["hr"])
    division = eligible.referral.opening.division.code
    assert "Ada" in client.get(f"/hr/bonuses/?status=eligible&division={division}").content.decode()
    assert "No bonuses match" in client.get("/hr/bonuses/?status=paid").content.decode()
    assert "No bonuses match" in client.get("/hr/bonuses/?date_from=2026-06-01").content.decode()
    assert "Ada" in client.get("/hr/bonuses/?date_from=2026-05-01&date_to=2026-05-31").content.decode()
    assert client.get("/hr/bonuses/?date_from=nonsense").status_code == 400


def test_bulk_approve_reports_the_ones_that_moved(client, cast, eligible):
    client.force_login(cast["hr"])
    response = client.post("/hr/bonuses/actions/", {"action": "approve", "ids": [eligible.pk]}, follow=True)
    assert "1 bonus approved" in response.content.decode()
    response = client.post("/hr/bonuses/actions/", {"action": "approve", "ids": [eligible.pk]})
    assert response.status_code == 409 and "already approved" in response.content.decode()


# --- Queries at two sizes ------------------------------------------------------------------------------------


def grow(cast, n):
    """`n` hired referrals by `direct`, each with a bonus in some status and a short history."""
    statuses = [B.PENDING, B.ELIGIBLE, B.APPROVED, B.PAID, B.FORFEITED]
    for i in range(n):
        opening = OpeningFactory(posted_by=cast["poster"], visibility=Opening.Visibility.COMPANY)
        referral = ReferralFactory(
            opening=opening, referrer=cast["direct"], status=S.HIRED, bonus_amount=Decimal("100"), bonus_currency="EUR"
        )
        bonus = ReferralBonus.objects.create(
            referral=referral,
            amount=Decimal("100"),
            currency="EUR",
            status=statuses[i % 5],
            start_date=date(2026, 1, 1),
            eligible_on=date(2026, 4, 1),
        )
        BonusEvent.objects.create(bonus=bonus, to_status=B.PENDING, by=cast["poster"])
        BonusEvent.objects.create(bonus=bonus, from_status=B.PENDING, to_status=bonus.status, by=cast["hr"])


# Measured (SQLite and PostgreSQL alike) and equal at both sizes. The portal counts include the
# session, the user and the navigation's counts; the API counts the token, its stamp and the rate.
BUDGET = {"hr bonuses": 10, "my referrals": 10, "api list": 4, "api detail": 4}


@pytest.mark.parametrize("size", [3, 15])
def test_bonus_pages_and_api_run_constant_queries(client, cast, hr_service_api, django_assert_max_num_queries, size):
    grow(cast, size)
    some = ReferralBonus.objects.first()
    counts = {}

    def check(label, call):
        with django_assert_max_num_queries(BUDGET[label]) as context:
            response = call()
        assert response.status_code == 200, label
        counts[label] = len(context)

    client.force_login(cast["hr"])
    check("hr bonuses", lambda: client.get("/hr/bonuses/"))
    client.force_login(cast["direct"])
    check("my referrals", lambda: client.get("/referrals/"))
    check("api list", lambda: hr_service_api.get("/api/v1/bonuses/"))
    check("api detail", lambda: hr_service_api.get(f"/api/v1/bonuses/{some.pk}/"))
    print(size, counts)
