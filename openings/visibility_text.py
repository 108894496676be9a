"""The visibility rule as people read it: one table of its levels, how an opening reached a viewer,
the poster's audience preview (its numbers and its sentence) and the form's notes.

The rule itself is `openings/visibility.py`, and every number here is counted from it (the preview
from `reach_of`, the same reach as `audience`); nothing in this module decides who sees what.

Every place that names a level reads `LEVELS`: the model's choice labels, the form's help, the
badge (`visibility_level` in `openings_tags`), the preview's sentence, and `viewer_choices` for the
list's filter. A level added to `Opening.Visibility` without a row here fails loudly: a KeyError on
the first page that shows it, and `tests/openings/test_visibility_text.py` before that. This module
does not import `openings.models` (the model reads its labels from here).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count
from django.template.defaultfilters import pluralize

from accounts.models import User

from .visibility import reach_of

if TYPE_CHECKING:
    from django.db import models

    from .models import Opening


@dataclass(frozen=True)
class Level:
    """How one visibility level reads, to the poster and to everyone else.

    `label`: the poster's choice ("My network": theirs). `for_viewer`: the same level to someone who
    did not post it (the list's filter: "My network" would read as the viewer's own network).
    `badge`, `badge_title`, `badge_class`: the badge on cards and detail pages. `help`: the form's
    explanation. `reach`: the preview's words after "412 people: ", with `{direct}` and `{second}`
    (the numbers of `audience_preview`) and `{connections}` ("connection" or "connections").
    """

    label: str
    for_viewer: str
    badge: str
    badge_title: str
    badge_class: str
    help: str
    reach: str


LEVELS: dict[str, Level] = {
    "network": Level(
        label="My network",
        for_viewer="Poster's connections",
        badge="Network",
        badge_title="Only the poster's connections see it",
        badge_class="badge-brand",
        help="Only people you are connected with. Quiet: your direct network.",
        reach="{direct} direct {connections}",
    ),
    "extended": Level(
        label="Extended network",
        for_viewer="Poster's extended network",
        badge="Extended network",
        badge_title="The poster's connections and theirs",
        badge_class="badge-warn",
        help="Your connections and the people they are connected with.",
        reach="{direct} direct {connections}, {second} through them",
    ),
    "company": Level(
        label="Whole company",
        for_viewer="Company-wide",
        badge="Company",
        badge_title="Every employee",
        badge_class="",
        help="Every employee of the company.",
        reach="everyone in the company",
    ),
}

# Who sees an opening whatever its visibility, in the poster's words (`visibility.always_sees`).
ALWAYS_SEES = "You and HR always see it."


def viewer_choices() -> list[tuple[str, str]]:
    """The levels as someone who did not post the opening reads them, for a filter's choices."""
    return [(value, level.for_viewer) for value, level in LEVELS.items()]


def preview_text(preview: dict, visibility: str) -> str:
    """The preview's sentence: "412 people: 38 direct connections, 374 through them".

    `preview` is `audience_preview`'s answer for an opening of `visibility`.
    """
    total, direct = preview["total"], preview["direct"] or 0
    words = LEVELS[visibility].reach.format(
        direct=intcomma(direct), connections=f"connection{pluralize(direct)}", second=intcomma(preview["second"] or 0)
    )
    return f"{intcomma(total)} {pluralize(total, 'person,people')}: {words}"


# The next wider level, for the preview's "Extended network would reach 312 more people".
WIDER = {"network": "extended", "extended": "company"}


def audience_preview(
    opening: Opening, *, excluded_ids: Iterable[int] | None = None, by_place: bool = False
) -> dict[str, int | bool | dict | None]:
    """The numbers on the poster's preview: "412 people: 38 direct connections, 374 through them".

    A count of the rule's own `reach_of`, as if the opening were open, by degree: the part of
    `audience` that the poster's choice of visibility and "Hide from" moves (HR: `always_sees`
    decides). `excluded_ids` overrides the stored exclusion list (a form not yet saved). `direct`
    and `second` are None for company-wide. At most four queries (the stored exclusion list, the
    poster, their connections, the second degree counted on the database), whatever the company's size.

    `by_place` adds `places`: the same people counted by division and by location
    ({division_id: n}, {location_id: n}), and, for `network` and `extended`, the people the next
    wider level (`WIDER`) would add, by location, and the company's headcount by place. At most
    five more queries, none of which reads the whole company but the headcount's one group-by. Counts only: who is shown
    and how small numbers are hidden is for the caller (analytics/opening_reach.py).
    """
    reach = reach_of(opening, assume_open=True, excluded_ids=excluded_ids)
    if reach.everyone:
        everyone = User.objects.active().filter(reach.as_q()).count()
        preview = {"total": everyone, "direct": None, "second": None, "company": True}
    else:
        n_direct, n_second = len(reach.direct), reach.second().count()
        preview = {"total": n_direct + n_second, "direct": n_direct, "second": n_second, "company": False}
    if by_place:
        preview["places"] = _by_place(opening, reach)
    return preview


