"""PostgreSQL only: two HR people approving one bonus at the same instant, and the reminder
command killed with SIGKILL in the middle of its run (issue 20).

SQLite serialises writers, so neither race can happen there; the same rules are exercised on
SQLite by the simulated crash and the sequential second approval in test_reminders.py and
test_bonuses.py.
"""

import os
import subprocess
import sys
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import User
from background.models import OutgoingEmail
from referrals import bonuses
from referrals.models import BonusEvent, Referral, ReferralBonus, ReferralReminder
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL: SQLite serialises writers (no real race), and the killed command runs in "
        "another process that must see the test's committed rows.",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("round_", range(3))
def test_two_hr_approving_at_once_one_succeeds_the_other_is_told_it_moved(round_):
    from accounts.roles import sync_hr_group

    group = sync_hr_group()
    first, second = UserFactory(), UserFactory()
    for person in (first, second):
        person.groups.add(group)
    referral = ReferralFactory(status=Referral.Status.HIRED, bonus_amount=Decimal("700"), bonus_currency="EUR")
    bonus = ReferralBonus.objects.create(
        referral=referral,
        amount=Decimal("700"),
        currency="EUR",
        status=ReferralBonus.Status.ELIGIBLE,
        start_date=date(2026, 1, 1),
        eligible_on=date(2026, 4, 1),
    )
    barrier = threading.Barrier(2)
    outcomes = {}

    def approve(user_id):
        try:
            user = User.objects.get(pk=user_id)
            barrier.wait(timeout=10)
            bonuses.bonus_approve(bonus=bonus, by=user)
            outcomes[user_id] = "approved"
        except bonuses.BonusAlreadyMoved as moved:
            outcomes[user_id] = f"moved: {moved.message}"
        except Exception as error:  # pragma: no cover - reported by the assertion below
            outcomes[user_id] = f"error: {error!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u.pk,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    results = sorted(outcomes.values())
    assert results[0] == "approved", outcomes
    assert results[1].startswith("moved: This bonus was already approved"), outcomes
    assert BonusEvent.objects.filter(bonus=bonus, to_status=ReferralBonus.Status.APPROVED).count() == 1


def _environment():
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


# The real command in a real process, killed by SIGKILL from inside its third marker transaction.
KILLED_RUN = """
import os, signal, django
django.setup()
from django.core.management import call_command
from referrals import reminders
real = reminders.email_queue
calls = []
def queue(kind, object_id):
    calls.append(object_id)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(kind, object_id)
reminders.email_queue = queue
call_command("send_referral_reminders")
"""


def test_the_reminder_command_killed_halfway_is_completed_once_by_the_next_runs():
    poster = UserFactory()
    opening = OpeningFactory(posted_by=poster)
    made = [ReferralFactory(opening=opening, referrer=UserFactory()) for _ in range(8)]
    Referral.objects.filter(pk__in=[r.pk for r in made]).update(created_at=timezone.now() - timedelta(days=9))

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN], cwd=ROOT, env=_environment(), capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -9, killed.stderr
    assert ReferralReminder.objects.count() == 2  # the third died with its transaction
    for _ in range(2):
        again = subprocess.run(
            [sys.executable, "manage.py", "send_referral_reminders"],
            cwd=ROOT,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
    markers = ReferralReminder.objects.filter(kind=ReferralReminder.Kind.RESPONSE_REMINDER)
    assert sorted(markers.values_list("referral_id", flat=True)) == sorted(r.pk for r in made)
    queued = OutgoingEmail.objects.filter(kind="referral_reminder")
    assert sorted(queued.values_list("object_id", flat=True)) == sorted(markers.values_list("pk", flat=True))
