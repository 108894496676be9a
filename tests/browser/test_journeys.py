"""Journeys through the portal in Chromium, at 1280 px and at 390 px (the `viewport` fixture).

Every page visited passes `check_page`: no serious or critical axe violation, no horizontal
scroll, no request leaving 127.0.0.1.
"""

import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Connection, ConnectionRequest
from openings.models import Opening
from referrals.models import Referral
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

from .helpers import check_page

pytestmark = pytest.mark.django_db(transaction=True)


def open_nav(page, name):
    """Follow a header link; on a phone the links are behind the "Menu" toggle."""
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible():
        toggle.click()
    page.locator(".site-menu").get_by_role("link", name=re.compile(f"^{name}")).click()
    page.wait_for_load_state()


def test_engineer_finds_an_opening_refers_and_follows(visit):
    poster = UserFactory(full_name="Paula Poster")
    engineer = UserFactory(full_name="Erin Engineer", title="Software Engineer")
    connect(poster, engineer)
    OpeningFactory(
        title="Platform Engineer", posted_by=poster, closes_on=timezone.localdate() + timezone.timedelta(days=20)
    )

    page = visit(engineer)
    check_page(page)
    open_nav(page, "Openings")
    check_page(page)
    expect(page.locator("main")).to_contain_text("via Paula Poster, your connection")
    page.get_by_role("link", name="Platform Engineer").click()
    check_page(page)
    page.get_by_role("link", name="Refer someone").click()
    check_page(page)

    page.get_by_role("button", name="Send the referral").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    check_page(page)

    page.fill("input[name=candidate_name]", "Casey Candidate")
    page.fill("input[name=candidate_email]", "casey@elsewhere.example.org")
    page.fill("textarea[name=relationship]", "We built the billing platform together for three years.")
    page.fill("textarea[name=why_fit]", "Runs reliable platforms and teaches others.")
    page.check("input[name=consent_confirmed]")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator("#messages")).to_contain_text("Casey Candidate is referred")
    check_page(page)
    assert Referral.objects.filter(referrer=engineer, candidate_email="casey@elsewhere.example.org").exists()

    open_nav(page, "Referrals")
    check_page(page)
    expect(page.locator("main")).to_contain_text("Casey Candidate")


def test_hiring_manager_posts_watches_the_audience_and_moves_a_candidate(visit):
    manager = UserFactory(full_name="Maria Manager")
    colleague = UserFactory(email="colleague@example.com")
    connect(manager, colleague)
    for _ in range(2):
        connect(colleague, UserFactory())
    opening = OpeningFactory(title="Data Engineer", posted_by=manager)
    referral = ReferralFactory(opening=opening, candidate_name="Robin Referred", status=Referral.Status.IN_REVIEW)

    page = visit(manager)
    page.goto("/openings/new/")
    check_page(page)
    assert page.locator("select[name=division]").input_value() == str(manager.division_id)
    audience = page.locator("#audience-text")
    expect(audience).to_contain_text("1 person: 1 direct connection")
    page.get_by_label("Extended network").check()
    expect(audience).to_contain_text("3 people: 1 direct connection, 2 through them")
    page.fill("textarea[name=excluded_emails]", "colleague@example.com")
    expect(audience).to_contain_text("2 people: 0 direct connections, 2 through them")
    check_page(page)
    page.fill("input[name=title]", "Analytics Engineer")
    page.fill("textarea[name=description]", "Model the data the company runs on.")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#messages")).to_contain_text("Opening published")
    check_page(page)
    assert Opening.objects.get(title="Analytics Engineer").exclusions.count() == 1

    open_nav(page, "Referrals")
    check_page(page)
    row = page.locator("tr", has_text="Robin Referred")
    row.get_by_role("button", name="Move").click()  # nothing chosen: the browser keeps the form
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.IN_REVIEW
    row.get_by_label("Move Robin Referred to").select_option("interviewing")
    row.get_by_role("button", name="Move").click()
    message = page.locator("#messages")
    expect(message).to_contain_text("Robin Referred is now interviewing")
    expect(message).to_be_in_viewport()
    check_page(page)
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.INTERVIEWING


def test_two_employees_connect(visit):
    asker = UserFactory(full_name="Alex Asker")
    answerer = UserFactory(full_name="Blair Answerer")

    page = visit(asker)
    page.goto("/people/?q=Blair")
    check_page(page)
    page.get_by_role("link", name="Blair Answerer").click()
    check_page(page)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#messages")).to_contain_text("Request sent to")
    check_page(page)

    other = visit(answerer)
    open_nav(other, "Network")
    check_page(other)
    other.get_by_role("button", name="Accept").first.click()
    expect(other.locator("#messages")).to_contain_text("You are now connected with")
    check_page(other)
    assert Connection.objects.filter(from_user=asker, to_user=answerer).exists()


