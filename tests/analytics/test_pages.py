"""The analytics on /hr/ and the opening pages: who sees them, the range's bad input, the charts."""

import re

import pytest
import time_machine

from analytics.reach import snapshot_take
from tests.analytics.conftest import TODAY


@pytest.fixture
def hr_client(client, company):
    client.force_login(company["hr"])
    return client


def test_hr_page_draws_each_chart_with_title_desc_and_table(hr_client, company, referrals):
    with time_machine.travel(TODAY, tick=False):
        snapshot_take()
        body = hr_client.get("/hr/?period=365").content.decode()
    for key in ("funnel", "monthly", "medians", "reach_division", "reach_location", "reach_tenure", "reach_trend"):
        figure = re.search(rf'<figure class="chart" id="{key}">(.*?)</figure>', body, re.S)
        assert figure, key
        svg = figure.group(1)
        assert f'<title id="chart-{key}-title">' in svg and f'<desc id="chart-{key}-desc">' in svg
        assert f'id="table-{key}"' in svg and f"/hr/analytics/{key}.csv?period=365" in svg
    assert "<script" not in body.split('id="analytics"')[1]
    assert "7</strong> of 15 active employees" in body


def test_hr_page_without_a_snapshot_says_how_to_take_one(hr_client):
    assert "snapshot_reach" in hr_client.get("/hr/").content.decode()


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("period=custom&start=2026-04-10&end=2026-04-01", "end", "before its start"),
        ("start=2020-01-01&end=2025-01-02", "end", "at most 5 years"),
        ("period=custom&start=2026-04-10", "end", "last day"),
        ("division=nope", "division", "No division has the code “nope”"),
        ("period=7", "period", "Select a valid choice"),
        ("start=not-a-date", "start", "valid date"),
        ("start=9998-01-01&end=9999-12-31", "start", "between 1900 and 2999"),
        ("period=custom&start=0001-01-01&end=0001-01-02", "start", "between 1900 and 2999"),
    ],
)
def test_a_bad_range_is_a_400_with_the_field_message(hr_client, query, field, message):
    response = hr_client.get(f"/hr/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="range-{field}-error"' in body and message in body
    assert hr_client.get(f"/hr/analytics/funnel.csv?{query}").status_code == 400


def test_five_years_exactly_is_allowed(hr_client):
    assert hr_client.get("/hr/?start=2020-01-01&end=2025-01-01").status_code == 200


def test_only_hr_sees_the_analytics_and_their_csv(client, company):
    for user in (company["poster"], company["a"][0]):
        client.force_login(user)
        assert client.get("/hr/").status_code == 403
        assert client.get("/hr/analytics/funnel.csv").status_code == 403
    client.force_login(company["hr"])
    assert client.get("/hr/analytics/nope.csv").status_code == 404


def test_poster_and_hr_see_the_opening_reach_others_do_not(client, company):
    opening = company["opening"]
    for user in (company["poster"], company["hr"]):
        client.force_login(user)
        body = client.get(f"/openings/{opening.pk}/").content.decode()
        assert 'id="opening-reach"' in body and "Nobody in Sydney will see this." in body
        # Counts, never names ("A1" is a person); attribute values go first, as a CSRF token may hold "A1".
        assert "A1" not in re.sub(r'value="[^"]*"', "", body.split('id="opening-reach"')[1])
    client.force_login(company["a"][0])  # sees the opening, may not manage it
    body = client.get(f"/openings/{opening.pk}/").content.decode()
    assert 'id="opening-reach"' not in body


def test_form_preview_shows_the_reach_of_the_chosen_level(client, company):
    opening = company["opening"]
    client.force_login(company["poster"])
    body = client.get(f"/openings/{opening.pk}/edit/").content.decode()
    assert 'id="opening-reach"' in body and "Extended network would reach fewer than 5 more people" in body
    company_wide = client.post(f"/openings/{opening.pk}/edit/", {"visibility": "company", "title": ""})
    assert company_wide.status_code == 200  # refused (no title), the preview follows the choice
    assert "Nobody in Sydney" not in company_wide.content.decode()


@pytest.mark.parametrize("size", [1, 15])
def test_hr_page_queries_are_constant(client, company, django_assert_max_num_queries, size):
    from datetime import timedelta

    from tests.factories import UserFactory
    from tests.openings.factories import OpeningFactory
    from tests.referrals.factories import ReferralFactory

    for _ in range(size):
        opening = OpeningFactory(posted_by=UserFactory(), division=company["eng"], opened_at=TODAY - timedelta(days=40))
        ReferralFactory(opening=opening, referrer=UserFactory(), status="hired")
    for days in range(size):  # a snapshot a day
        with time_machine.travel(TODAY - timedelta(days=days), tick=False):
            snapshot_take()
    client.force_login(company["hr"])
    with time_machine.travel(TODAY, tick=False):
        # The dashboard's 17 (issue 18) and the analytics' 12: 8 referral aggregates, 4 snapshot reads.
        with django_assert_max_num_queries(31):  # 29, and the response times of issue 20 (2)
            assert client.get("/hr/?period=365").status_code == 200
        with django_assert_max_num_queries(32):  # and the division's code
            assert client.get("/hr/?period=30&division=eng").status_code == 200
        # One table as CSV: the session, the range and the same reads.
        with django_assert_max_num_queries(20):
            assert client.get("/hr/analytics/funnel.csv?period=365").status_code == 200
