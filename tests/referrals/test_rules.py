"""Every rule of issue 6 on submitting and moving referrals, through the services, portal and API."""

import itertools

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Connection
from openings.models import Opening
from referrals import services
from referrals.models import DUPLICATE_MESSAGE, Referral, ReferralEvent
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

V, OS = Opening.Visibility, Opening.Status
S = Referral.Status

CANDIDATE = {
    "candidate_name": "Ada Lovelace",
    "candidate_email": "Ada.Lovelace@Example.org",
    "relationship": "We worked together at Babbage & Co.",
    "why_fit": "She designed the analytical engine's programs.",
    "consent_confirmed": True,
}


def form_data(**overrides):
    data = {**CANDIDATE, **overrides}
    if data.get("consent_confirmed"):
        data["consent_confirmed"] = "on"
    else:
        data.pop("consent_confirmed")
    return {k: v for k, v in data.items() if v is not None}


def api_body(opening, **overrides):
    return {"opening": opening.pk, **CANDIDATE, **overrides}


def nothing_created():
    return Referral.objects.count() == 0 and ReferralEvent.objects.count() == 0


@pytest.fixture
def opening(poster, direct):
    return OpeningFactory(posted_by=poster, visibility=V.NETWORK, title="Data Engineer")


# --- Submitting -------------------------------------------------------------------------------


def test_submit_creates_referral_with_history_and_hash(opening, direct):
    referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    assert referral.status == S.SUBMITTED
    assert referral.candidate_email == "Ada.Lovelace@Example.org"
    assert referral.candidate_email_hash == Referral.hash_email("ada.lovelace@example.org")
    assert len(referral.candidate_email_hash) == 64 and "ada" not in referral.candidate_email_hash
    assert not referral.is_self_referral and referral.candidate_employee is None
    [event] = referral.events.all()
    assert (event.from_status, event.to_status, event.by) == ("", S.SUBMITTED, direct)


def test_email_hash_is_salted(settings):
    plain = Referral.hash_email("ada@example.org")
    settings.REFERRAL_EMAIL_SALT = "another-salt"
    assert Referral.hash_email("ada@example.org") != plain
    assert Referral.hash_email(" ADA@example.org ") == Referral.hash_email("ada@example.org")


def test_portal_refer_form(client, opening, direct):
    client.force_login(direct)
    page = client.get(f"/openings/{opening.pk}/refer/")
    assert page.status_code == 200
    assert b"agreed to be referred" in page.content
    response = client.post(f"/openings/{opening.pk}/refer/", form_data())
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.referrer == direct and referral.opening == opening


