"""The analytics API: the page's figures and suppression, HR only, 404 for an opening one may not see."""

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import ServiceAccount
from accounts.services import token_issue
from analytics.reach import snapshot_take
from tests.analytics.conftest import TODAY
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory


def service(scope):
    account = ServiceAccount.objects.create(name=f"ATS {scope or 'none'}")
    _, plain = token_issue(service_account=account, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_funnel_for_a_token_with_scope_hr(company, referrals):
    api = service("hr")
    with time_machine.travel(TODAY, tick=False):
        body = api.get("/api/v1/analytics/referral-funnel/?period=365").json()
    assert body["end"] == "2026-04-30" and body["start"] == "2025-05-01" and body["division"] is None
    funnel = body["tables"]["funnel"]["rows"]
    assert [r["referrals"] for r in funnel] == [10, 8, 6, 5, 5]
    assert body["tables"]["medians"]["rows"][0]["to_first_response"] == 4.0
    assert set(body["tables"]) >= {"monthly", "hidden_hires_division", "hidden_hires_location", "hidden_hires_tenure"}


def test_reach_with_the_same_suppression_as_the_page(company, api_as):
    with time_machine.travel(TODAY, tick=False):
        snapshot_take()
        body = api_as(company["hr"]).get("/api/v1/analytics/reach/").json()
    assert body["snapshot"] == {"day": "2026-04-30", "employees": 15, "reached": 7, "unreached_90d": 8, "openings": 1}
    legal = next(r for r in body["tables"]["reach_division"]["rows"] if r["group"] == "Legal")
    assert legal["reached"] == "fewer than 5" and legal["reached_share"] == "fewer than 5"
    toronto = next(r for r in body["tables"]["reach_location"]["rows"] if r["group"] == "Toronto")
    assert toronto["reached"] == "all but fewer than 5"


def test_reach_before_any_snapshot(company, api_as):
    body = api_as(company["hr"]).get("/api/v1/analytics/reach/").json()
    assert body["snapshot"] is None and body["tables"]["reach_division"]["rows"] == []


@pytest.mark.parametrize("path", ["/api/v1/analytics/referral-funnel/", "/api/v1/analytics/reach/"])
def test_not_hr_is_403_and_nobody_is_401(company, api_as, path):
    assert api_as(company["poster"]).get(path).status_code == 403
    assert service("").get(path).status_code == 403
    assert service("hr:write").get(path).status_code == 403
    assert APIClient().get(path).status_code == 401
    assert service("hr:read").get(path).status_code == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ("period=custom&start=2026-04-10&end=2026-04-01", "end"),
        ("start=2019-01-01&end=2026-01-01", "end"),
        ("division=nope", "division"),
    ],
)
def test_bad_range_is_400_with_the_field(company, api_as, query, field):
    response = api_as(company["hr"]).get(f"/api/v1/analytics/referral-funnel/?{query}")
    assert response.status_code == 400 and field in response.json()["fields"]
    assert api_as(company["hr"]).get(f"/api/v1/analytics/reach/?{query}").status_code == 400


def test_opening_reach_for_its_poster_and_hr_404_for_anyone_else(company, api_as):
    opening = company["opening"]
    path = f"/api/v1/analytics/reach/openings/{opening.pk}/"
    body = api_as(company["poster"]).get(path).json()
    assert body["reached"] == 5 and body["nudge"][0] == "Nobody in Sydney will see this."
    assert api_as(company["hr"]).get(path).status_code == 200
    missing = api_as(company["a"][0]).get("/api/v1/analytics/reach/openings/999999/")
    sees_not_manages = api_as(company["a"][0]).get(path)  # a1 sees it (a connection) but did not post it
    cannot_see = api_as(company["b"][3]).get(path)
    assert missing.status_code == sees_not_manages.status_code == cannot_see.status_code == 404
    assert missing.json() == sees_not_manages.json() == cannot_see.json()


def test_opening_reach_of_a_company_wide_opening(company, api_as):
    opening = OpeningFactory(posted_by=company["poster"], visibility="company", division=company["eng"])
    body = api_as(company["poster"]).get(f"/api/v1/analytics/reach/openings/{opening.pk}/").json()
    assert body["reached"] == "all but fewer than 5" and body["nudge"] == []  # 14 of 15: all but the poster


def test_schema_lists_the_analytics(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/analytics/referral-funnel/",
        "/api/v1/analytics/reach/",
        "/api/v1/analytics/reach/openings/{id}/",
    ):
        assert path in schema["paths"]


@pytest.mark.parametrize("size", [1, 12])
def test_api_queries_are_constant(company, django_assert_max_num_queries, size):
    api = service("hr")
    for _ in range(size):
        poster = UserFactory()
        opening = OpeningFactory(posted_by=poster, division=company["eng"], location=company["opening"].location)
        ReferralFactory(opening=opening, referrer=UserFactory(), status="hired")
    with time_machine.travel(TODAY, tick=False):
        snapshot_take()
        # The funnel: authentication (3), the range, 8 aggregates.
        with django_assert_max_num_queries(12):
            assert api.get("/api/v1/analytics/referral-funnel/?period=365").status_code == 200
        # Reach: authentication (3), the last snapshot, its cells, the range's days, their cells.
        with django_assert_max_num_queries(8):
            assert api.get("/api/v1/analytics/reach/?period=365").status_code == 200
