"""Text that lies about itself: Unicode controls that reorder or hide characters.

The rule. Titles, names, notes and comments that other people read may not contain the
bidirectional controls (U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C) or
invisible characters (zero-width space, joiners and non-joiner, word joiner, invisible operators,
U+FEFF): they make "Payroll Lead" read as something else, or two names look alike. Such text is
refused with a field message (nothing is silently changed).
"""

import re

from django.core.exceptions import ValidationError

INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
MESSAGE = "Remove the invisible or text-direction control characters (such as U+202E or U+200B)."

# Long enough for any job description; a million characters was accepted before.
OPENING_DESCRIPTION_MAX_LENGTH = 20_000


def refuse_invisible_controls(value):
    """Model and form validator for the rule in this module's docstring."""
    if isinstance(value, str) and INVISIBLE.search(value):
        raise ValidationError(MESSAGE, code="invisible_characters")


def invisible_control_errors(**fields):
    """{field: [MESSAGE]} for each given text that breaks the rule (for services that check
    several fields at once)."""
    return {name: [MESSAGE] for name, value in fields.items() if isinstance(value, str) and INVISIBLE.search(value)}
