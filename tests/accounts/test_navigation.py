"""The header: my name links to my profile, and counts of what waits for me, in constant queries."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.network import connection_request_send
from referrals.models import Referral
from referrals.reminders import reminders_send
from referrals.services import referral_move
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

S = Referral.Status


def nav_count(body, label):
    match = re.search(rf">{label} <span class=\"count\">(\d+)<", body)
    return int(match.group(1)) if match else 0


def test_counts_what_waits_for_me(client, poster, hr):
    opening = OpeningFactory(posted_by=poster)
    ReferralFactory(opening=opening, status=S.SUBMITTED)
    ReferralFactory(opening=opening, status=S.IN_REVIEW)
    ReferralFactory(opening=opening, status=S.INTERVIEWING)  # waits for the interview, not for her
    ReferralFactory(opening=opening, status=S.DECLINED)
    ReferralFactory(status=S.SUBMITTED)  # someone else's opening
    connection_request_send(sender=UserFactory(), recipient=poster)
    client.force_login(poster)
    body = client.get("/").content.decode()
    assert nav_count(body, "Referrals") == 2
    assert nav_count(body, "Network") == 1
    assert f'href="/people/{poster.pk}/" class="me"' in body
    # The home page lists them, and says how many are in the pipeline.
    assert "Referrals waiting for you" in body and "3 active candidates in your pipeline" in body


def test_hr_sees_referrals_waiting_too_long(client, hr):
    """The header counts what /hr/ lists under "Waiting too long": referrals escalated to HR and
    still where they were escalated."""
    long_ago = timezone.now() - timedelta(days=30)
    with time_machine.travel(long_ago, tick=False):
        waiting = ReferralFactory(status=S.SUBMITTED)
        moved_on = ReferralFactory(status=S.SUBMITTED)
    ReferralFactory(status=S.SUBMITTED)  # recent: nothing is due
    reminders_send()
    referral_move(referral=moved_on, by=moved_on.opening.posted_by, status=S.IN_REVIEW)  # the poster answered since
    client.force_login(hr)
    body = client.get("/").content.decode()
    assert nav_count(body, "HR") == 1
    assert waiting.candidate_name in client.get("/hr/").content.decode()


def test_no_counts_for_an_employee_with_nothing_waiting(client, stranger):
    client.force_login(stranger)
    body = client.get("/openings/").content.decode()
    assert 'class="count"' not in body and ">HR<" not in body


@pytest.mark.parametrize("size", [2, 20])
def test_navigation_counts_run_constant_queries(client, poster, hr, django_assert_max_num_queries, size):
    opening = OpeningFactory(posted_by=poster)
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        for _ in range(size):
            ReferralFactory(opening=opening, status=S.SUBMITTED)
    for _ in range(size):
        connection_request_send(sender=UserFactory(), recipient=poster)
    reminders_send()  # all of them escalated to HR
    client.force_login(poster)
    with django_assert_max_num_queries(14):
        body = client.get("/").content.decode()
    assert nav_count(body, "Referrals") == size and nav_count(body, "Network") == size
    client.force_login(hr)
    with django_assert_max_num_queries(15):
        assert nav_count(client.get("/").content.decode(), "HR") == size
