"""One opening's reach by division and location, for its poster and HR, and the nudge that names
the places it leaves out ("Nobody in Bangalore or Sydney will see this. Extended network would
reach 312 more people in 5 locations.").

The counts are the poster's audience preview (`openings.visibility_text.audience_preview`, from
the rule's `reach_of`); this module sets them beside the company's headcount and applies the
small-cell rule (analytics/privacy.py). No names, only counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Division, Location
from openings.visibility_text import LEVELS, audience_preview

from .privacy import MIN_GROUP, Cell, cell, share, share_text

NAMED_AT_MOST = 4


@dataclass(frozen=True)
class PlaceRow:
    """One division or location: its people reached, the share of it reached, and its share of
    the company's headcount next to its share of the opening's audience."""

    code: str
    name: str
    headcount: Cell
    reached: Cell
    reached_share: float | str | None  # of the place's people
    company_share: float | None  # the place's share of the company
    audience_share: float | None  # the place's share of the opening's audience

    @property
    def shares_text(self) -> list[str]:
        """The three shares as they read on the page."""
        return [share_text(v) for v in (self.reached_share, self.company_share, self.audience_share)]

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "headcount": self.headcount.public,
            "reached": self.reached.public,
            "reached_share": self.reached_share,
            "company_share": self.company_share,
            "audience_share": self.audience_share,
        }


def _rows(units, reached_by: dict, headcount_by: dict, total_reached: int, total_people: int) -> list[PlaceRow]:
    rows = []
    for unit in units:
        people = headcount_by.get(unit.pk, 0)
        if not people:
            continue
        reached = cell(reached_by.get(unit.pk, 0), of=people)
        head = cell(people)
        rows.append(
            PlaceRow(
                code=unit.code,
                name=unit.name,
                headcount=head,
                reached=reached,
                reached_share=share(reached, people),
                company_share=share(head, total_people),
                audience_share=share(reached, total_reached),
            )
        )
    return rows


def _names(names: list[str], kind: str) -> str:
    if len(names) > NAMED_AT_MOST:
        rest = len(names) - NAMED_AT_MOST
        names = [*names[:NAMED_AT_MOST], f"{rest} other {kind if rest > 1 else kind.rstrip('s')}"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def left_out(rows: list[PlaceRow]) -> list[str]:
    """Places of five people or more that the opening reaches nobody in (smaller ones are not
    named: that would tell who, there, is outside the poster's network)."""
    return [r.name for r in rows if r.reached.value == 0 and (r.headcount.value or 0) >= MIN_GROUP]


def nudge(divisions: list[PlaceRow], locations: list[PlaceRow], wider: dict | None, n_locations: dict) -> list[str]:
    """The plain sentences under the table: whole places left out, and what the wider level adds."""
    sentences = []
    for rows, kind in ((locations, "locations"), (divisions, "divisions")):
        names = left_out(rows)
        if names:
            sentences.append(f"Nobody in {_names(names, kind)} will see this.")
    if wider and sentences:
        more = cell(sum(wider["by_location"].values()))
        places = sum(1 for loc_id, n in wider["by_location"].items() if n and loc_id in n_locations)
        if more.value != 0:
            where = f" in {places} location{'s' if places != 1 else ''}" if places else ""
            sentences.append(f"{LEVELS[wider['visibility']].label} would reach {more.text} more people{where}.")
    return sentences


def opening_reach(opening, *, excluded_ids=None) -> dict:
    """The per-opening figures: the preview (as `audience_preview`), rows by division and location,
    the share of the company reached, and the nudge. A fixed number of queries."""
    preview = audience_preview(opening, excluded_ids=excluded_ids, by_place=True)
    places = preview["places"]
    by_division, by_location = places["headcount"]["by_division"], places["headcount"]["by_location"]
    total_people = sum(by_division.values())
    total = preview["total"]
    divisions = _rows(Division.objects.all(), places["by_division"], by_division, total, total_people)
    locations = _rows(Location.objects.all(), places["by_location"], by_location, total, total_people)
    reached = cell(total, of=total_people)
    company_share = share(reached, total_people)
    return {
        "preview": preview,
        "total": reached,
        "company_share": company_share,
        "company_share_text": share_text(company_share),
        "divisions": divisions,
        "locations": locations,
        "tables": [("Division", divisions), ("Location", locations)],
        "nudge": nudge(divisions, locations, places["wider"], by_location),
    }
