"""A small company whose analytics are known by hand.

    Engineering, Toronto:  Paula (poster) ── a1 … a5          a1 ── b1
    Sales, Sydney:         b1 … b6
    Legal, Toronto:        c1, c2
    People, Toronto:       Hana (HR)

One open network opening by Paula ("Platform lead", Engineering, Toronto): its audience is Paula,
a1…a5 and Hana (HR sees everything): 7 of 15 active employees. Ten referrals to it, made on
10 March 2026 (see `referrals` for the pipeline each one follows).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Division, Location
from accounts.roles import sync_hr_group
from openings.models import Opening
from referrals.models import Referral, ReferralEvent
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory

UTC = timezone.get_fixed_timezone(0)
MADE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TODAY = datetime(2026, 4, 30, 12, 0, tzinfo=UTC)
S = Referral.Status


@pytest.fixture
def company(db):
    eng = Division.objects.create(code="eng", name="Engineering")
    sales = Division.objects.create(code="sales", name="Sales")
    legal = Division.objects.create(code="legal", name="Legal")
    people = Division.objects.create(code="people", name="People")
    tor = Location.objects.create(code="tor", name="Toronto")
    syd = Location.objects.create(code="syd", name="Sydney")
    joined = TODAY - timedelta(days=2000)  # 3 to 10 years

    def person(name, division, location, **kw):
        return UserFactory(full_name=name, division=division, location=location, date_joined=joined, **kw)

    poster = person("Paula Poster", eng, tor, email="paula@example.com")
    a = [person(f"A{i}", eng, tor) for i in range(1, 6)]
    b = [person(f"B{i}", sales, syd) for i in range(1, 7)]
    c = [person(f"C{i}", legal, tor) for i in range(1, 3)]
    hr = person("Hana HR", people, tor, email="hana@example.com", is_staff=True)
    hr.groups.add(sync_hr_group())
    for friend in a:
        connect(poster, friend)
    connect(a[0], b[0])
    opening = OpeningFactory(
        posted_by=poster,
        title="Platform lead",
        division=eng,
        location=tor,
        visibility=Opening.Visibility.NETWORK,
        status=Opening.Status.OPEN,
        opened_at=MADE - timedelta(days=1),
    )
    return {"poster": poster, "a": a, "b": b, "c": c, "hr": hr, "opening": opening, "eng": eng, "sales": sales}


def _referral(opening, referrer, n):
    referral = Referral.objects.create(
        opening=opening,
        referrer=referrer,
        candidate_name=f"Candidate {n}",
        candidate_email=f"c{n}@example.org",
        candidate_email_hash=Referral.hash_email(f"c{n}@example.org"),
    )
    Referral.objects.filter(pk=referral.pk).update(created_at=MADE)
    ReferralEvent.objects.create(referral=referral, from_status="", to_status=S.SUBMITTED, by=referrer, at=MADE)
    return referral


def _move(referral, path, by, start_day, step_days=1):
    at = MADE + timedelta(days=start_day)
    previous = S.SUBMITTED
    for status in path:
        ReferralEvent.objects.create(referral=referral, from_status=previous, to_status=status, by=by, at=at)
        previous = status
        at += timedelta(days=step_days)
    Referral.objects.filter(pk=referral.pk).update(status=previous)


@pytest.fixture
def referrals(company):
    """Ten referrals made on 10 March:
    - 1–4: the poster moves them to review after 2 days; 5–8 after 4 days;
    - 1–5 then go interviewing, offered and hired (hired on day 30); 6 goes interviewing, then declined;
    - 7, 8 are declined from review;
    - 9 is withdrawn by its referrer on day 1 (no response); 10 is declined by the poster on day 6.
    Funnel 10 / 8 / 6 / 5 / 5; first responses after 2,2,2,2,4,4,4,4,6 days (median 4); hires after 30.
    """
    poster, opening, a = company["poster"], company["opening"], company["a"]
    made = [_referral(opening, a[i % 5], i) for i in range(1, 11)]
    for i, referral in enumerate(made[:8], start=1):
        first = 2 if i <= 4 else 4
        if i <= 5:
            _move(referral, [S.IN_REVIEW], poster, first)
            _move_on(referral, [S.INTERVIEWING, S.OFFERED], poster, first + 1)
            ReferralEvent.objects.create(
                referral=referral, from_status=S.OFFERED, to_status=S.HIRED, by=poster, at=MADE + timedelta(days=30)
            )
            Referral.objects.filter(pk=referral.pk).update(status=S.HIRED)
        elif i == 6:
            _move(referral, [S.IN_REVIEW, S.INTERVIEWING, S.DECLINED], poster, first)
        else:
            _move(referral, [S.IN_REVIEW, S.DECLINED], poster, first)
    _move(made[8], [S.WITHDRAWN], made[8].referrer, 1)
    _move(made[9], [S.DECLINED], poster, 6)
    return made


def _move_on(referral, path, by, start_day):
    at = MADE + timedelta(days=start_day)
    previous = S.IN_REVIEW
    for status in path:
        ReferralEvent.objects.create(referral=referral, from_status=previous, to_status=status, by=by, at=at)
        previous = status
        at += timedelta(days=1)
