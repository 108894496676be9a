"""Response times (issue 20): working days, reminders and escalations through time, exactly once
under a re-run and a crashed run, notification settings, and what the referrer and HR see."""

from datetime import date
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError

from background import leases
from background.emails import emails_send
from background.models import OutgoingEmail
from openings.models import Opening
from referrals import reminders, services
from referrals.models import Referral, ReferralReminder
from tests.openings.factories import OpeningFactory

S = Referral.Status
K = ReferralReminder.Kind
MADE = "2026-01-05 09:00Z"  # a Monday


def test_working_days_skip_weekends():
    friday = date(2026, 1, 9)
    assert reminders.add_working_days(friday, 1) == date(2026, 1, 12)
    assert reminders.add_working_days(friday, 5) == date(2026, 1, 16)
    assert reminders.add_working_days(date(2026, 1, 5), 10) == date(2026, 1, 19)
    assert reminders.working_days_between(friday, date(2026, 1, 11)) == 0  # the weekend
    assert reminders.working_days_between(friday, date(2026, 1, 16)) == 5
    for start in range(1, 15):
        for span in range(0, 30):
            a = date(2026, 2, start)
            b = date.fromordinal(a.toordinal() + span)
            assert reminders.working_days_between(a, reminders.add_working_days(a, span)) == span
            slow = sum(1 for d in range(a.toordinal() + 1, b.toordinal() + 1) if date.fromordinal(d).weekday() < 5)
            assert reminders.working_days_between(a, b) == slow


@pytest.fixture
def referral(cast):
    opening = OpeningFactory(posted_by=cast["poster"], visibility=Opening.Visibility.COMPANY, title="Data Engineer")
    with time_machine.travel(MADE, tick=False):
        made = services.referral_submit(
            referrer=cast["direct"],
            opening=opening,
            candidate_name="Ada",
            candidate_email="ada@elsewhere.example.org",
            consent_confirmed=True,
        )
    emails_send()
    mail.outbox.clear()
    return made


def run_at(moment):
    """The daily command at `moment`, then the outbox's sender; returns the emails sent."""
    with time_machine.travel(moment, tick=False):
        call_command("send_referral_reminders", stdout=mock.Mock())
        emails_send()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_reminder_then_escalation_through_time_each_once(cast, referral, client):
    poster, hr = cast["poster"], cast["hr"]
    assert run_at("2026-01-09 18:00Z") == []  # 4 working days
    assert run_at("2026-01-11 18:00Z") == []  # the weekend does not count
    sent = run_at("2026-01-12 07:00Z")  # 5 working days
    assert [(m.to, m.subject) for m in sent] == [([poster.email], "Waiting for you: Ada for Data Engineer")]
    assert "waiting for your answer" in sent[0].body
    assert run_at("2026-01-12 18:00Z") == []  # re-run the same day
    assert run_at("2026-01-16 18:00Z") == []  # 9 working days
    sent = run_at("2026-01-19 07:00Z")  # 10 working days: HR is told
    assert [(m.to, m.subject) for m in sent] == [([hr.email], "Waiting too long: Ada for Data Engineer")]
    assert run_at("2026-01-20 07:00Z") == []
    assert set(ReferralReminder.objects.values_list("kind", flat=True)) == {K.RESPONSE_REMINDER, K.RESPONSE_ESCALATION}

    client.force_login(hr)
    with time_machine.travel("2026-01-20 07:00Z", tick=False):
        page = client.get("/hr/").content.decode()
    assert "Waiting too long" in page and "Ada" in page.split("Waiting too long")[1]


def test_a_stale_stage_reminds_and_escalates_once(cast, referral):
    with time_machine.travel("2026-01-06 09:00Z", tick=False):
        services.referral_move(referral=referral, by=cast["poster"], status=S.IN_REVIEW)
    mail.outbox.clear()
    emails_send()
    mail.outbox.clear()
    assert run_at("2026-01-26 09:00Z") == []  # 20 days untouched
    sent = run_at("2026-01-27 09:00Z")  # 21 days
    assert sorted(m.to[0] for m in sent) == sorted([cast["poster"].email, cast["hr"].email])
    assert run_at("2026-01-28 09:00Z") == []
    # Moving on starts a new stage: its own clock, its own reminders.
    with time_machine.travel("2026-01-28 10:00Z", tick=False):
        services.referral_move(referral=referral, by=cast["poster"], status=S.INTERVIEWING)
    emails_send()
    mail.outbox.clear()
    assert len(run_at("2026-02-18 10:00Z")) == 2
    assert ReferralReminder.objects.filter(status=S.INTERVIEWING).count() == 2


