"""The visibility levels' words live in one table (`visibility_text.LEVELS`) that every page reads.

Adding a level to `Opening.Visibility` without a row fails here, and on the first page that shows it.
"""

import pytest
from django.template.loader import render_to_string
from django.utils.html import escape

from openings.models import Opening
from openings.visibility_text import ALWAYS_SEES, LEVELS, preview_text, viewer_choices
from tests.openings.factories import OpeningFactory


def test_every_visibility_level_has_one_row_and_the_model_reads_its_labels():
    assert list(LEVELS) == list(Opening.Visibility.values)
    assert dict(Opening.Visibility.choices) == {value: level.label for value, level in LEVELS.items()}
    assert [value for value, _label in viewer_choices()] == list(Opening.Visibility.values)
    for level in LEVELS.values():
        assert all([level.label, level.for_viewer, level.badge, level.badge_title, level.help, level.reach])


@pytest.mark.parametrize("value", Opening.Visibility.values)
def test_the_badge_renders_each_levels_words_from_the_table(value):
    level = LEVELS[value]
    html = render_to_string("openings/_visibility_badge.html", {"opening": Opening(visibility=value, status="open")})
    assert f">{escape(level.badge)}</span>" in html
    assert f'title="{escape(level.badge_title)}"' in html
    classes = f"badge {level.badge_class}" if level.badge_class else "badge"
    assert f'<span class="{classes}" title=' in html


def test_a_level_without_a_row_fails_loudly():
    with pytest.raises(KeyError):
        render_to_string("openings/_visibility_badge.html", {"opening": Opening(visibility="team", status="open")})
    with pytest.raises(KeyError):
        preview_text({"total": 1, "direct": 1, "second": 0, "company": False}, "team")


def test_the_preview_sentence_per_level():
    one = {"total": 1, "direct": 1, "second": 0, "company": False}
    many = {"total": 1412, "direct": 38, "second": 1374, "company": False}
    assert preview_text(one, "network") == "1 person: 1 direct connection"
    assert preview_text(many, "extended") == "1,412 people: 38 direct connections, 1,374 through them"
    assert preview_text({"total": 0, "direct": 0, "second": 0, "company": False}, "network") == (
        "0 people: 0 direct connections"
    )
    everyone = {"total": 4, "direct": None, "second": None, "company": True}
    assert preview_text(everyone, "company") == "4 people: everyone in the company"


def test_the_form_and_detail_page_read_the_table(client, poster, direct):
    client.force_login(poster)
    form = client.get("/openings/new/").content.decode()
    for level in LEVELS.values():
        assert escape(level.label) in form and escape(level.help) in form
    assert ALWAYS_SEES in form
    opening = OpeningFactory(posted_by=poster, visibility=Opening.Visibility.EXTENDED)
    detail = client.get(f"/openings/{opening.pk}/").content.decode()
    assert escape(LEVELS["extended"].badge_title) in detail and ALWAYS_SEES in detail
    assert "1 person: 1 direct connection, 0 through them." in detail
