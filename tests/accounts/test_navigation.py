"""The header: my name links to my profile, and counts of what waits for me, in constant queries."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.network import connection_request_send
from referrals.models import Referral
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


def test_hr_sees_referrals_waiting_too_long(client, hr, settings):
    settings.REFERRAL_WAITING_TOO_LONG_DAYS = 14
    old = timezone.now() - timedelta(days=15)
    ReferralFactory(status=S.SUBMITTED, status_changed_at=old)
    ReferralFactory(status=S.SUBMITTED)  # recent
    ReferralFactory(status=S.IN_REVIEW, status_changed_at=old)  # someone already acted
    client.force_login(hr)
    assert nav_count(client.get("/").content.decode(), "HR") == 1


def test_no_counts_for_an_employee_with_nothing_waiting(client, stranger):
    client.force_login(stranger)
    body = client.get("/openings/").content.decode()
    assert 'class="count"' not in body and ">HR<" not in body


@pytest.mark.parametrize("size", [2, 20])
def test_navigation_counts_run_constant_queries(client, poster, hr, django_assert_max_num_queries, size):
    opening = OpeningFactory(posted_by=poster)
    for _ in range(size):
        ReferralFactory(opening=opening, status=S.SUBMITTED, status_changed_at=timezone.now() - timedelta(days=30))
        connection_request_send(sender=UserFactory(), recipient=poster)
    client.force_login(poster)
    with django_assert_max_num_queries(14):
        body = client.get("/").content.decode()
    assert nav_count(body, "Referrals") == size and nav_count(body, "Network") == size
    client.force_login(hr)
    with django_assert_max_num_queries(15):
        assert nav_count(client.get("/").content.decode(), "HR") == size