def test_reminders_respect_the_posters_settings_but_escalations_always_go(cast, referral):
    poster = cast["poster"]
    poster.notify_referrals = False
    poster.save(update_fields=["notify_referrals"])
    cast["hr"].notify_referrals = False
    cast["hr"].save(update_fields=["notify_referrals"])
    assert run_at("2026-01-12 07:00Z") == []
    assert OutgoingEmail.objects.filter(kind="referral_reminder", status="skipped").count() == 1
    assert [m.to for m in run_at("2026-01-19 07:00Z")] == [[cast["hr"].email]]


def test_a_referral_answered_in_time_gets_nothing(cast, referral):
    with time_machine.travel("2026-01-08 09:00Z", tick=False):
        services.referral_move(referral=referral, by=cast["poster"], status=S.IN_REVIEW)
    emails_send()
    mail.outbox.clear()
    assert run_at("2026-01-19 07:00Z") == []
    assert not ReferralReminder.objects.exists()


def test_a_reminder_queued_before_the_poster_answered_is_not_sent(cast, referral):
    with time_machine.travel("2026-01-12 07:00Z", tick=False):
        call_command("send_referral_reminders", stdout=mock.Mock())
        services.referral_move(referral=referral, by=cast["poster"], status=S.IN_REVIEW)
    mail.outbox.clear()
    emails_send()
    assert [m for m in mail.outbox if "Waiting" in m.subject] == []


def test_a_run_killed_halfway_is_completed_once_by_the_next(cast, referral):
    """The crash inside the marker's transaction: the second referral's marker and email roll back
    together; the next run queues exactly what is missing."""
    others = [
        services.referral_submit(
            referrer=cast["direct"],
            opening=referral.opening,
            candidate_name=f"C{i}",
            candidate_email=f"c{i}@elsewhere.example.org",
            consent_confirmed=True,
        )
        for i in range(3)
    ]
    Referral.objects.filter(pk__in=[o.pk for o in others]).update(created_at=referral.created_at)
    real_queue = reminders.email_queue
    calls = []

    def dies_on_the_second(kind, object_id):
        calls.append(object_id)
        if len(calls) == 2:
            raise SystemExit("killed")
        return real_queue(kind, object_id)

    with time_machine.travel("2026-01-12 07:00Z", tick=False):
        with mock.patch.object(reminders, "email_queue", side_effect=dies_on_the_second):
            with pytest.raises(SystemExit):
                reminders.reminders_send()
        assert ReferralReminder.objects.count() == OutgoingEmail.objects.filter(kind="referral_reminder").count() == 1
        reminders.reminders_send()
        reminders.reminders_send()
    assert ReferralReminder.objects.count() == 4
    assert OutgoingEmail.objects.filter(kind="referral_reminder").count() == 4


def test_a_sender_that_crashed_between_claim_and_send_is_relieved_after_its_lease(cast, referral, settings):
    with time_machine.travel("2026-01-12 07:00Z", tick=False):
        reminders.reminders_send()
        claimed = leases.claim(OutgoingEmail.objects.filter(kind="referral_reminder"), holder="dead-worker:1:x")
        assert len(claimed) == 1
        assert emails_send() == {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}  # still leased
    assert mail.outbox == []
    with time_machine.travel(f"2026-01-12 07:{settings.LEASE_SECONDS // 60 + 1:02d}:30Z", tick=False):
        assert emails_send()["sent"] == 1
        assert emails_send()["sent"] == 0
    assert len(mail.outbox) == 1


def test_the_marker_is_unique_per_referral_status_and_kind(referral):
    ReferralReminder.objects.create(referral=referral, status=S.SUBMITTED, kind=K.RESPONSE_REMINDER)
    with pytest.raises(IntegrityError):
        ReferralReminder.objects.create(referral=referral, status=S.SUBMITTED, kind=K.RESPONSE_REMINDER)