def test_hr_opens_the_dashboard_and_every_referral(visit, hr):
    for n in range(3):
        ReferralFactory(candidate_name=f"Candidate with a rather long name {n}")
    page = visit(hr)
    page.goto("/hr/")
    check_page(page)
    page.goto("/referrals/all/")
    check_page(page)
    expect(page.locator("main")).to_contain_text("Candidate with a rather long name 2")


def test_anyone_changes_settings_and_previews_the_digest(visit):
    poster = UserFactory(full_name="Paula Poster")
    reader = UserFactory(full_name="Riley Reader")
    connect(poster, reader)
    opening = OpeningFactory(title="Site Reliability Engineer", posted_by=poster)

    page = visit(reader)
    page.goto("/settings/")
    check_page(page)
    page.get_by_label("Connection requests").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#messages")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Preview this week's digest").click()
    check_page(page)
    frame = page.frame_locator("iframe.digest-frame")
    frame.get_by_role("link", name="Site Reliability Engineer").click()
    page.wait_for_url(f"**/openings/{opening.pk}/")
    check_page(page)


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(x)) for x in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_focus_ring_stands_out_on_the_header_and_on_white(visit):
    page = visit(UserFactory())
    page.goto("/openings/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand, on the dark header
    ring, background, width = page.evaluate(
        "[getComputedStyle(document.activeElement).outlineColor,"
        " getComputedStyle(document.querySelector('.site-header')).backgroundColor,"
        " parseFloat(getComputedStyle(document.activeElement).outlineWidth)]"
    )
    assert width >= 2 and contrast(ring, background) >= 3, (ring, background)
    page.locator("input[name=q]").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus back on the search field, on white
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert contrast(ring, "rgb(255, 255, 255)") >= 3, ring


def test_colleagues_meet_at_an_event_connect_and_introduce_themselves(visit):
    from datetime import timedelta

    from tests.events.factories import EventFactory, attend

    me = UserFactory(full_name="Morgan Meeter")
    met = UserFactory(full_name="Sam Seatmate")
    training = EventFactory(
        title="Leadership Training",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=8),
    )
    attend(training, me, met)

    page = visit(me)
    open_nav(page, "Events")
    check_page(page)
    page.get_by_role("link", name="Leadership Training").first.click()
    check_page(page)
    page.get_by_role("button", name="Connect with Sam Seatmate").click()
    expect(page.locator("#messages")).to_contain_text("Request sent to")
    check_page(page)
    assert ConnectionRequest.objects.get(sender=me, recipient=met).met_at_id == training.pk

    page.goto("/settings/profile/")
    check_page(page)
    page.get_by_label("Skills").fill("SQL, forecasting")
    page.get_by_role("button", name="Save profile").click()
    check_page(page)
    page.goto("/people/?skill=sql")
    check_page(page)
    expect(page.locator("main")).to_contain_text("Morgan Meeter")


def test_hr_pays_a_bonus_and_an_organiser_edits_a_meetup_and_prints_its_poster(visit, hr, poster):
    """The pages of issues 18 and 20 that no other journey passes: /hr/bonuses/ with a bonus to
    approve, the referrer's referral page with its bonus, the meetup's edit form and its poster."""
    from datetime import timedelta

    from events.models import Event
    from referrals.bonuses import bonus_record_start
    from tests.events.factories import EventFactory

    opening = OpeningFactory(posted_by=poster, referral_bonus_amount=1500, referral_bonus_currency="EUR")
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        referral = ReferralFactory(opening=opening, candidate_name="Ada Long-Named Candidate")
        referral.bonus_amount, referral.bonus_currency = 1500, "EUR"
        referral.status = Referral.Status.HIRED
        referral.save(update_fields=["bonus_amount", "bonus_currency", "status"])
    bonus_record_start(referral=referral, by=poster, start_date=timezone.localdate() - timedelta(days=150))
    page = visit(hr)
    page.goto("/hr/bonuses/")
    check_page(page)
    expect(page.locator("main")).to_contain_text("Ada Long-Named Candidate")
    page = visit(referral.referrer)
    page.goto(f"/referrals/{referral.pk}/")
    check_page(page)
    meetup = EventFactory(organiser=poster, kind=Event.Kind.MEETUP, starts_at=timezone.now() - timedelta(hours=1))
    page = visit(poster)
    page.goto(f"/events/{meetup.pk}/edit/")
    check_page(page)
    page.goto(f"/events/{meetup.pk}/check-in-poster/")
    check_page(page)
    expect(page.locator("svg").first).to_be_visible()
