"""Data retention: candidates' personal data on ended referrals is erased after the retention period."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from referrals import services
from referrals.models import DUPLICATE_MESSAGE, Referral, ReferralEvent
from referrals.tasks import erase_expired_referrals
from tests.referrals.factories import ReferralFactory

S = Referral.Status
DAY = timedelta(days=1)


def aged(status, days, **kwargs):
    referral = ReferralFactory(
        status=status,
        status_changed_at=timezone.now() - days * DAY,
        candidate_phone="+49 30 1234567",
        candidate_profile_url="https://example.org/ada",
        decline_reason="Too junior" if status == S.DECLINED else "",
        **kwargs,
    )
    ReferralEvent.objects.create(
        referral=referral, from_status=S.SUBMITTED, to_status=status, comment="She told me about her health."
    )
    return referral


def test_retention_setting_defaults_to_a_year(settings):
    from config.settings import base

    assert base.REFERRAL_RETENTION_DAYS == 365


@pytest.mark.parametrize("status", [S.HIRED, S.DECLINED, S.WITHDRAWN])
def test_ended_referrals_past_retention_are_erased(db, settings, status):
    settings.REFERRAL_RETENTION_DAYS = 365
    old = aged(status, 366)
    email_hash = old.candidate_email_hash
    assert services.referrals_erase_expired() == 1
    old.refresh_from_db()
    assert old.candidate_name == "Erased"
    assert (
        old.candidate_email,
        old.candidate_phone,
        old.candidate_profile_url,
        old.relationship,
        old.why_fit,
        old.decline_reason,
    ) == ("",) * 6
    assert old.candidate_employee is None
    assert old.personal_data_erased_at is not None
    assert old.candidate_email_hash == email_hash  # kept: duplicates are still recognised
    assert old.status == status and old.events.count() == 2  # the history's statuses stay...
    assert not old.events.exclude(comment="").exists()  # ...its free text goes


@pytest.mark.parametrize(
    "status,days", [(S.HIRED, 364), (S.SUBMITTED, 900), (S.IN_REVIEW, 900), (S.INTERVIEWING, 900), (S.OFFERED, 900)]
)
def test_recent_or_active_referrals_are_kept(db, settings, status, days):
    settings.REFERRAL_RETENTION_DAYS = 365
    kept = aged(status, days)
    assert services.referrals_erase_expired() == 0
    kept.refresh_from_db()
    assert kept.candidate_name.startswith("Candidate") and kept.candidate_email


def test_retention_period_follows_the_setting(db, settings):
    settings.REFERRAL_RETENTION_DAYS = 30
    aged(S.DECLINED, 31)
    aged(S.DECLINED, 29)
    assert services.referrals_erase_expired() == 1


def test_erasure_runs_once_and_accepts_a_clock(db, settings):
    settings.REFERRAL_RETENTION_DAYS = 365
    referral = aged(S.WITHDRAWN, 10)
    assert services.referrals_erase_expired() == 0
    later = timezone.now() + 400 * DAY
    assert services.referrals_erase_expired(now=later) == 1
    assert services.referrals_erase_expired(now=later) == 0
    referral.refresh_from_db()
    assert referral.personal_data_erased_at == later


def test_daily_task_and_command(db, settings):
    settings.REFERRAL_RETENTION_DAYS = 365
    aged(S.HIRED, 400)
    aged(S.DECLINED, 400)
    assert erase_expired_referrals.enqueue().return_value == 2
    aged(S.WITHDRAWN, 500)
    out = StringIO()
    call_command("erase_expired_referrals", stdout=out)
    assert "Erased the personal data of 1 referral (retention 365 days)." in out.getvalue()


def test_erased_candidate_is_still_recognised_as_a_duplicate(cast, settings):
    from tests.openings.factories import OpeningFactory

    opening = OpeningFactory(posted_by=cast["poster"])
    first = services.referral_submit(
        referrer=cast["direct"],
        opening=opening,
        candidate_name="Ada",
        candidate_email="ada@example.org",
        consent_confirmed=True,
    )
    services.referral_erase_personal_data(referral=first)  # HR erasing on request, while still active
    with pytest.raises(ValidationError) as error:
        services.referral_submit(
            referrer=cast["direct"],
            opening=opening,
            candidate_name="Ada",
            candidate_email="ADA@example.org",
            consent_confirmed=True,
        )
    assert error.value.message_dict == {"candidate_email": [DUPLICATE_MESSAGE]}


def test_erased_referral_pages_say_so(client, api_as, cast):
    from tests.openings.factories import OpeningFactory

    opening = OpeningFactory(posted_by=cast["poster"])
    referral = ReferralFactory(opening=opening, referrer=cast["direct"], candidate_name="Ada", status=S.HIRED)
    services.referrals_erase_expired(now=timezone.now() + 400 * DAY)
    client.force_login(cast["poster"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "personal data was erased" in page and "Ada" not in page
    body = api_as(cast["poster"]).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert body["candidate_name"] == "Erased" and body["candidate_email"] == "" and body["personal_data_erased_at"]
