"""The small-cell rule: analytics never describe fewer than five people.

Every figure that pages, CSV files and the API show about people goes through `cell` (counts) or
`share` (percentages), so the rule is written once. Minimum group size as in employee-survey
reporting (k-anonymity, STYLE.md): a number that would single out one, two, three or four people,
their connections or their exclusions, is shown as "fewer than 5".
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_GROUP = 5
FEWER = "fewer than 5"
ALL_BUT_FEWER = "all but fewer than 5"


@dataclass(frozen=True)
class Cell:
    """A count as it may be shown: `value` is the number, or None when it is suppressed; `text`
    is what people read ("1,204", "fewer than 5", "all but fewer than 5")."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def public(self) -> int | str:
        """The API's and the CSV's form: the number, or the words that replace it."""
        return self.text if self.value is None else self.value

    def __str__(self) -> str:
        return self.text


def _fmt(n: int) -> str:
    return f"{n:,}"


def cell(n: int, *, of: int | None = None) -> Cell:
    """Show `n` people, drawn from a group of `of` people (when there is one), only if safe.

    The rule: `n` is suppressed ("fewer than 5") when it is 1 to 4, or when its group has fewer
    than 5 people (the group itself is then too small to describe at all). Zero is shown: it says
    nothing about any one person that the group's size (5 or more) does not already hide. When
    the rest of the group (`of - n`) is 1 to 4, `n` would single those people out by difference,
    so it reads "all but fewer than 5".
    """
    if of is not None and of < MIN_GROUP:
        return Cell(None, FEWER)
    if 0 < n < MIN_GROUP:
        return Cell(None, FEWER)
    if of is not None and 0 < of - n < MIN_GROUP:
        return Cell(None, ALL_BUT_FEWER)
    return Cell(n, _fmt(n))


NEARLY_ALL = "nearly 100%"


def share(part: Cell, whole: int) -> float | str | None:
    """`part` as a percentage of `whole` (one decimal; 0 of nobody is 0), or None when `part` is
    suppressed: a percentage of a hidden number would reveal it. For "all but fewer than 5" it
    reads "nearly 100%", which says no more than the count does."""
    if part.text == ALL_BUT_FEWER:
        return NEARLY_ALL
    if part.value is None:
        return None
    return round(100 * part.value / whole, 1) if whole else 0.0


def share_text(value: float | str | None) -> str:
    if isinstance(value, str):
        return value
    return FEWER if value is None else f"{value:g}%"
