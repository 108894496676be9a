"""Who may see an opening: the one rule of the product, in both directions.

`Opening.objects.visible_to(user)` answers "which openings may this person see"; `audience(opening)`
answers "who may see this opening". Every channel (portal pages and their counts, the API, referral
forms, notifications, the digest, exports) calls these and never restates the rule. The tests check
each direction against an independent oracle and against each other.

The rule (SPEC.md, "Visibility"). A viewer V may see opening O if and only if V is an active
employee and
  - V posted O (any status), or
  - V is HR, i.e. holds `openings.view_all_openings` (any status), or
  - V is not on O's exclusion list and either
      - V referred someone to O (any status after that; read-only), or
      - O is open and
          company:  always;
          network:  V has an accepted connection with O's poster;
          extended: V has an accepted connection with O's poster, or with someone who has one.
Exclusion wins over an earlier referral: an excluded referrer keeps their referral's own page
(with the opening's title as it was when they referred, `Referral.opening_title`), not the opening.
A connection counts only while both its ends are active employees, so a leaver links nobody and
their network-only openings reach nobody but HR.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Connection, User
from accounts.roles import can_act, has_scope, is_service

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.principals import ServicePrincipal

    from .models import Opening
    from .visibility_text import Route

    # Whoever asks: an employee, a service token's principal, or nobody signed in.
    Viewer = User | ServicePrincipal | AnonymousUser | None
    # A batch of openings may come as a list or as a queryset (read for four columns only).
    Openings = Iterable[Opening] | models.QuerySet
    Viewers = Sequence[User] | models.QuerySet[User]

VIEW_ALL_PERMISSION = "openings.view_all_openings"


def viewer_is_hr(user: Viewer) -> bool:
    """HR sees every opening in every status (SPEC.md)."""
    return has_scope(user, VIEW_ALL_PERMISSION)


def _referral_model() -> type[models.Model]:
    # Looked up by name: referrals imports this module, so importing its model here would be circular.
    return apps.get_model("referrals", "Referral")


class OpeningQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer, *, include_referred: bool = True) -> OpeningQuerySet:
        """The openings `user` may see, by the rule in this module's docstring.

        Anonymous, deactivated and scope-less callers see nothing. The network branches use the
        viewer's own connection rows (index lookups on (from_user, to_user)), never a per-opening
        probe, so the cost follows the viewer's network rather than the number of openings.

        A referrer's sight of an opening they referred to is read-only: `include_referred=False`
        leaves that clause out, giving the openings `user` may act on (refer someone to).
        """
        if not can_act(user):
            return self.none()
        if viewer_is_hr(user):
            return self.all()
        if is_service(user):
            return self.none()
        Exclusion = apps.get_model("openings", "OpeningExclusion")
        not_excluded = ~Exists(Exclusion.objects.filter(opening_id=OuterRef("pk"), user_id=user.pk))
        V = self.model.Visibility
        reach = (
            Q(visibility=V.COMPANY)
            | Q(visibility__in=[V.NETWORK, V.EXTENDED], posted_by_id__in=Connection.objects.direct_ids(user.pk))
            | Q(visibility=V.EXTENDED, posted_by_id__in=Connection.objects.second_degree_ids(user.pk))
        )
        open_and_reached = Q(status=self.model.Status.OPEN) & reach
        referrals = _referral_model().objects.filter(opening_id=OuterRef("pk"), referrer_id=user.pk)
        referred = Q(Exists(referrals)) if include_referred else Q(pk__in=[])
        # The exclusion test covers the referrer clause too: exclusion wins over an earlier referral.
        return self.filter(Q(posted_by_id=user.pk) | (Q(not_excluded) & (referred | open_and_reached)))

    def open(self) -> OpeningQuerySet:
        return self.filter(status=self.model.Status.OPEN)


def can_see(user: Viewer, opening: Opening) -> bool:
    """The per-object twin of `visible_to`: the same query narrowed to one opening."""
    return opening.__class__.objects.visible_to(user).filter(pk=opening.pk).exists()


def routes_to(user: Viewer, openings: Iterable[Opening]) -> dict[int, Route]:
    """How each of `openings` (already visible to `user`) reached them: {opening_id: Route}.

    The clauses of `visible_to` in its order of strength, with `ranked_among`'s steps for one viewer:
    their own opening; a connection's (degree 1, any visibility); an extended one through a
    connection's connection (degree 2); a company-wide one; else the referral or HR clause. An
    exclusion stops every network and company route. Three queries, a fourth for referrals if needed.
    """
    from .visibility_text import Route

    openings = list(openings)
    if not openings or not can_act(user):
        return {}
    b = _Batch(_batch_rows(openings))
    ex = _exclusions_among([user.pk], b.position)[user.pk]
    viewer_links, links = _links_among([user.pk])
    # Degree 2 names a route only for an extended opening posted beyond the viewer's connections.
    far = any(o.visibility == o.Visibility.EXTENDED and o.posted_by_id not in links[user.pk] for o in openings)
    reaches = _reaches_among(openings, b, viewer_links) if far and links[user.pk] else {}
    first, through, _near = _by_degree(b, user.pk, ex, links[user.pk], reaches)
    routes: dict[int, Route] = {}
    rest = []
    for pos, o in enumerate(openings):
        if o.posted_by_id == user.pk:
            routes[o.pk] = Route("own")
        elif pos in first:
            routes[o.pk] = Route("connection", o.posted_by)
        elif pos in through and o.visibility == o.Visibility.EXTENDED:
            routes[o.pk] = Route("network")
        elif o.status == o.Status.OPEN and o.visibility == o.Visibility.COMPANY and pos not in ex:
            routes[o.pk] = Route("company")
        else:
            rest.append(pos)
    # Visible, yet not reached through the network or the company: a referral or HR let them see it.
    referred = _referrals_among([user.pk], b.position)[user.pk] if rest else set()
    for pos in rest:
        routes[openings[pos].pk] = Route("referred") if pos in referred else Route("hr")
    return routes


# --- The other direction: who may see an opening --------------------------------------------


def hr_users() -> models.QuerySet[User]:
    """Active employees holding the HR permission, exactly as `has_perm` grants it."""
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    perm_ids = apps.get_model("auth", "Permission").objects.filter(content_type__app_label=app_label, codename=codename)
    # Membership read as two small id subqueries rather than joins plus DISTINCT: as a join, every
    # audience query scanned the whole employee table once more (the reach snapshot runs thousands).
    in_groups = User.groups.through.objects.filter(group__permissions__in=perm_ids).values("user_id")
    granted_directly = User.user_permissions.through.objects.filter(permission__in=perm_ids).values("user_id")
    granted = Q(is_superuser=True) | Q(pk__in=in_groups) | Q(pk__in=granted_directly)
    return User.objects.active().filter(granted)


def always_sees(opening: Opening) -> Q:
    """Who sees `opening` whatever its status, visibility and exclusion list: its poster and HR.

    The one place HR is decided for an opening's audience (SPEC.md: HR see every opening in every
    status). `audience` adds them to the reach. The poster's preview counts the reach alone, what
    their choices move: HR are in its numbers only where the visibility reaches them, like anyone,
    never for being HR, and the form says in words that HR always see it (`ALWAYS_SEES`).
    """
    return Q(pk=opening.posted_by_id) | Q(pk__in=hr_users().values("pk"))


@dataclass(frozen=True)
class Reach:
    """Whom an opening reaches through its visibility, less its poster and its exclusion list.

    `everyone` for company-wide (every active employee); else `direct`, the poster's active
    connections, and `second()`, theirs (extended only). The poster's `connections` are read once
    and passed on as a list: as a subquery, PostgreSQL sometimes chose to scan the whole table.
    """

    poster_id: int | None
    excluded: frozenset[int]
    everyone: bool = False
    connections: frozenset[int] = frozenset()
    direct: frozenset[int] = frozenset()
    extended: bool = False

    def second(self) -> models.QuerySet:
        """Ids of the second degree, each once, counted on the connection rows alone."""
        if not (self.extended and self.connections):
            return Connection.objects.none().values("to_user_id")
        near = sorted(self.connections | self.excluded | {self.poster_id})
        rows = Connection.objects.filter(from_user_id__in=sorted(self.connections)).to_active()
        return rows.exclude(to_user_id__in=near).values("to_user_id").order_by().distinct()

    def as_q(self) -> Q:
        """The same people, as a filter on active employees."""
        if self.everyone:
            return ~Q(pk=self.poster_id) & ~Q(pk__in=sorted(self.excluded))
        return Q(pk__in=sorted(self.direct)) | Q(pk__in=self.second())


def reach_of(opening: Opening, *, assume_open: bool = False, excluded_ids: Iterable[int] | None = None) -> Reach:
    """Who `opening` reaches through its visibility (the rule's last clause), as a `Reach`.

    Nobody unless it is open; with `assume_open`, a draft or closed opening is answered as if it
    were (the poster's preview of who *will* see it). A leaver's network and extended openings
    reach nobody. `excluded_ids` overrides the stored exclusion list (a form not yet saved).
    """
    if excluded_ids is None:
        excluded_ids = opening.exclusions.values_list("user_id", flat=True) if opening.pk else ()
    excluded = frozenset(excluded_ids)
    if opening.status != opening.Status.OPEN and not assume_open:
        return Reach(opening.posted_by_id, excluded)
    if opening.visibility == opening.Visibility.COMPANY:
        return Reach(opening.posted_by_id, excluded, everyone=True)
    if not opening.posted_by.is_active:
        return Reach(opening.posted_by_id, excluded)
    connections = frozenset(Connection.objects.direct_ids(opening.posted_by_id).values_list("to_user_id", flat=True))
    extended = opening.visibility == opening.Visibility.EXTENDED
    return Reach(
        opening.posted_by_id, excluded, connections=connections, direct=connections - excluded, extended=extended
    )


def audience(opening: Opening) -> models.QuerySet[User]:
    """Every active employee who may see `opening`: the inverse of `visible_to`.

    The same rule read the other way: `always_sees` (poster and HR), and, unless excluded
    (exclusion wins over an earlier referral), its referrers and, while open, its `reach_of`.
    """
    reach = reach_of(opening)
    referrers = _referral_model().objects.filter(opening_id=opening.pk).exclude(referrer_id__in=sorted(reach.excluded))
    return User.objects.active().filter(always_sees(opening) | reach.as_q() | Q(pk__in=referrers.values("referrer_id")))


@dataclass
class Sight:
    """What one viewer may see among a batch of openings (many viewers at once: the weekly digest).

    `best`: the first `limit` of them as (opening_id, degree), best first; `total`: how many in all.
    Degree 1: posted by one of the viewer's connections; 2: by a connection of a connection (for
    openings that reach that far); 3: anything else they see (company-wide, as HR, poster or referrer).
    """

    best: list[tuple[int, int]] = field(default_factory=list)
    total: int = 0


def visible_among(openings: Openings, users: Iterable[User]) -> dict[int, dict[int, int]]:
    """`ranked_among` without a limit: {user_id: {opening_id: degree}}, every one of `openings` each may see."""
    return {user_id: dict(sight.best) for user_id, sight in ranked_among(openings, users).items()}


def ranked_among(
    openings: Openings, users: Viewers, *, limit: int | None = None, skip_own: bool = False
) -> dict[int, Sight]:
    """For each of `users`, the openings among `openings` they may see, best first, and how many.

    The same rule as `visible_to`, evaluated for a batch of viewers in six queries whatever the
    batch or the company size, so the digest does not run a query per employee. `openings` is a
    list of openings or a queryset of them (read here as four columns). Best first means
    by degree (see `Sight`), then in the order `openings` is given (the digest gives newest first).
    `skip_own` leaves out what each viewer posted. Returns {user_id: Sight}.

    Work per viewer follows their network, not the company: the openings of the posters they are
    linked to, then the company-wide ones walked in order only until `limit` is reached, the rest
    counted from per-poster tallies. A company a hundred times larger posts a hundred times more
    openings a week, and a digest shows ten of them. HR viewers, who see every opening, each cost
    one pass over `openings`.
    """
    result = {u.pk: Sight() for u in users}
    viewer_ids = [u.pk for u in users if can_act(u)]
    rows = _batch_rows(openings)
    if not rows or not viewer_ids:
        return result
    b = _Batch(rows)
    hr_ids = set(hr_users().filter(pk__in=viewer_ids).values_list("pk", flat=True))
    excluded, referred = _exclusions_among(viewer_ids, b.position), _referrals_among(viewer_ids, b.position)
    viewer_links, links = _links_among(viewer_ids)
    reaches = _reaches_among(openings, b, viewer_links)
    for viewer_id in viewer_ids:
        ex = excluded[viewer_id]
        first, through, near = _by_degree(b, viewer_id, ex, links[viewer_id], reaches)
        ranked = set(first) | set(through)
        if viewer_id in hr_ids:
            rest, n_rest = _rest_for_hr(b, viewer_id, ranked, skip_own)
        else:
            rest, n_rest = _rest_by_reach(b, viewer_id, ex, near, ranked, referred[viewer_id] - ex, skip_own)
        total = len(first) + len(through) + n_rest
        best = [(pos, 1) for pos in first] + [(pos, 2) for pos in through]
        room = total if limit is None else limit
        best = best[:room]
        if len(best) < room:
            best += [(pos, 3) for pos in itertools.islice(rest, room - len(best))]
        result[viewer_id] = Sight(best=[(rows[pos][0], degree) for pos, degree in best], total=total)
    return result


def _batch_rows(openings: Openings) -> list[tuple[int, int, bool, str]]:
    """The columns every clause reads: (pk, poster, is open, visibility) per opening, in order.

    Plain tuples indexed by position: the loops run for every viewer, and model attribute access
    was most of their cost. From a queryset, only the four columns the rule needs.
    """
    from .models import Opening

    if isinstance(openings, models.QuerySet):
        fetched = openings.values_list("pk", "posted_by_id", "status", "visibility")
    else:
        fetched = ((o.pk, o.posted_by_id, o.status, o.visibility) for o in openings)
    return [(pk, poster, status == Opening.Status.OPEN, visibility) for pk, poster, status, visibility in fetched]


class _Batch:
    """The batch indexed by poster. Posting clause: `posted` holds everything a poster posted (any
    status). Only open openings reach anyone else: `open_posted`. Company clause: `company`, the open
    company-wide openings in order, and `company_by_poster`, their count per poster.
    """

    def __init__(self, rows: list[tuple[int, int, bool, str]]) -> None:
        from .models import Opening

        self.rows, self.company = rows, []
        self.position = {pk: pos for pos, (pk, *_rest) in enumerate(rows)}
        self.posted, self.open_posted, self.company_by_poster = defaultdict(list), defaultdict(list), defaultdict(int)
        for pos, (_pk, poster, is_open, visibility) in enumerate(rows):
            self.posted[poster].append(pos)
            if is_open:
                self.open_posted[poster].append(pos)
                if visibility == Opening.Visibility.COMPANY:
                    self.company.append(pos)
                    self.company_by_poster[poster] += 1


def _positions_by_viewer(pairs: Iterable[tuple[int, int]], position: dict[int, int]) -> defaultdict[int, set[int]]:
    # A viewer's exclusions and referrals are few: read them all and keep those in this batch,
    # rather than send the batch's opening ids to the database.
    found = defaultdict(set)
    for user_id, opening_id in pairs:
        if opening_id in position:
            found[user_id].add(position[opening_id])
    return found


def _exclusions_among(viewer_ids: list[int], position: dict[int, int]) -> defaultdict[int, set[int]]:
    """Exclusion clause: the positions of the batch's openings each viewer is excluded from."""
    pairs = apps.get_model("openings", "OpeningExclusion").objects.filter(user_id__in=viewer_ids)
    return _positions_by_viewer(pairs.values_list("user_id", "opening_id"), position)


def _referrals_among(viewer_ids: list[int], position: dict[int, int]) -> defaultdict[int, set[int]]:
    """Referral clause: the positions of the batch's openings each viewer referred someone to."""
    pairs = _referral_model().objects.filter(referrer_id__in=viewer_ids).values_list("referrer_id", "opening_id")
    return _positions_by_viewer(pairs, position)


def _links_among(viewer_ids: list[int]) -> tuple[models.QuerySet, defaultdict[int, list[int]]]:
    """Network clause and leavers: each viewer's connections that count (both ends active).

    Returns the connection rows as a queryset (for `_reaches_among`) and {viewer: [connection]}.
    Activity is checked against the few leavers (a hashed set), not by joining the employee table
    on every connection row.
    """
    viewer_links = Connection.objects.filter(from_user_id__in=viewer_ids).to_active()
    links = defaultdict(list)
    for viewer_id, other_id in viewer_links.values_list("from_user_id", "to_user_id"):
        links[viewer_id].append(other_id)
    return viewer_links, links


def _reaches_among(openings: Openings, b: _Batch, viewer_links: models.QuerySet) -> defaultdict[int, list[int]]:
    """Extended clause: middle -> the active posters of open company-wide or extended openings it is
    connected to, the only second-degree links that reach (extended) or rank (company-wide).

    Read from the posters' side (an index range per poster) and kept only where the middle is one
    of the batch's connections: a viewer has thousands of friend-of-a-friend paths, the posters of
    a week a few dozen links each, and only the few that meet come back to Python.
    """
    from .models import Opening

    far = (Opening.Visibility.COMPANY, Opening.Visibility.EXTENDED)
    far_posters = {b.rows[pos][1] for ps in b.open_posted.values() for pos in ps if b.rows[pos][3] in far}
    reaches = defaultdict(list)
    if not far_posters:
        return reaches
    if isinstance(openings, models.QuerySet):
        # The same posters as a subquery: a list of thousands of ids cost Django more to prepare
        # than the database took to run the query.
        far_posters = openings.filter(status=Opening.Status.OPEN, visibility__in=far).values("posted_by_id")
    rows = Connection.objects.filter(from_user_id__in=far_posters, to_user_id__in=viewer_links.values("to_user_id"))
    for poster_id, middle_id in rows.from_active().values_list("from_user_id", "to_user_id"):
        reaches[middle_id].append(poster_id)
    return reaches


def _by_degree(b: _Batch, viewer_id: int, ex: set[int], links: list[int], reaches: dict) -> tuple[list, list, set]:
    """Network and extended degrees: (degree-1 positions, degree-2 positions, posters near the viewer).

    Degree 1: any open opening of a connection; degree 2: open extended or company-wide ones of a
    connection's connection. Exclusions apply to both. The viewer's own openings come back through
    any connection of theirs; they rank as the poster's (3).
    """
    from .models import Opening

    far, rows = (Opening.Visibility.COMPANY, Opening.Visibility.EXTENDED), b.rows
    direct = {p for p in links if p in b.open_posted}
    second = {p for m in links for p in reaches.get(m, ())} - direct - {viewer_id}
    first = sorted(pos for p in direct for pos in b.open_posted[p] if pos not in ex)
    through = sorted(pos for p in second for pos in b.open_posted[p] if rows[pos][3] in far and pos not in ex)
    return first, through, direct | second | {viewer_id}


def _rest_for_hr(b: _Batch, viewer_id: int, ranked: set[int], skip_own: bool) -> tuple[Iterable[int], int]:
    """HR clause: every opening not ranked by degree (less their own with `skip_own`), and how many."""
    dropped = set(b.posted.get(viewer_id, ())) if skip_own else set()
    rest = (pos for pos in range(len(b.rows)) if pos not in ranked and pos not in dropped)
    return rest, len(b.rows) - len(ranked) - len(dropped - ranked)


def _rest_by_reach(
    b: _Batch, viewer_id: int, ex: set[int], near: set[int], ranked: set[int], referred: set[int], skip_own: bool
) -> tuple[Iterable[int], int]:
    """Company, posting and referral clauses beyond the degrees: (positions in order, how many).

    Company-wide openings not excluded and not posted near the viewer, merged in order with what
    they posted (any status, unless `skip_own`) and what they referred someone to (not excluded).
    """
    from .models import Opening

    rows, COMPANY = b.rows, Opening.Visibility.COMPANY

    def reached_far(pos: int) -> bool:
        # Open, company-wide, not excluded, and not already ranked by degree.
        return rows[pos][3] == COMPANY and rows[pos][1] not in near and pos not in ex

    own = () if skip_own else b.posted.get(viewer_id, ())
    extras = sorted(
        pos
        for pos in set(own) | referred
        if pos not in ranked
        and not (rows[pos][2] and reached_far(pos))
        and not (skip_own and rows[pos][1] == viewer_id)
    )
    n_far = (
        len(b.company)
        - sum(b.company_by_poster.get(p, 0) for p in near)
        - sum(1 for pos in ex if rows[pos][2] and rows[pos][3] == COMPANY and rows[pos][1] not in near)
    )
    return heapq.merge((pos for pos in b.company if reached_far(pos)), extras), n_far + len(extras)
