from django import template

from .. import visibility_text

register = template.Library()


@register.filter
def count_for(counts, key):
    """`counts|count_for:key` -> the number for key, 0 when absent (filter option counts)."""
    return counts.get(key, 0) if counts else 0


@register.filter
def visibility_level(value):
    """`opening.visibility|visibility_level` -> its row of `visibility_text.LEVELS` (label, badge, help).

    A level without a row raises KeyError: the page fails loudly rather than show another level's words.
    """
    return visibility_text.LEVELS[value]


@register.simple_tag
def preview_text(preview, visibility):
    """`{% preview_text preview visibility %}` -> "412 people: 38 direct connections, 374 through them".

    Nothing without a preview: a form sent back with a visibility that is no level shows its error instead.
    """
    return visibility_text.preview_text(preview, visibility) if preview else ""


@register.simple_tag
def always_sees():
    """`{% always_sees %}` -> who sees an opening whatever its visibility ("You and HR always see it.")."""
    return visibility_text.ALWAYS_SEES