def test_api_create(api_as, opening, direct):
    response = api_as(direct).post("/api/v1/referrals/", api_body(opening), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["opening"] == opening.pk and body["referrer"] == direct.pk and body["status"] == "submitted"
    assert [e["to_status"] for e in body["history"]] == ["submitted"]


def test_api_accepts_note_as_why_fit(api_as, opening, direct):
    body = {**api_body(opening), "note": "Great analyst."}
    del body["why_fit"]
    response = api_as(direct).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201
    assert Referral.objects.get().why_fit == "Great analyst."


def test_employee_candidate_is_an_internal_move(opening, direct, second):
    referral = services.referral_submit(
        referrer=direct, opening=opening, **{**CANDIDATE, "candidate_email": second.email.upper()}
    )
    assert referral.candidate_employee == second and not referral.is_self_referral


def test_referrer_own_email_makes_a_self_referral(opening, direct):
    referral = services.referral_submit(
        referrer=direct, opening=opening, **{**CANDIDATE, "candidate_email": direct.email}
    )
    assert referral.is_self_referral and referral.candidate_employee == direct


# --- "I'm interested" ---------------------------------------------------------------------------


def test_interest_form_says_the_manager_is_not_told(client, opening, direct):
    client.force_login(direct)
    page = client.get(f"/openings/{opening.pk}/interested/")
    assert page.status_code == 200
    assert b"Your manager is not told" in page.content


def test_interest_is_a_self_referral(client, opening, direct):
    client.force_login(direct)
    response = client.post(f"/openings/{opening.pk}/interested/", {"why_fit": "I built our pipelines."})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.is_self_referral and referral.referrer == direct and referral.candidate_employee == direct
    assert referral.candidate_email == direct.email and referral.candidate_name == direct.full_name
    assert referral.consent_confirmed


def test_interest_twice_is_refused(client, opening, direct):
    services.referral_express_interest(employee=direct, opening=opening, why_fit="x")
    client.force_login(direct)
    response = client.post(f"/openings/{opening.pk}/interested/", {"why_fit": "again"})
    assert response.status_code == 400
    assert b"You are already being considered for this opening." in response.content
    assert Referral.objects.count() == 1


def test_interest_needs_sight_of_the_opening(client, opening, stranger):
    client.force_login(stranger)
    assert client.get(f"/openings/{opening.pk}/interested/").status_code == 404
    assert client.post(f"/openings/{opening.pk}/interested/", {"why_fit": "x"}).status_code == 404
    assert nothing_created()


# --- Bad input: a clear 4xx and nothing created ------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"candidate_email": "not-an-email"}, "candidate_email"),
        ({"candidate_email": ""}, "candidate_email"),
        ({"candidate_name": "  "}, "candidate_name"),
        ({"consent_confirmed": False}, "consent_confirmed"),
        ({"candidate_profile_url": "javascript:alert(1)"}, "candidate_profile_url"),
        ({"candidate_phone": "call me maybe"}, "candidate_phone"),
    ],
)
def test_bad_candidate_is_refused_everywhere(client, api_as, opening, direct, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.referral_submit(referrer=direct, opening=opening, **{**CANDIDATE, **overrides})
    assert field in error.value.message_dict
    client.force_login(direct)
    response = client.post(f"/openings/{opening.pk}/refer/", form_data(**overrides))
    assert response.status_code == 400
    assert b"has-error" in response.content
    response = api_as(direct).post("/api/v1/referrals/", api_body(opening, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert nothing_created()
    assert mail.outbox == []


def test_missing_consent_in_api_is_refused(api_as, opening, direct):
    body = api_body(opening)
    del body["consent_confirmed"]
    response = api_as(direct).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400 and "consent_confirmed" in response.json()["fields"]
    assert nothing_created()


def test_unknown_api_field_is_refused(api_as, opening, direct):
    response = api_as(direct).post("/api/v1/referrals/", {**api_body(opening), "status": "hired"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["fields"]
    assert nothing_created()


def test_hidden_opening_is_answered_as_a_missing_one(client, api_as, opening, stranger):
    api = api_as(stranger)
    hidden = api.post("/api/v1/referrals/", api_body(opening), format="json")
    missing = api.post("/api/v1/referrals/", {**api_body(opening), "opening": 999999}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.content == missing.content
    assert hidden.json()["fields"] == {"opening": [services.NO_SUCH_OPENING]}
    client.force_login(stranger)
    for suffix in ("refer", "interested"):
        for method in ("get", "post"):
            hidden = getattr(client, method)(f"/openings/{opening.pk}/{suffix}/", form_data())
            missing = getattr(client, method)(f"/openings/999999/{suffix}/", form_data())
            assert hidden.status_code == missing.status_code == 404
            assert strip_csrf(hidden.content) == strip_csrf(missing.content)
    assert nothing_created()


def strip_csrf(body):
    import re

    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


@pytest.mark.parametrize("status,message", [(OS.CLOSED, b"This opening is closed"), (OS.DRAFT, b"not published yet")])
def test_closed_or_draft_opening_is_refused_with_a_reason(client, api_as, poster, hr, status, message):
    # HR sees every opening in every status, so HR meets the refusal rather than a 404.
    opening = OpeningFactory(posted_by=poster, status=status)
    client.force_login(hr)
    assert client.get(f"/openings/{opening.pk}/refer/").status_code == 400
    response = client.post(f"/openings/{opening.pk}/refer/", form_data())
    assert response.status_code == 400 and message in response.content
    response = api_as(hr).post("/api/v1/referrals/", api_body(opening), format="json")
    assert response.status_code == 400 and message.decode() in response.json()["fields"]["opening"][0]
    assert nothing_created()


def test_referrer_cannot_refer_again_once_the_opening_closed(api_as, opening, direct):
    services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    Opening.objects.filter(pk=opening.pk).update(status=OS.CLOSED)
    response = api_as(direct).post(
        "/api/v1/referrals/", api_body(opening, candidate_email="bob@example.org"), format="json"
    )
    assert response.status_code == 400 and "closed" in response.json()["fields"]["opening"][0]
    assert Referral.objects.count() == 1


def test_poster_cannot_refer_to_own_opening(client, api_as, opening, poster):
    response = api_as(poster).post("/api/v1/referrals/", api_body(opening), format="json")
    assert response.status_code == 400 and "You posted this opening" in response.json()["fields"]["opening"][0]
    client.force_login(poster)
    assert client.get(f"/openings/{opening.pk}/refer/").status_code == 400
    assert client.post(f"/openings/{opening.pk}/interested/", {"why_fit": "x"}).status_code == 400
    assert nothing_created()


def test_the_poster_cannot_be_the_candidate(opening, direct, poster):
    with pytest.raises(ValidationError):
        services.referral_submit(referrer=direct, opening=opening, **{**CANDIDATE, "candidate_email": poster.email})
    assert nothing_created()


def test_service_token_cannot_refer(hr_service_api, opening):
    response = hr_service_api.post("/api/v1/referrals/", api_body(opening), format="json")
    assert response.status_code == 403
    assert nothing_created()


def test_read_only_sight_does_not_allow_referring_again(client, api_as, opening, poster, direct):
    services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    Connection.objects.filter(from_user__in=[poster, direct], to_user__in=[poster, direct]).delete()
    client.force_login(direct)
    page = client.get(f"/openings/{opening.pk}/")
    assert page.status_code == 200  # still sees it...
    assert b"Refer someone" not in page.content  # ...read-only
    response = client.post(f"/openings/{opening.pk}/refer/", form_data(candidate_email="bob@example.org"))
    assert response.status_code == 400 and b"no longer shared with you" in response.content
    response = api_as(direct).post(
        "/api/v1/referrals/", api_body(opening, candidate_email="bob@example.org"), format="json"
    )
    assert response.status_code == 400
    assert Referral.objects.count() == 1


def test_opening_page_offers_actions_only_when_referring_is_possible(client, poster, direct, hr, stranger):
    shared = OpeningFactory(posted_by=poster, visibility=V.NETWORK)
    company_closed = OpeningFactory(posted_by=poster, visibility=V.COMPANY, status=OS.CLOSED)
    for user, opening, offered in [
        (direct, shared, True),
        (poster, shared, False),  # their own
        (hr, shared, True),
        (hr, company_closed, False),  # closed
    ]:
        client.force_login(user)
        page = client.get(f"/openings/{opening.pk}/").content
        assert (f'href="/openings/{opening.pk}/refer/"'.encode() in page) is offered, (user, opening)
        assert (f'href="/openings/{opening.pk}/interested/"'.encode() in page) is offered


# --- Duplicates -------------------------------------------------------------------------------


def test_duplicate_is_refused_case_insensitively_revealing_nothing(client, api_as, opening, direct, hr):
    first = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    services.referral_move(referral=first, by=hr, status=S.IN_REVIEW, comment="Looks promising")
    mail.outbox.clear()
    # HR, who may see the opening as well, tries the same person in another spelling.
    response = api_as(hr).post(
        "/api/v1/referrals/", api_body(opening, candidate_email="  ADA.lovelace@example.ORG "), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Some fields are invalid.",
        "fields": {"candidate_email": [DUPLICATE_MESSAGE]},
    }
    client.force_login(hr)
    page = client.post(f"/openings/{opening.pk}/refer/", form_data(candidate_email="ADA.LOVELACE@example.org"))
    assert page.status_code == 400
    content = page.content.decode()
    assert DUPLICATE_MESSAGE in content
    for secret in (direct.full_name, direct.email, "In review", "Looks promising"):
        assert secret not in content
    assert Referral.objects.count() == 1
    assert Referral.objects.get().referrer == direct  # credit stays with the first
    assert mail.outbox == []


def test_duplicate_is_recognised_after_erasure_but_not_after_the_referral_ended(opening, direct, second, poster):
    first = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    services.referral_erase_personal_data(referral=first)
    with pytest.raises(ValidationError) as error:
        services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    assert error.value.message_dict == {"candidate_email": [DUPLICATE_MESSAGE]}
    services.referral_move(referral=first, by=poster, status=S.DECLINED, decline_reason="Not now")
    again = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    assert again.status == S.SUBMITTED


def test_same_person_may_be_referred_to_another_opening(poster, direct):
    a = OpeningFactory(posted_by=poster)
    b = OpeningFactory(posted_by=poster)
    services.referral_submit(referrer=direct, opening=a, **CANDIDATE)
    services.referral_submit(referrer=direct, opening=b, **CANDIDATE)
    assert Referral.objects.count() == 2


def test_duplicate_is_a_database_constraint(opening, direct):
    from django.db import IntegrityError, transaction

    ReferralFactory(opening=opening, candidate_email="x@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(opening=opening, candidate_email="X@EXAMPLE.org")


# --- Transitions ------------------------------------------------------------------------------


ALLOWED = {
    (S.SUBMITTED, S.IN_REVIEW),
    (S.SUBMITTED, S.DECLINED),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.IN_REVIEW, S.INTERVIEWING),
    (S.IN_REVIEW, S.DECLINED),
    (S.IN_REVIEW, S.WITHDRAWN),
    (S.INTERVIEWING, S.OFFERED),
    (S.INTERVIEWING, S.DECLINED),
    (S.INTERVIEWING, S.WITHDRAWN),
    (S.OFFERED, S.HIRED),
    (S.OFFERED, S.DECLINED),
    (S.OFFERED, S.WITHDRAWN),
}
PAIRS = list(itertools.product(S.values, S.values))


def test_transition_table_is_the_documented_one():
    assert {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("current,target", PAIRS)
def test_every_transition_through_the_api(api_as, opening, poster, direct, current, target):
    referral = ReferralFactory(opening=opening, referrer=direct, status=current)
    body = {"status": target, "comment": "Moving on"}
    if target == S.DECLINED:
        body["decline_reason"] = "Not the right level."
    response = api_as(poster).patch(f"/api/v1/referrals/{referral.pk}/", body, format="json")
    referral.refresh_from_db()
    if (current, target) in ALLOWED:
        assert response.status_code == 200, response.json()
        assert referral.status == target
        last = referral.events.last()
        assert (last.from_status, last.to_status, last.by, last.comment) == (current, target, poster, "Moving on")
        assert response.json()["history"][-1]["to_status"] == target
    else:
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        assert referral.status == current
        assert referral.events.count() == 1


@pytest.mark.parametrize("current,target", PAIRS)
def test_every_transition_through_the_portal(client, opening, poster, direct, current, target):
    referral = ReferralFactory(opening=opening, referrer=direct, status=current)
    client.force_login(poster)
    data = {"status": target, "comment": "ok", "decline_reason": "Too junior" if target == S.DECLINED else ""}
    response = client.post(f"/referrals/{referral.pk}/move/", data)
    referral.refresh_from_db()
    if (current, target) in ALLOWED:
        assert response.status_code == 302
        assert referral.status == target
    else:
        assert response.status_code == 400
        assert referral.status == current and referral.events.count() == 1


@pytest.mark.parametrize(
    "actor,target,expected",
    [
        ("poster", S.IN_REVIEW, 200),
        ("poster", S.WITHDRAWN, 200),
        ("hr", S.IN_REVIEW, 200),
        ("hr", S.DECLINED, 200),
        ("hr_service", S.IN_REVIEW, 200),
        ("hr_service", S.WITHDRAWN, 200),
        ("referrer", S.WITHDRAWN, 200),
        ("referrer", S.IN_REVIEW, 403),
        ("referrer", S.DECLINED, 403),
        ("stranger", S.WITHDRAWN, 404),
        ("second", S.IN_REVIEW, 404),
        ("hr_read_service", S.IN_REVIEW, 403),
        ("hr_write_service", S.IN_REVIEW, 404),  # may change, but may not see: hidden means absent
    ],
)
def test_who_may_move_a_referral(api_as, hr_service_api, opening, cast, actor, target, expected):
    from rest_framework.test import APIClient

    from accounts.models import ServiceAccount
    from accounts.services import token_issue
    from tests.conftest import bearer

    referral = ReferralFactory(opening=opening, referrer=cast["direct"])
    if actor == "hr_service":
        api = hr_service_api
    elif actor in ("hr_read_service", "hr_write_service"):
        scope = "hr:read" if actor == "hr_read_service" else "hr:write"
        _, plain = token_issue(service_account=ServiceAccount.objects.create(name=f"ATS {scope}"), scope=scope)
        api = bearer(APIClient(), plain)
    else:
        api = api_as(cast["direct"] if actor == "referrer" else cast[actor])
    body = {"status": target, "decline_reason": "Not a fit" if target == S.DECLINED else ""}
    response = api.patch(f"/api/v1/referrals/{referral.pk}/", body, format="json")
    assert response.status_code == expected, response.json()
    referral.refresh_from_db()
    assert referral.status == (target if expected == 200 else S.SUBMITTED)


def test_service_move_records_the_service_not_an_employee(hr_service_api, opening, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    response = hr_service_api.patch(
        f"/api/v1/referrals/{referral.pk}/", {"status": "in_review", "comment": "From the ATS"}, format="json"
    )
    assert response.status_code == 200
    event = referral.events.last()
    assert event.by is None and event.by_service == "HRIS"
    assert response.json()["history"][-1]["by"] is None
    assert response.json()["history"][-1]["by_name"] == "HRIS (HR system)"


def test_decline_requires_a_reason(client, api_as, opening, poster, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    response = api_as(poster).patch(f"/api/v1/referrals/{referral.pk}/", {"status": "declined"}, format="json")
    assert response.status_code == 400 and "decline_reason" in response.json()["fields"]
    client.force_login(poster)
    response = client.post(f"/referrals/{referral.pk}/move/", {"status": "declined", "decline_reason": "  "})
    assert response.status_code == 400 and b"Give a reason for declining" in response.content
    referral.refresh_from_db()
    assert referral.status == S.SUBMITTED and referral.events.count() == 1
    response = api_as(poster).patch(
        f"/api/v1/referrals/{referral.pk}/",
        {"status": "declined", "decline_reason": "We hired internally."},
        format="json",
    )
    assert response.status_code == 200 and response.json()["decline_reason"] == "We hired internally."


def test_decline_reason_only_with_a_decline(opening, poster, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    with pytest.raises(ValidationError) as error:
        services.referral_move(referral=referral, by=poster, status=S.IN_REVIEW, decline_reason="why?")
    assert "decline_reason" in error.value.message_dict


def test_patch_refuses_other_fields_and_unknown_status(api_as, opening, poster, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    api = api_as(poster)
    for body in ({"candidate_name": "Someone else"}, {"status": "promoted"}, {"status": "in_review", "opening": 3}):
        response = api.patch(f"/api/v1/referrals/{referral.pk}/", body, format="json")
        assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == S.SUBMITTED and referral.candidate_name != "Someone else"


def test_referrer_withdraws_in_the_portal(client, opening, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    client.force_login(direct)
    page = client.get(f"/referrals/{referral.pk}/")
    assert b"Withdraw" in page.content and b'action="/referrals/%d/move/"' % referral.pk not in page.content
    response = client.post(f"/referrals/{referral.pk}/withdraw/", {"comment": "She took another job."})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.WITHDRAWN
    assert referral.events.last().comment == "She took another job."
    # Withdrawn is final.
    response = client.post(f"/referrals/{referral.pk}/withdraw/")
    assert response.status_code == 400 and b"its pipeline has ended" in response.content
    assert referral.events.count() == 2


def test_referrer_cannot_move_in_the_portal(client, opening, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    client.force_login(direct)
    assert client.post(f"/referrals/{referral.pk}/move/", {"status": "in_review"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == S.SUBMITTED


def test_referral_withdraw_service(opening, direct, stranger):
    referral = ReferralFactory(opening=opening, referrer=direct)
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(referral=referral, by=stranger)
    services.referral_withdraw(referral=referral, by=direct)
    referral.refresh_from_db()
    assert referral.status == S.WITHDRAWN


def test_moves_work_after_the_opening_closed(api_as, opening, poster, direct):
    referral = ReferralFactory(opening=opening, referrer=direct)
    Opening.objects.filter(pk=opening.pk).update(status=OS.CLOSED)
    response = api_as(poster).patch(f"/api/v1/referrals/{referral.pk}/", {"status": "in_review"}, format="json")
    assert response.status_code == 200


# --- Deleting an opening with referrals ---------------------------------------------------------


def test_opening_with_referrals_cannot_be_deleted(api_as, opening, poster, direct):
    ReferralFactory(opening=opening, referrer=direct)
    response = api_as(poster).delete(f"/api/v1/openings/{opening.pk}/")
    assert response.status_code == 400
    assert "close it instead" in response.json()["fields"]["non_field_errors"][0]
    assert Opening.objects.filter(pk=opening.pk).exists()


def test_opening_without_referrals_can_still_be_deleted(api_as, poster):
    opening = OpeningFactory(posted_by=poster)
    assert api_as(poster).delete(f"/api/v1/openings/{opening.pk}/").status_code == 204