def test_the_referrer_sees_who_and_how_long_and_when_to_expect_an_answer(client, cast, referral):
    poster = cast["poster"]
    client.force_login(cast["direct"])
    with time_machine.travel("2026-01-08 12:00Z", tick=False):  # Thursday: 3 days
        detail = client.get(f"/referrals/{referral.pk}/").content.decode()
        listing = client.get("/referrals/").content.decode()
    assert f"Waiting for {poster.full_name} for 3 days" in detail
    assert "Expect an answer by Monday 12 January" in detail
    assert f"Waiting for {poster.full_name} for 3 days" in listing
    with time_machine.travel("2026-01-20 12:00Z", tick=False):
        detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "for 15 days" in detail and "HR has been told" in detail
    client.force_login(poster)
    with time_machine.travel("2026-01-08 12:00Z", tick=False):
        assert "Waiting for" not in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_hr_sees_the_median_time_to_first_response(client, cast, referral):
    with time_machine.travel("2026-01-07 09:00Z", tick=False):  # 2 days after it was made
        services.referral_move(referral=referral, by=cast["poster"], status=S.IN_REVIEW)
    other = services.referral_submit(
        referrer=cast["direct"],
        opening=referral.opening,
        candidate_name="Bo",
        candidate_email="bo@elsewhere.example.org",
        consent_confirmed=True,
    )
    services.referral_withdraw(referral=other, by=cast["direct"])  # the referrer's own move is no response
    with time_machine.travel("2026-02-01 09:00Z", tick=False):
        medians = reminders.first_response_medians(cast["hr"])
    assert medians["by_poster"] == [{"poster": cast["poster"].full_name, "median_days": 2.0, "n": 1}]
    assert medians["by_division"][0]["median_days"] == 2.0
    assert reminders.first_response_medians(cast["direct"]) == {"by_poster": [], "by_division": []}
    client.force_login(cast["hr"])
    with time_machine.travel("2026-02-01 09:00Z", tick=False):
        page = client.get("/hr/").content.decode()
    assert "Time to first response" in page and cast["poster"].full_name in page.split("Time to first response")[1]


def test_the_daily_task_runs_both_jobs(cast, referral):
    from referrals.tasks import send_referral_reminders

    with time_machine.travel("2026-01-12 07:00Z", tick=False):
        result = send_referral_reminders.call()
    assert result["queued"][K.RESPONSE_REMINDER] == 1 and result["bonuses_eligible"] == 0


def test_public_holidays_of_the_posters_location_are_not_working_days():
    monday = date(2025, 12, 29)
    assert reminders.add_working_days(monday, 5) == date(2026, 1, 5)
    assert reminders.add_working_days(monday, 5, "DE") == date(2026, 1, 6)  # 1 January
    assert reminders.working_days_between(monday, date(2026, 1, 5), "DE") == 4
    assert reminders.working_days_between(monday, date(2026, 1, 5), "") == 5
    assert reminders.public_holidays("ZZ", 2026) == frozenset()  # unknown: weekends only


def test_the_reminder_waits_for_the_posters_holiday(cast):
    location = cast["poster"].location
    location.country = "DE"
    location.save(update_fields=["country"])
    opening = OpeningFactory(posted_by=cast["poster"], visibility=Opening.Visibility.COMPANY)
    with time_machine.travel("2025-12-29 09:00Z", tick=False):
        services.referral_submit(
            referrer=cast["direct"],
            opening=opening,
            candidate_name="Ada",
            candidate_email="a@x.example.org",
            consent_confirmed=True,
        )
    emails_send()
    mail.outbox.clear()
    assert run_at("2026-01-05 12:00Z") == []  # 4 working days in Germany
    assert [m.to for m in run_at("2026-01-06 12:00Z")] == [[cast["poster"].email]]


def test_a_location_country_must_be_a_two_letter_code(db):
    from django.core.exceptions import ValidationError

    from tests.factories import LocationFactory

    location = LocationFactory(country="de")
    with pytest.raises(ValidationError):
        location.full_clean()


def test_the_hris_sets_a_locations_country_through_the_api(hr_service_api):
    response = hr_service_api.post(
        "/api/v1/locations/", {"code": "ber", "name": "Berlin", "country": "DE"}, format="json"
    )
    assert response.status_code == 201 and response.json()["country"] == "DE"
    bad = hr_service_api.post(
        "/api/v1/locations/", {"code": "muc", "name": "Munich", "country": "Germany"}, format="json"
    )
    assert bad.status_code == 400 and "country" in bad.json()["fields"]
