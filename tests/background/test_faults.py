"""Fault tests: the real commands in real processes, killed with SIGKILL, against PostgreSQL and a
real SMTP server on 127.0.0.1 that hangs or vanishes. Each asserts, per recipient, exactly one
email once the next scheduled run has run, with no flag.

PostgreSQL only: the commands run in subprocesses that must see the test's committed rows, and
skip_locked leases are what is under test. Leases are shortened through the environment
(LEASE_SECONDS=6, EMAIL_TIMEOUT=2, TASK_LEASE_SECONDS=3) so that the set runs in well under a
minute.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from background.models import OutgoingEmail
from openings import digest as digest_lib
from openings.models import DigestDelivery, Opening
from tests.background.smtp_server import FaultSmtpServer
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="fault tests need PostgreSQL: the real commands run in other processes against the test database",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
LEASE = 6


def environment(smtp_port, **extra):
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "2",
        "LEASE_SECONDS": str(LEASE),
        "TASK_LEASE_SECONDS": "3",
        "WORKER_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(args, smtp_port, **extra):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(smtp_port, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(args, smtp_port, timeout=60, **extra):
    process = start(args, smtp_port, **extra)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def wait_for(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        stream.close()


@pytest.fixture
def smtp():
    server = FaultSmtpServer()
    yield server
    server.close()


@pytest.fixture
def company(db):
    """A poster and eight colleagues who each have one new company-wide opening in their digest."""
    poster = UserFactory(email="poster@example.com")
    OpeningFactory(
        posted_by=poster, visibility=Opening.Visibility.COMPANY, opened_at=timezone.now() - timedelta(hours=1)
    )
    colleagues = [UserFactory(email=f"colleague{i}@example.com") for i in range(8)]
    return sorted(u.email for u in colleagues)


def assert_taken_only_after_their_lease(held):
    """A row another process held is sent by someone else only once its lease has run out."""
    for row in held:
        now = type(row).objects.get(pk=row.pk)
        if now.status == "sent":
            assert now.sent_at > row.lease_until, (row, row.lease_until, now.sent_at)


def exactly_once(smtp, emails):
    counts = smtp.per_recipient()
    assert {email: counts.get(email, 0) for email in emails} == {email: 1 for email in emails}, counts
    assert sum(counts.values()) == len(emails), counts


def test_a_digest_run_killed_mid_send_is_completed_by_the_next_run_without_duplicates(smtp, company):
    smtp.hang_after = 3  # the fourth message hangs in the SMTP exchange
    process = start(["send_weekly_digest", "--batch-size", "3"], smtp.port)
    wait_for(smtp.hanging.is_set, what="the fourth message to reach the server")
    kill(process)
    smtp.heal()
    assert len(smtp.messages) == 3
    week = digest_lib.week_of()
    # The message in flight and the rest of its batch stay with the dead run until its lease ends.
    held = list(DigestDelivery.objects.filter(week=week, status="claimed").select_related("user"))
    assert held and all(d.lease_until > timezone.now() for d in held)
    code, output = run(["send_weekly_digest"], smtp.port)  # the next scheduled run, at once
    assert code == 0, output
    assert_taken_only_after_their_lease(held)
    wait_for(lambda: timezone.now() > max(d.lease_until for d in held), timeout=LEASE + 2, what="the lease to expire")
    code, output = run(["send_weekly_digest"], smtp.port)  # the run after: no flag needed
    assert code == 0, output
    exactly_once(smtp, company)
    assert DigestDelivery.objects.filter(week=week, status="sent").count() == len(company)


def test_a_run_during_a_live_run_never_takes_what_the_live_run_holds(smtp, company):
    smtp.hang_after = 0  # the first message hangs until released
    # A patient first run: its hung message waits for the server instead of timing out.
    first = start(["send_weekly_digest", "--batch-size", "100"], smtp.port, EMAIL_TIMEOUT=30, LEASE_SECONDS=90)
    wait_for(smtp.hanging.is_set, what="the first run's first message to hang")
    smtp.hang_after = None  # later connections are answered at once; the hung one still waits
    code, output = run(["send_weekly_digest"], smtp.port)
    assert code == 0, output
    assert "held by another run" in output
    smtp.release.set()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    exactly_once(smtp, company)


def test_a_mail_server_that_vanished_fails_the_run_loudly_and_the_next_run_sends_each_once(smtp, company):
    gone = FaultSmtpServer()
    port = gone.port
    gone.vanish()
    code, output = run(["send_weekly_digest"], port)
    assert code != 0
    assert f"{len(company)} digest(s) could not be sent" in output
    assert DigestDelivery.objects.filter(status="failed").count() == len(company)
    code, output = run(["send_weekly_digest"], smtp.port)  # the next hourly run, server back
    assert code == 0, output
    exactly_once(smtp, company)


def test_outbox_emails_of_a_killed_sender_are_sent_once_after_its_lease(smtp, db):
    people = [UserFactory(email=f"person{i}@example.com") for i in range(5)]
    from accounts import network

    asker = UserFactory(email="asker@example.com")
    with __import__("django.test.utils", fromlist=["override_settings"]).override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        for person in people:
            network.connection_request_send(sender=asker, recipient=person)
    assert OutgoingEmail.objects.filter(status="pending").count() == 5
    smtp.hang_after = 2
    process = start(["send_due_emails"], smtp.port)
    wait_for(smtp.hanging.is_set, what="the third email to hang")
    kill(process)
    smtp.heal()
    code, output = run(["send_due_emails"], smtp.port)
    assert code == 0, output
    held = list(OutgoingEmail.objects.filter(status="pending"))  # the dead sender's, still leased
    assert held and all(e.holder and e.lease_until > timezone.now() for e in held)
    wait_for(lambda: timezone.now() > max(e.lease_until for e in held), timeout=LEASE + 2, what="the lease to expire")
    code, output = run(["send_due_emails"], smtp.port)
    assert code == 0, output
    exactly_once(smtp, sorted(p.email for p in people))


def test_a_worker_killed_mid_task_has_its_task_requeued_and_finished_by_another(smtp, company, settings):
    from django_tasks_db.models import DBTaskResult

    from openings.tasks import send_digest_batch

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    ids = list(digest_lib.recipients().values_list("pk", flat=True))
    result = send_digest_batch.enqueue(week=digest_lib.week_of(), user_ids=ids)
    smtp.hang_after = 2
    worker = start(["run_worker", "--interval", "0.1", "--no-startup-delay"], smtp.port)
    wait_for(smtp.hanging.is_set, what="the worker's third message to hang")
    kill(worker)
    smtp.heal()
    assert DBTaskResult.objects.get(pk=result.id).status == "RUNNING"
    second = start(["run_worker", "--interval", "0.1", "--no-startup-delay"], smtp.port)
    try:
        wait_for(
            lambda: DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL", timeout=30, what="the re-queued task"
        )
    finally:
        kill(second)
    row = DBTaskResult.objects.get(pk=result.id)
    assert len(row.worker_ids) == 2  # run by the dead worker, then by the second one
    held = list(DigestDelivery.objects.filter(status="claimed"))  # what the dead worker held
    assert held
    wait_for(lambda: timezone.now() > max(d.lease_until for d in held), timeout=LEASE + 2, what="the lease to expire")
    code, output = run(["send_weekly_digest"], smtp.port)  # the next hourly run
    assert code == 0, output
    exactly_once(smtp, company)
