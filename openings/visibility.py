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

    # Whoever asks: an employee, a service token's principal, or nobody signed in.
    Viewer = User | ServicePrincipal | AnonymousUser | None
    # A batch of openings may come as a list or as a queryset (read for four columns only).
    Openings = Iterable[Opening] | models.QuerySet

VIEW_ALL_PERMISSION = "openings.view_all_openings"


def viewer_is_hr(user: Viewer) -> bool:
    """HR sees every opening in every status (SPEC.md)."""
    return has_scope(user, VIEW_ALL_PERMISSION)


def _direct_ids(user_id: int) -> models.QuerySet:
    """Active employees with an accepted connection to `user_id` (the one spelling, in accounts)."""
    return Connection.objects.direct_ids(user_id)


def _second_degree_ids(user_id: int) -> models.QuerySet:
    """Active employees connected to one of `user_id`'s active connections (the one spelling)."""
    return Connection.objects.second_degree_ids(user_id)


def _referred_by(user_id: int) -> Q:
    return Q(Exists(_referral_model().objects.filter(opening_id=OuterRef("pk"), referrer_id=user_id)))


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
        reach = (
            Q(visibility=self.model.Visibility.COMPANY)
            | Q(
                visibility__in=[self.model.Visibility.NETWORK, self.model.Visibility.EXTENDED],
                posted_by_id__in=_direct_ids(user.pk),
            )
            | Q(visibility=self.model.Visibility.EXTENDED, posted_by_id__in=_second_degree_ids(user.pk))
        )
        open_and_reached = Q(status=self.model.Status.OPEN) & reach
        referred = _referred_by(user.pk) if include_referred else Q(pk__in=[])
        # The exclusion test covers the referrer clause too: exclusion wins over an earlier referral.
        return self.filter(Q(posted_by_id=user.pk) | (Q(not_excluded) & (referred | open_and_reached)))

    def open(self) -> OpeningQuerySet:
        return self.filter(status=self.model.Status.OPEN)


def can_see(user: Viewer, opening: Opening) -> bool:
    """The per-object twin of `visible_to`: the same query narrowed to one opening."""
    return opening.__class__.objects.visible_to(user).filter(pk=opening.pk).exists()


def get_visible_or_404(user: Viewer, pk: object, queryset: OpeningQuerySet | None = None) -> Opening:
    """The opening if `user` may see it; otherwise Http404, exactly as for an id that does not exist."""
    from django.http import Http404

    from .models import Opening

    qs = queryset if queryset is not None else Opening.objects.all()
    try:
        return qs.visible_to(user).get(pk=pk)
    except (Opening.DoesNotExist, ValueError, TypeError):
        raise Http404("No opening matches the given query.") from None


