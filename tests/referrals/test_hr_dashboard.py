from datetime import timedelta

import pytest
from django.utils import timezone

from openings.models import Opening
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory


def test_only_hr_opens_the_dashboard(client, cast):
    for name in ("poster", "direct", "stranger"):
        client.force_login(cast[name])
        assert client.get("/hr/").status_code == 403
    client.logout()
    assert client.get("/hr/").status_code == 302
    client.force_login(cast["hr"])
    assert client.get("/hr/").status_code == 200


def test_figures(client, cast):
    quiet = OpeningFactory(
        posted_by=cast["poster"], title="Quiet <role>", opened_at=timezone.now() - timedelta(days=40)
    )
    busy = OpeningFactory(posted_by=cast["poster"], opened_at=timezone.now() - timedelta(days=40))
    OpeningFactory(posted_by=cast["poster"], status=Opening.Status.DRAFT, opened_at=None)
    ReferralFactory(opening=busy, referrer=cast["direct"], status="hired")
    ReferralFactory(opening=busy, referrer=cast["direct"], status="in_review")
    client.force_login(cast["hr"])
    page = client.get("/hr/")
    figures = page.context
    assert dict(figures["openings_by_status"]) == {"Draft": 1, "Open": 2, "Closed": 0}
    assert figures["active_referrals"] == 1 and figures["hires"] == 1
    assert [o.pk for o in figures["quiet_openings"]] == [quiet.pk]
    assert figures["top_referrers"][0]["referrer_id"] == cast["direct"].pk
    body = page.content.decode()
    assert "Quiet &lt;role&gt;" in body and "Quiet <role>" not in body


@pytest.mark.parametrize("size", [2, 20])
def test_dashboard_queries_are_constant(client, django_assert_max_num_queries, hr, size):
    for _ in range(size):
        poster = UserFactory()
        opening = OpeningFactory(posted_by=poster, opened_at=timezone.now() - timedelta(days=45))
        ReferralFactory(opening=opening, referrer=UserFactory())
        OpeningFactory(posted_by=poster, opened_at=timezone.now() - timedelta(days=45))
    client.force_login(hr)
    with django_assert_max_num_queries(16):
        assert client.get("/hr/").status_code == 200
