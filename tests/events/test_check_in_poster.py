"""The check-in link as a QR code: inline SVG on the organiser's event page and a printable poster
(/events/<id>/check-in-poster/) for the organiser and HR; no script, no third-party address."""

import re
from datetime import timedelta

import pytest
import segno
from django.conf import settings
from django.utils import timezone

from events import services
from events.qr import qr_svg
from tests.events.factories import EventFactory, attend

pytestmark = pytest.mark.django_db


def check_in_url(event):
    return settings.SITE_URL.rstrip("/") + f"/events/check-in/{services.check_in_token(event)}/"


def shown_url(body):
    """The check-in link a page shows as text (its signature carries the time it was made)."""
    return re.search(r'(https?://[^"<\s]+/events/check-in/[^"<\s/]+/)', body).group(1)


def test_the_qr_code_encodes_the_signed_check_in_link(client, poster):
    event = EventFactory(organiser=poster)
    client.force_login(poster)
    body = client.get(f"/events/{event.pk}/").content.decode()
    url = shown_url(body)
    assert services.check_in_event(url.split("/")[-2], now=event.starts_at) == event
    assert qr_svg(url) in body  # the code drawn from exactly the link shown
    assert f'href="/events/{event.pk}/check-in-poster/"' in body
    # The SVG is the code of the URL: the same modules segno computes for it.
    modules = segno.make(url, error="m", micro=False)
    assert f'viewBox="0 0 {modules.symbol_size(scale=1, border=4)[0]} ' in qr_svg(url)


def test_the_svg_is_inline_and_holds_no_text_from_users():
    svg = qr_svg("https://board.example.com/events/check-in/abc/", title="<script>alert(1)</script>")
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<script>" not in svg
    assert "&lt;script&gt;" in svg and "https://" not in svg.split("<title>")[0]


def test_the_poster_shows_title_time_qr_and_link_as_text(client, poster, hr):
    start = timezone.now() + timedelta(days=2)
    event = EventFactory(organiser=poster, title="Team <Offsite> & Friends", starts_at=start)
    for viewer in (poster, hr):
        client.force_login(viewer)
        response = client.get(f"/events/{event.pk}/check-in-poster/")
        assert response.status_code == 200
        body = response.content.decode()
        url = shown_url(body)
        assert services.check_in_event(url.split("/")[-2], now=start) == event
        assert "Team &lt;Offsite&gt; &amp; Friends" in body
        assert timezone.localtime(start).strftime("%H:%M") in body and str(timezone.localtime(start).day) in body
        assert qr_svg(url) in body
        assert f'<p class="poster-url"><span class="visually-hidden">Or open </span>{url}</p>' in body
        # Printable without script or anything from elsewhere.
        assert "<script" not in body
        assert not re.search(r'(src|href)="(https?:)?//', body)


def test_the_poster_link_works_as_check_in(client, poster, direct):
    event = EventFactory(organiser=poster, starts_at=timezone.now() - timedelta(hours=1))
    path = check_in_url(event).removeprefix(settings.SITE_URL.rstrip("/"))
    client.force_login(direct)
    assert client.post(path).status_code == 302
    assert event.attendances.filter(employee=direct).exists()


def test_attendees_see_neither_the_qr_nor_the_poster(client, poster, direct):
    event = EventFactory(organiser=poster)
    attend(event, direct)
    client.force_login(direct)
    body = client.get(f"/events/{event.pk}/").content.decode()
    assert 'class="qr-code"' not in body and "check-in-poster" not in body
    assert client.get(f"/events/{event.pk}/check-in-poster/").status_code == 403


@pytest.mark.parametrize("attendees", [3, 300])
def test_the_poster_runs_constant_queries(client, django_assert_max_num_queries, poster, attendees):
    from tests.factories import UserFactory

    event = EventFactory(organiser=poster)
    attend(event, *UserFactory.create_batch(attendees))
    client.force_login(poster)
    with django_assert_max_num_queries(7):  # session, user, permissions, the event, the menu
        assert client.get(f"/events/{event.pk}/check-in-poster/").status_code == 200
