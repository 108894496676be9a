"""Incremental sync: `updated_since` and cursor pages that neither skip nor repeat rows while the
data changes between pages (the recipe in the README)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from accounts.models import User
from openings.models import Opening
from referrals.models import Referral
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory


def since(moment):
    return quote(moment.isoformat())


def sync(api, path, updated_since, on_page=None, page_size=3):
    """Page through `path` like an integration: follow `next` to the end, calling `on_page` between pages."""
    url = f"{path}?updated_since={since(updated_since)}&page_size={page_size}"
    seen, page_number = [], 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        page_number += 1
        url = body["next"]
        if on_page and url:
            on_page(page_number)
    return seen


def test_employee_sync_neither_skips_nor_repeats_while_rows_change(service_api, db):
    api = service_api("hr:read")
    last_sync = timezone.now() - timedelta(hours=1)
    employees = [UserFactory() for _ in range(10)]
    User.objects.update(updated_at=timezone.now() - timedelta(minutes=30))  # changed since the last sync
    started = timezone.now()  # remember when this sync started
    created_meanwhile = []

    def meanwhile(page_number):
        if page_number == 1:
            # A row already sent changes, a row not yet sent changes, a leaver is deactivated, and a
            # new employee arrives.
            User.objects.filter(pk=employees[0].pk).update(title="Changed after it was sent", updated_at=timezone.now())
            User.objects.filter(pk=employees[7].pk).update(
                title="Changed before it was sent", updated_at=timezone.now()
            )
            User.objects.filter(pk=employees[8].pk).update(is_active=False, updated_at=timezone.now())
            created_meanwhile.append(UserFactory())
        if page_number == 2:
            created_meanwhile.append(UserFactory())

    seen = sync(api, "/api/v1/employees/", last_sync, meanwhile)
    assert len(seen) == len(set(seen)), "a row was repeated"
    expected = {e.pk for e in employees} | {e.pk for e in created_meanwhile}
    assert set(seen) == expected, "a row was skipped"

    # The next sync, from when this one started (minus the overlap), picks up what changed behind the cursor.
    again = sync(api, "/api/v1/employees/", started - timedelta(seconds=5))
    assert employees[0].pk in again
    assert employees[1].pk not in again


def test_opening_sync_neither_skips_nor_repeats(service_api, poster):
    api = service_api("hr:read")
    last_sync = timezone.now() - timedelta(hours=1)
    openings = [OpeningFactory(posted_by=poster) for _ in range(8)]
    added = []

    def meanwhile(page_number):
        Opening.objects.filter(pk=openings[page_number - 1].pk).update(title="edited", updated_at=timezone.now())
        Opening.objects.filter(pk=openings[-1].pk).update(title="edited later", updated_at=timezone.now())
        added.append(OpeningFactory(posted_by=poster))

    seen = sync(api, "/api/v1/openings/", last_sync, meanwhile)
    assert len(seen) == len(set(seen))
    assert set(seen) == {o.pk for o in openings} | {o.pk for o in added}


def test_referral_sync_neither_skips_nor_repeats(service_api, poster):
    api = service_api("hr:read")
    last_sync = timezone.now() - timedelta(hours=1)
    referrals = [ReferralFactory(opening=OpeningFactory(posted_by=poster)) for _ in range(7)]
    added = []

    def meanwhile(page_number):
        Referral.objects.filter(pk=referrals[0].pk).update(status="in_review", updated_at=timezone.now())
        added.append(ReferralFactory(opening=referrals[0].opening))

    seen = sync(api, "/api/v1/referrals/", last_sync, meanwhile)
    assert len(seen) == len(set(seen))
    assert set(seen) == {r.pk for r in referrals} | {r.pk for r in added}


@pytest.mark.parametrize("path", ["/api/v1/employees/", "/api/v1/openings/", "/api/v1/referrals/"])
def test_updated_since_returns_only_what_changed(service_api, poster, path):
    old = timezone.now() - timedelta(days=2)
    fresh = ReferralFactory(opening=OpeningFactory(posted_by=poster))
    stale = ReferralFactory(opening=OpeningFactory(posted_by=poster))
    User.objects.exclude(pk__in=[fresh.referrer_id, fresh.opening.posted_by_id]).update(updated_at=old)
    Opening.objects.filter(pk=stale.opening_id).update(updated_at=old)
    Referral.objects.filter(pk=stale.pk).update(updated_at=old)
    api = service_api("hr:read")
    response = api.get(f"{path}?updated_since={since(timezone.now() - timedelta(days=1))}")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    wanted = {
        "/api/v1/employees/": {fresh.referrer_id, poster.pk},
        "/api/v1/openings/": {fresh.opening_id},
        "/api/v1/referrals/": {fresh.pk},
    }[path]
    assert ids == wanted
    bad = api.get(f"{path}?updated_since=last-tuesday")
    assert bad.status_code == 400 and "updated_since" in bad.json()["fields"]