@dataclass(frozen=True)
class Route:
    """How an opening reached a viewer, for the openings list ("via Carlos Yilmaz, your connection").

    `kind`: "own" (they posted it), "connection" (its poster is their connection; `via` is the
    poster), "network" (extended visibility, through one of their connections), "company"
    (company-wide), "referred" (seen only because they referred someone), "hr" (HR sees every
    opening).
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


def routes_to(user: Viewer, openings: Iterable[Opening]) -> dict[int, Route]:
    """How each of `openings` (already visible to `user`) reached them: {opening_id: Route}.

    The clauses of `visible_to`, in its order of strength, read for a batch: the viewer's own
    opening; one whose poster is a connection (any visibility); an extended one through a
    connection's connection; a company-wide one; else the referral or HR clause that let them
    see it. An exclusion stops every network and company route. Three queries whatever the batch
    (exclusions, the viewer's connections, which extended openings' posters they reach through
    them), plus one for referrals when a row needs it.
    """
    openings = list(openings)
    if not openings or not can_act(user):
        return {}
    V = openings[0].Visibility
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    excluded = set(
        Exclusion.objects.filter(user_id=user.pk, opening_id__in=[o.pk for o in openings]).values_list(
            "opening_id", flat=True
        )
    )
    direct = set(_direct_ids(user.pk).values_list("to_user_id", flat=True))
    far_posters = {o.posted_by_id for o in openings if o.visibility == V.EXTENDED and o.posted_by_id not in direct}
    second: set[int] = set()
    if far_posters and direct:
        second = set(
            Connection.objects.filter(from_user_id__in=sorted(direct), to_user_id__in=sorted(far_posters))
            .to_active()
            .values_list("to_user_id", flat=True)
        )
    routes: dict[int, Route] = {}
    rest: list[Opening] = []
    for o in openings:
        reached = o.status == o.Status.OPEN and o.pk not in excluded
        if o.posted_by_id == user.pk:
            routes[o.pk] = Route("own")
        elif reached and o.posted_by_id in direct:
            routes[o.pk] = Route("connection", o.posted_by)
        elif reached and o.visibility == V.EXTENDED and o.posted_by_id in second:
            routes[o.pk] = Route("network")
        elif reached and o.visibility == V.COMPANY:
            routes[o.pk] = Route("company")
        else:
            rest.append(o)
    if rest:
        # Visible, yet not reached through the network: a referral or HR let them see it.
        referred = set(
            _referral_model()
            .objects.filter(referrer_id=user.pk, opening_id__in=[o.pk for o in rest])
            .values_list("opening_id", flat=True)
        )
        for o in rest:
            routes[o.pk] = Route("referred") if o.pk in referred else Route("hr")
    return routes


# --- The other direction: who may see an opening --------------------------------------------


def hr_users() -> models.QuerySet[User]:
    """Active employees holding the HR permission, exactly as `has_perm` grants it."""
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    perm = Q(content_type__app_label=app_label, codename=codename)
    Permission = apps.get_model("auth", "Permission")
    perm_ids = Permission.objects.filter(perm).values("pk")
    return (
        User.objects.active()
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perm_ids) | Q(user_permissions__in=perm_ids))
        .distinct()
    )


def reach_of(
    opening: Opening, *, assume_open: bool = False
) -> tuple[models.QuerySet[User], models.QuerySet[User]] | tuple[None, None]:
    """Who the opening reaches through its visibility, before exclusions, poster, HR and referrers.

    Returns (direct, second) querysets of active employees for network/extended (second is empty
    for network), or (None, None) for company (everyone active). With `assume_open`, a draft or
    closed opening is answered as if it were open (the poster's preview of who *will* see it).
    """
    if opening.status != opening.Status.OPEN and not assume_open:
        return User.objects.none(), User.objects.none()
    poster = opening.posted_by
    if opening.visibility == opening.Visibility.COMPANY:
        return None, None
    if not poster.is_active:
        return User.objects.none(), User.objects.none()
    direct = User.objects.active().filter(pk__in=_direct_ids(poster.pk)).exclude(pk=poster.pk)
    if opening.visibility == opening.Visibility.NETWORK:
        return direct, User.objects.none()
    second = (
        User.objects.active()
        .filter(pk__in=_second_degree_ids(poster.pk))
        .exclude(pk__in=_direct_ids(poster.pk))
        .exclude(pk=poster.pk)
    )
    return direct, second


def audience(opening: Opening) -> models.QuerySet[User]:
    """Every active employee who may see `opening`: the inverse of `visible_to`, for the digest.

    The same rule read the other way: poster and HR always; referrers and, while open, everyone its
    visibility reaches, minus its exclusion list (exclusion wins over an earlier referral).
    """
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    direct, second = reach_of(opening)
    if direct is None:
        reached = Q(pk__in=User.objects.active().values("pk"))
    else:
        reached = Q(pk__in=direct.values("pk")) | Q(pk__in=second.values("pk"))
    excluded = Exclusion.objects.filter(opening_id=opening.pk).values("user_id")
    reached |= Q(pk__in=_referral_model().objects.filter(opening_id=opening.pk).values("referrer_id"))
    by_reach = Q(reached) & ~Q(pk__in=excluded)
    always = Q(pk=opening.posted_by_id) | Q(pk__in=hr_users().values("pk"))
    return User.objects.active().filter(always | by_reach)


def excluded_referrers(opening: Opening, excluded_ids: Iterable[int] | models.QuerySet | None) -> models.QuerySet[User]:
    """The people among `excluded_ids` who already referred someone (or themselves) to `opening`.

    Exclusion wins over their referral: they keep following the referral but no longer see the
    opening, and the poster's form says so. One query; none for an opening not yet saved.
    """
    if not opening.pk or excluded_ids is None:
        return User.objects.none()
    # `excluded_ids` may be a list or a subquery (the stored exclusion list), read in the same query.
    referrers = (
        _referral_model().objects.filter(opening_id=opening.pk, referrer_id__in=excluded_ids).values("referrer_id")
    )
    return User.objects.filter(pk__in=referrers).order_by("full_name", "pk")


def excluded_referrer_notes(opening: Opening, excluded_ids: Iterable[int] | models.QuerySet | None) -> list[str]:
    """The form's sentences for `excluded_referrers`: one per person, in name order."""
    return [
        f"{person.full_name or person.email} will keep following their referral but will no longer see this opening."
        for person in excluded_referrers(opening, excluded_ids)
    ]


def audience_preview(opening: Opening, *, excluded_ids: Iterable[int] | None = None) -> dict[str, int | bool | None]:
    """The numbers on the poster's preview: "412 people: 38 direct connections, 374 through them".

    Counts the people the visibility reaches if the opening is open, minus its exclusions (poster
    and HR are not counted: they always see it). `excluded_ids` overrides the stored exclusion list
    (for a form not yet saved).
    """
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    if excluded_ids is None:
        excluded_ids = (
            list(Exclusion.objects.filter(opening_id=opening.pk).values_list("user_id", flat=True))
            if opening.pk
            else []
        )
    if opening.visibility == opening.Visibility.COMPANY:
        everyone = User.objects.active().exclude(pk=opening.posted_by_id).exclude(pk__in=excluded_ids).count()
        return {"total": everyone, "direct": None, "second": None, "company": True}
    poster_id = opening.posted_by_id
    if not opening.posted_by.is_active:
        return {"total": 0, "direct": 0, "second": 0, "company": False}
    # Counted on the connection rows themselves, the same sets as reach_of() without joining the
    # employee table. The poster's connections are read first and passed as a list: with the
    # subquery, the planner sometimes chose to scan the whole connection table.
    direct = set(_direct_ids(poster_id).values_list("to_user_id", flat=True))
    n_direct = len(direct - set(excluded_ids))
    n_second = 0
    if opening.visibility == opening.Visibility.EXTENDED and direct:
        n_second = (
            Connection.objects.filter(from_user_id__in=sorted(direct))
            .to_active()
            .exclude(to_user_id__in=sorted(direct | {poster_id} | set(excluded_ids)))
            .values("to_user_id")
            .order_by()
            .distinct()
            .count()
        )
    return {"total": n_direct + n_second, "direct": n_direct, "second": n_second, "company": False}


# --- Many viewers at once (the weekly digest) ------------------------------------------------


@dataclass
class Sight:
    """What one viewer may see among a batch of openings.

    `best`: the first `limit` of them as (opening_id, degree), best first; `total`: how many in all.
    Degree 1: posted by one of the viewer's connections; 2: by a connection of a connection (for
    openings that reach that far); 3: anything else they see (company-wide, as HR, poster or referrer).
    """

    best: list[tuple[int, int]] = field(default_factory=list)
    total: int = 0


def visible_among(openings: Openings, users: Iterable[User]) -> dict[int, dict[int, int]]:
    """For each of `users`, every one of `openings` they may see: {user_id: {opening_id: degree}}.

    `ranked_among` without a limit; the property tests check it equals `visible_to` per viewer.
    """
    return {user_id: dict(sight.best) for user_id, sight in ranked_among(openings, users).items()}


def ranked_among(
    openings: Openings,
    users: Sequence[User] | models.QuerySet[User],
    *,
    limit: int | None = None,
    skip_own: bool = False,
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
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    return _positions_by_viewer(
        Exclusion.objects.filter(user_id__in=viewer_ids).values_list("user_id", "opening_id"), position
    )


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
    for poster_id, middle_id in (
        Connection.objects.filter(from_user_id__in=far_posters, to_user_id__in=viewer_links.values("to_user_id"))
        .from_active()
        .values_list("from_user_id", "to_user_id")
    ):
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
