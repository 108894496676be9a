"""Every referral page and API list runs a constant number of queries, whatever the data size."""

import pytest

from openings.models import Opening
from referrals.models import Referral, ReferralEvent
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

S = Referral.Status
# Measured at both sizes, on SQLite and PostgreSQL alike (print them with -s). The ceilings are the
# measured counts, so a query per row would fail at once; the opening page keeps the openings
# suite's ceiling. API counts include the token lookup, its last-used stamp and the permissions.
# Every portal page also counts what waits for the viewer in the navigation: two queries, three for HR.
NAV = 2
MAX = {
    "portal /referrals/ (referrer)": 8 + NAV,  # +1: which openings the referrer may still see (exclusion wins)
    "portal /referrals/ (poster)": 7 + NAV,
    "portal /referrals/all/ (HR)": 7 + NAV + 1,
    "portal referral detail": 7 + NAV,  # +1: likewise
    "portal opening detail (poster)": 15 + NAV,  # +3: its reach by place (issue 19)
    # API budgets include the one statement that counts the request (background/ratelimit.py).
    "api list (referrer)": 6,
    "api list (poster)": 6,
    "api list (HR)": 6,
    "api list (HR service)": 4,
    "api detail": 6,
}


def grow(cast, n):
    """`n` openings by the poster, each with two referrals (one by `direct`) and a few events;
    `direct` also refers to `n` openings of other people."""
    poster, direct = cast["poster"], cast["direct"]
    for i in range(n):
        opening = OpeningFactory(posted_by=poster, visibility=Opening.Visibility.COMPANY)
        mine = ReferralFactory(opening=opening, referrer=direct, status=S.INTERVIEWING)
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(referral=mine, from_status=S.SUBMITTED, to_status=S.IN_REVIEW, by=poster, comment="ok"),
                ReferralEvent(
                    referral=mine, from_status=S.IN_REVIEW, to_status=S.INTERVIEWING, by=None, by_service="ATS"
                ),
            ]
        )
        ReferralFactory(opening=opening, referrer=UserFactory(), status=S.DECLINED if i % 2 else S.SUBMITTED)
        colleague = UserFactory()
        connect(direct, colleague)
        ReferralFactory(opening=OpeningFactory(posted_by=colleague), referrer=direct)
    return Referral.objects.filter(referrer=direct, opening__posted_by=poster).first()


def measure(assert_max, label, call):
    with assert_max(MAX[label]) as context:
        response = call()
    assert response.status_code == 200, label
    print(f"{label}: {len(context)} queries")
    return len(context)


@pytest.mark.parametrize("size", [2, 20])
def test_referral_pages_and_api_lists_run_constant_queries(
    client, api_as, hr_service_api, cast, django_assert_max_num_queries, size
):
    sample = grow(cast, size)
    poster, direct, hr = cast["poster"], cast["direct"], cast["hr"]
    counts = {}

    def check(label, call):
        counts[label] = measure(django_assert_max_num_queries, label, call)

    client.force_login(direct)
    check("portal /referrals/ (referrer)", lambda: client.get("/referrals/"))
    check("portal referral detail", lambda: client.get(f"/referrals/{sample.pk}/"))
    client.force_login(poster)
    check("portal /referrals/ (poster)", lambda: client.get("/referrals/"))
    check("portal opening detail (poster)", lambda: client.get(f"/openings/{sample.opening_id}/"))
    client.force_login(hr)
    check("portal /referrals/all/ (HR)", lambda: client.get("/referrals/all/?status=interviewing"))

    apis = {
        "api list (referrer)": api_as(direct),
        "api list (poster)": api_as(poster),
        "api list (HR)": api_as(hr),
        "api list (HR service)": hr_service_api,
    }
    results = {}
    for label, api in apis.items():
        responses = []
        check(
            label, lambda api=api, responses=responses: responses.append(api.get("/api/v1/referrals/")) or responses[-1]
        )
        results[label] = len(responses[-1].json()["results"])
    assert results["api list (referrer)"] == 2 * size
    assert results["api list (poster)"] == 2 * size
    assert results["api list (HR)"] == results["api list (HR service)"] == min(3 * size, 50)  # one page
    check("api detail", lambda: apis["api list (poster)"].get(f"/api/v1/referrals/{sample.pk}/"))
    print(f"size {size}: {counts}")
