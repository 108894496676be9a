"""Emails through the tasks framework: the poster on a new referral, the referrer on every move."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from openings.models import Opening
from referrals import services
from referrals.models import Referral
from tests.openings.factories import OpeningFactory

S = Referral.Status
CANDIDATE = {
    "candidate_name": "Ada Lovelace",
    "candidate_email": "ada@example.org",
    "consent_confirmed": True,
    "why_fit": "Brilliant.",
}


@pytest.fixture
def opening(poster, direct):
    return OpeningFactory(posted_by=poster, visibility=Opening.Visibility.NETWORK, title="Data Engineer")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services enqueue after commit (tests run tasks at once)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_poster_is_told_of_a_new_referral(committed, opening, direct):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    [message] = mail.outbox
    assert message.to == ["poster@example.com"]
    assert message.subject == "Dan Direct referred Ada Lovelace for Data Engineer"
    assert f"http://testserver/referrals/{referral.pk}/" in message.body
    html = message.alternatives[0][0]
    assert f"http://testserver/referrals/{referral.pk}/" in html and "Brilliant." in html


def test_poster_is_told_of_an_interest_without_the_manager(committed, opening, direct):
    manager = direct.__class__.objects.create_user(email="boss@example.com", full_name="Bo Boss")
    direct.manager = manager
    direct.save()
    with committed():
        services.referral_express_interest(employee=direct, opening=opening, why_fit="I know the stack.")
    assert [m.to for m in mail.outbox] == [["poster@example.com"]]
    assert mail.outbox[0].subject == "Dan Direct is interested in Data Engineer"


def test_nothing_is_sent_when_the_poster_switched_referral_emails_off(committed, opening, direct, poster):
    poster.notify_referrals = False
    poster.save()
    with committed():
        services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    assert mail.outbox == []


def test_referrer_is_told_of_every_status_change(committed, opening, direct, poster, hr):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    mail.outbox.clear()
    with committed():
        services.referral_move(referral=referral, by=poster, status=S.IN_REVIEW, comment="Reading the CV now.")
        services.referral_move(referral=referral, by=hr, status=S.INTERVIEWING)
    assert [m.to for m in mail.outbox] == [["direct@example.com"], ["direct@example.com"]]
    assert mail.outbox[0].subject == "Your referral of Ada Lovelace: in review"
    assert "Reading the CV now." in mail.outbox[0].body
    assert mail.outbox[1].subject == "Your referral of Ada Lovelace: interviewing"


def test_decline_email_gives_the_reason(committed, opening, direct, poster):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    mail.outbox.clear()
    with committed():
        services.referral_move(referral=referral, by=poster, status=S.DECLINED, decline_reason="We need more SQL.")
    [message] = mail.outbox
    assert message.subject == "Your referral of Ada Lovelace: declined"
    assert "We need more SQL." in message.body and "We need more SQL." in message.alternatives[0][0]


def test_referrer_with_emails_off_is_not_told(committed, opening, direct, poster):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    direct.notify_referrals = False
    direct.save()
    mail.outbox.clear()
    with committed():
        services.referral_move(referral=referral, by=poster, status=S.IN_REVIEW)
    assert mail.outbox == []


def test_referrer_is_not_told_of_their_own_withdrawal(committed, opening, direct):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    mail.outbox.clear()
    with committed():
        services.referral_withdraw(referral=referral, by=direct)
    assert mail.outbox == []


def test_service_move_email_names_the_hr_system(committed, hr_service_api, opening, direct):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    mail.outbox.clear()
    with committed():
        response = hr_service_api.patch(
            f"/api/v1/referrals/{referral.pk}/", {"status": "in_review", "comment": "Screening booked"}, format="json"
        )
    assert response.status_code == 200
    [message] = mail.outbox
    assert "HRIS (HR system) wrote" in message.body


def test_refused_submission_or_move_sends_nothing(committed, opening, direct, poster):
    with committed():
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    mail.outbox.clear()
    with committed():
        for call in (
            lambda: services.referral_submit(referrer=direct, opening=opening, **CANDIDATE),
            lambda: services.referral_move(referral=referral, by=poster, status=S.HIRED),
            lambda: services.referral_move(referral=referral, by=poster, status=S.DECLINED),
        ):
            with pytest.raises(ValidationError):
                call()
    assert mail.outbox == []


def test_settings_page_switches_referral_emails(client, direct):
    client.force_login(direct)
    client.post("/settings/", {"notify_connection_requests": "on", "digest_enabled": "on"})
    direct.refresh_from_db()
    assert direct.notify_referrals is False


def test_tasks_take_ids_and_skip_missing_rows(db):
    from referrals.tasks import send_new_referral_email, send_referral_status_email

    assert send_new_referral_email.enqueue(123456).return_value is False
    assert send_referral_status_email.enqueue(123456).return_value is False


def test_weekly_digest_lists_the_referrers_status_changes(opening, direct, poster, stranger):
    from openings.digest import digest_for

    referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    services.referral_move(referral=referral, by=poster, status=S.IN_REVIEW)
    assert [r.pk for r in digest_for(direct).referral_updates] == [referral.pk]
    assert digest_for(stranger).referral_updates == []
    assert digest_for(poster).referral_updates == []  # the digest tells referrers, not posters
