"""The email outbox: rows written with their cause, sent with retries and backoff, under a lease."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts import network
from background import emails, leases
from background.models import OutgoingEmail
from referrals import services
from referrals.models import Referral
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory

pytestmark = pytest.mark.django_db

CANDIDATE = {
    "candidate_name": "Casey Candidate",
    "candidate_email": "casey@example.org",
    "relationship": "We worked together for two years.",
    "why_fit": "Strong analyst.",
    "consent_confirmed": True,
}


class Down:
    """An email backend whose mail server is down (every send raises)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def opening(poster):
    from openings.models import Opening

    return OpeningFactory(posted_by=poster, visibility=Opening.Visibility.COMPANY)


def test_every_notification_is_an_outbox_row_written_with_its_cause(
    poster, direct, stranger, opening, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
        services.referral_move(referral=referral, by=poster, status=Referral.Status.IN_REVIEW)
        request_obj = network.connection_request_send(sender=direct, recipient=stranger)
    with django_capture_on_commit_callbacks(execute=True):
        network.connection_request_accept(request_obj=request_obj, by=stranger)
    rows = list(OutgoingEmail.objects.order_by("pk").values_list("kind", "status", "to"))
    assert rows == [
        ("referral_new", "sent", poster.email),
        ("referral_status", "sent", direct.email),
        ("connection_request", "sent", stranger.email),
        ("connection_accepted", "sent", direct.email),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([poster.email, direct.email, stranger.email, direct.email])


def test_a_change_rolled_back_writes_and_sends_no_email(direct, stranger, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            network.connection_request_send(sender=direct, recipient=stranger)
            raise RuntimeError("the surrounding change fails")
    assert not OutgoingEmail.objects.exists() and mail.outbox == []


def test_a_mail_server_outage_delays_notifications_and_backs_off_from_minutes_to_hours(
    settings, poster, direct, opening, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.background.test_outbox.Down"
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_submit(referrer=direct, opening=opening, **CANDIDATE)
    row = OutgoingEmail.objects.get()
    assert row.status == "pending" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt_at - timezone.now() <= timedelta(minutes=2)  # first retry within two minutes
    waits = [row.next_attempt_at - timezone.now()]
    for _ in range(5):
        with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
            assert emails.emails_send() == {"sent": 0, "skipped": 0, "retrying": 1, "failed": 0}
            row.refresh_from_db()
            waits.append(row.next_attempt_at - timezone.now())
    assert waits == sorted(waits) and waits[-1] >= timedelta(hours=6)  # backing off to hours
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(row.next_attempt_at - timedelta(seconds=5), tick=False):
        assert emails.emails_send()["sent"] == 0  # not due yet
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert emails.emails_send()["sent"] == 1
        assert emails.emails_send()["sent"] == 0
    assert [m.to for m in mail.outbox] == [[poster.email]]


def test_after_the_last_attempt_the_email_is_marked_failed(settings, direct, stranger):
    settings.EMAIL_BACKEND = "tests.background.test_outbox.Down"
    request_obj = network.connection_request_send(sender=direct, recipient=stranger)
    row = OutgoingEmail.objects.get()
    OutgoingEmail.objects.filter(pk=row.pk).update(attempts=emails.MAX_ATTEMPTS - 1)
    assert emails.emails_send() == {"sent": 0, "skipped": 0, "retrying": 0, "failed": 1}
    assert OutgoingEmail.objects.get().status == "failed"
    assert request_obj.pk


def test_an_email_another_live_process_holds_is_left_alone_until_its_lease_expires(direct, stranger):
    network.connection_request_send(sender=direct, recipient=stranger)  # tasks run at once in tests
    mail.outbox.clear()
    row = OutgoingEmail.objects.get()
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status="pending", holder="other-host:42:abc", lease_until=timezone.now() + leases.lease_length()
    )
    assert emails.emails_send()["sent"] == 0 and mail.outbox == []
    with time_machine.travel(timezone.now() + leases.lease_length() + timedelta(seconds=1), tick=False):
        assert emails.emails_send()["sent"] == 1
    assert [m.to for m in mail.outbox] == [[stranger.email]]
    assert OutgoingEmail.objects.get().holder == ""


def test_an_email_whose_cause_went_away_is_skipped(direct, stranger, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    request_obj = network.connection_request_send(sender=direct, recipient=stranger)
    network.connection_request_withdraw(request_obj=request_obj, by=direct)
    assert emails.emails_send() == {"sent": 0, "skipped": 1, "retrying": 0, "failed": 0}
    assert mail.outbox == [] and OutgoingEmail.objects.get().status == "skipped"


def test_send_due_emails_command_says_how_many_failed(settings, direct, stranger):
    from django.core.management import CommandError, call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    network.connection_request_send(sender=direct, recipient=stranger)
    settings.EMAIL_BACKEND = "tests.background.test_outbox.Down"
    with pytest.raises(CommandError, match="1 email"):
        call_command("send_due_emails")
    assert UserFactory  # the cast is enough here