def headcount_by_place() -> tuple[Counter, Counter]:
    """Active employees by division and by location ({division_id: n}, {location_id: n}): one
    group-by over the company, read from the index of active employees' places."""
    by_division, by_location = Counter(), Counter()
    rows = User.objects.active().values_list("division_id", "location_id").annotate(n=Count("*")).order_by()
    for division_id, location_id, n in rows:
        by_division[division_id] += n
        by_location[location_id] += n
    return by_division, by_location


def _count_by_place(reach, headcount: tuple[Counter, Counter]) -> tuple[Counter, Counter]:
    """The people of `reach` by division and by location. Each part is counted from its own ids so
    the database walks the people reached, not the company: the direct connections by their
    primary keys, the second degree as a semi-join; company-wide is the headcount less the poster
    and the exclusion list."""
    by_division, by_location = Counter(), Counter()

    def add(qs, sign=1):
        for division_id, location_id, n in (
            qs.values_list("division_id", "location_id").annotate(n=Count("*")).order_by()
        ):
            by_division[division_id] += sign * n
            by_location[location_id] += sign * n

    people = User.objects.active()
    if reach.everyone:
        by_division.update(headcount[0])
        by_location.update(headcount[1])
        add(people.filter(pk__in=sorted(reach.excluded | {reach.poster_id})), sign=-1)
    else:
        if reach.direct:
            add(people.filter(pk__in=sorted(reach.direct)))
        if reach.extended:
            add(people.filter(pk__in=reach.second()))
    return +by_division, +by_location


def _by_place(opening: Opening, reach) -> dict:
    """`audience_preview`'s `places`: its reach counted by division and location, what the next
    wider level would add by location (the wider reach less this one: each level holds the one
    before it, with the same exclusions), and the company's `headcount` by place."""
    headcount = headcount_by_place()
    by_division, by_location = _count_by_place(reach, headcount)
    places = {"by_division": dict(by_division), "by_location": dict(by_location), "wider": None}
    places["headcount"] = {"by_division": dict(headcount[0]), "by_location": dict(headcount[1])}
    wider = WIDER.get(opening.visibility)
    if wider:
        probe = copy.copy(opening)
        probe.visibility = wider
        more = reach_of(probe, assume_open=True, excluded_ids=reach.excluded)
        _, more_by_location = _count_by_place(more, headcount)
        added = more_by_location - by_location
        places["wider"] = {"visibility": wider, "by_location": dict(added)}
    return places


def excluded_referrers(opening: Opening, excluded_ids: Iterable[int] | models.QuerySet | None) -> models.QuerySet[User]:
    """The people among `excluded_ids` who already referred someone (or themselves) to `opening`.

    Exclusion wins over their referral: they keep following the referral but no longer see the
    opening, and the poster's form says so. One query; none for an opening not yet saved.
    """
    if not opening.pk or excluded_ids is None:
        return User.objects.none()
    # `excluded_ids` may be a list or a subquery (the stored exclusion list), read in the same query.
    Referral = apps.get_model("referrals", "Referral")
    referrers = Referral.objects.filter(opening_id=opening.pk, referrer_id__in=excluded_ids).values("referrer_id")
    return User.objects.filter(pk__in=referrers).order_by("full_name", "pk")


def excluded_referrer_notes(opening: Opening, excluded_ids: Iterable[int] | models.QuerySet | None) -> list[str]:
    """The form's sentences for `excluded_referrers`: one per person, in name order."""
    return [
        f"{person.full_name or person.email} will keep following their referral but will no longer see this opening."
        for person in excluded_referrers(opening, excluded_ids)
    ]


@dataclass(frozen=True)
class Route:
    """How an opening reached a viewer, for the openings list ("via Carlos Yilmaz, your connection").

    `kind`: "own" (they posted it), "connection" (its poster is their connection; `via` is the
    poster), "network" (extended visibility, through one of their connections), "company"
    (company-wide), "referred" (seen only because they referred someone), "hr" (HR sees every
    opening). `visibility.routes_to` decides the kind.
    """

    kind: str
    via: User | None = None

    @property
    def label(self) -> str:
        return {
            "own": "posted by you",
            "connection": f"via {getattr(self.via, 'full_name', '')}, your connection",
            "network": "through your network",
            "company": "company-wide",
            "referred": "you referred someone to it",
            "hr": "you see every opening (HR)",
        }[self.kind]
