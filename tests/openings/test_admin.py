"""The opening admin goes through the services: the poster is never reassigned there (they own the
candidates' data), status moves only by the Close/Reopen actions (transition checks, event),
field changes emit their event, and nothing is added or deleted behind the rules."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from integrations.models import OutboxEvent
from openings.models import Opening
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

OPENINGS = "/admin/openings/opening/"


def change_data(opening, **overrides):
    data = {
        "title": opening.title,
        "description": opening.description,
        "division": opening.division_id,
        "location": opening.location_id,
        "employment_type": opening.employment_type,
        "work_arrangement": opening.work_arrangement,
        "visibility": opening.visibility,
        "closes_on": "",
        "referral_bonus_amount": "",
        "referral_bonus_currency": "",
        "exclusions-TOTAL_FORMS": "0",
        "exclusions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_hr_changes_fields_through_the_service_but_not_poster_or_status(client, hr, poster, stranger):
    opening = OpeningFactory(posted_by=poster, status=Opening.Status.OPEN, visibility="network")
    client.force_login(hr)

    response = client.post(
        f"{OPENINGS}{opening.pk}/change/",
        change_data(opening, title="Renamed", visibility="company", posted_by=stranger.pk, status="draft"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    opening.refresh_from_db()
    assert (opening.title, opening.visibility) == ("Renamed", "company")
    assert (opening.posted_by, opening.status) == (poster, Opening.Status.OPEN)
    assert OutboxEvent.objects.filter(type="opening.updated").count() == 1


def test_status_moves_by_the_actions_with_their_checks(client, hr, poster):
    open_one = OpeningFactory(posted_by=poster, status=Opening.Status.OPEN)
    draft = OpeningFactory(posted_by=poster, status=Opening.Status.DRAFT)
    client.force_login(hr)

    client.post(OPENINGS, {"action": "close_selected", ACTION_CHECKBOX_NAME: [open_one.pk, draft.pk]})

    assert Opening.objects.get(pk=open_one.pk).status == Opening.Status.CLOSED
    assert Opening.objects.get(pk=draft.pk).status == Opening.Status.DRAFT  # closing a draft is refused
    assert OutboxEvent.objects.filter(type="opening.closed").count() == 1


def test_no_add_and_no_delete_behind_the_rules(client, hr, poster):
    opening = OpeningFactory(posted_by=poster)
    ReferralFactory(opening=opening)
    client.force_login(hr)

    assert client.get(f"{OPENINGS}add/").status_code == 403
    refused = client.post(f"{OPENINGS}{opening.pk}/delete/", {"post": "yes"})

    # Django's own page says the referrals protect it; the service would refuse it too.
    assert refused.status_code in (200, 403)
    assert Opening.objects.filter(pk=opening.pk).exists()
