"""Property: a reach snapshot agrees with the rule, for every employee of generated organisations.

Each organisation (tests/support/visibility.py, with referrals) is spread over two divisions, two
locations and four tenure bands; the snapshot's totals and each of its cells must equal what
`Opening.objects.visible_to(employee)` gives when asked employee by employee.
"""

from collections import Counter
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Division, Location, User
from analytics.models import EmployeeReach
from analytics.reach import HIDDEN, reached_ids, snapshot_take, tenure_band
from openings.models import Opening
from referrals.models import Referral
from tests.support.visibility import build, organisations_with_referrals

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.get_fixed_timezone(0))
TENURE_DAYS = [10, 400, 2000, 5000]


@st.composite
def spread_organisations(draw):
    org = draw(organisations_with_referrals(max_people=8, max_openings=6))
    n = len(org["people"])
    org["places"] = [
        (draw(st.integers(0, 1)), draw(st.integers(0, 1)), draw(st.sampled_from(TENURE_DAYS))) for _ in range(n)
    ]
    return org


def build_spread(org):
    users, openings = build(org)
    divisions = [Division.objects.get(code="d"), Division.objects.create(code="d2", name="Division 2")]
    locations = [Location.objects.get(code="l"), Location.objects.create(code="l2", name="Location 2")]
    for user, (d, loc, days) in zip(users, org["places"], strict=True):
        User.objects.filter(pk=user.pk).update(
            division=divisions[d], location=locations[loc], date_joined=NOW - timedelta(days=days)
        )
    for v, i in org["referrals"]:
        Referral.objects.create(
            opening=openings[i], referrer=users[v], candidate_name="C", candidate_email_hash=f"{v}-{i}"
        )
    return users, openings


def rule_reached(user):
    """Asked of the rule employee by employee: may they see an open hidden opening?"""
    return (
        user.is_active
        and Opening.objects.visible_to(user).filter(status=Opening.Status.OPEN, visibility__in=HIDDEN).exists()
    )


class SnapshotProperty(TestCase):
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=spread_organisations())
    def test_snapshot_agrees_with_visible_to(self, org):
        users, _openings = build_spread(org)
        with time_machine.travel(NOW, tick=False):
            snapshot = snapshot_take()
        people = [User.objects.select_related("division", "location").get(pk=u.pk) for u in users]
        expected = {u.pk for u in people if rule_reached(u)}
        assert reached_ids()[0] == expected
        active = [u for u in people if u.is_active]
        assert snapshot.employees == len(active)
        assert snapshot.reached == len(expected)
        assert snapshot.unreached_90d == len(active) - len(expected)
        assert set(EmployeeReach.objects.values_list("user_id", flat=True)) == expected
        want = Counter()
        for u in active:
            for dim, key in (
                ("division", u.division.code),
                ("location", u.location.code),
                ("tenure", tenure_band(u.date_joined, NOW.date())),
            ):
                want[(dim, key, "employees")] += 1
                want[(dim, key, "reached")] += u.pk in expected
        got = Counter()
        for c in snapshot.cells.all():
            got[(c.dimension, c.key, "employees")] += c.employees
            got[(c.dimension, c.key, "reached")] += c.reached
            assert c.unreached_90d == c.employees - c.reached
        assert +got == +want
