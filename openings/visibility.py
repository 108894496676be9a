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

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.principals import ServicePrincipal

    from .models import Opening

    # Whoever asks: an employee, a service token's principal, or nobody signed in.
    Viewer = User | ServicePrincipal | AnonymousUser | None
    # A batch of openings may come as a list or as a queryset (read for four columns only).
    Openings = Iterable[Opening] | models.QuerySet

VIEW_ALL_PERMISSION = "openings.view_all_openings"


def _is_viewer(user: Viewer) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def viewer_is_hr(user: Viewer) -> bool:
    """HR sees every opening in every status (SPEC.md)."""
    return _is_viewer(user) and user.has_perm(VIEW_ALL_PERMISSION)


def _direct_ids(user_id: int) -> models.QuerySet:
    """Active employees with an accepted connection to `user_id` (the one spelling, in accounts)."""
    return Connection.objects.direct_ids(user_id)


def _second_degree_ids(user_id: int) -> models.QuerySet:
    """Active employees connected to one of `user_id`'s active connections (the one spelling)."""
    return Connection.objects.second_degree_ids(user_id)


def _referred_by(user_id: int) -> Q:
    Referral = _referral_model()
    if Referral is None:
        return Q(pk__in=[])
    return Q(Exists(Referral.objects.filter(opening_id=OuterRef("pk"), referrer_id=user_id)))


def _referral_model() -> type[models.Model] | None:
    try:
        return apps.get_model("referrals", "Referral")
    except LookupError:
        return None


class OpeningQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer, *, include_referred: bool = True) -> OpeningQuerySet:
        """The openings `user` may see, by the rule in this module's docstring.

        Anonymous, deactivated and scope-less callers see nothing. The network branches use the
        viewer's own connection rows (index lookups on (from_user, to_user)), never a per-opening
        probe, so the cost follows the viewer's network rather than the number of openings.

        A referrer's sight of an opening they referred to is read-only: `include_referred=False`
        leaves that clause out, giving the openings `user` may act on (refer someone to).
        """
        if not _is_viewer(user):
            return self.none()
        if viewer_is_hr(user):
            return self.all()
        if getattr(user, "is_service", False):
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
    if not openings or not _is_viewer(user):
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
        Referral = _referral_model()
        referred: set[int] = set()
        if Referral is not None:
            referred = set(
                Referral.objects.filter(referrer_id=user.pk, opening_id__in=[o.pk for o in rest]).values_list(
                    "opening_id", flat=True
                )
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
    Referral = _referral_model()
    if Referral is not None:
        reached |= Q(pk__in=Referral.objects.filter(opening_id=opening.pk).values("referrer_id"))
    by_reach = Q(reached) & ~Q(pk__in=excluded)
    always = Q(pk=opening.posted_by_id) | Q(pk__in=hr_users().values("pk"))
    return User.objects.active().filter(always | by_reach)


def excluded_referrers(opening: Opening, excluded_ids: Iterable[int] | models.QuerySet | None) -> models.QuerySet[User]:
    """The people among `excluded_ids` who already referred someone (or themselves) to `opening`.

    Exclusion wins over their referral: they keep following the referral but no longer see the
    opening, and the poster's form says so. One query; none for an opening not yet saved.
    """
    Referral = _referral_model()
    if Referral is None or not opening.pk or excluded_ids is None:
        return User.objects.none()
    # `excluded_ids` may be a list or a subquery (the stored exclusion list), read in the same query.
    referrers = Referral.objects.filter(opening_id=opening.pk, referrer_id__in=excluded_ids).values("referrer_id")
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
    from .models import Opening

    Exclusion = apps.get_model("openings", "OpeningExclusion")
    result = {u.pk: Sight() for u in users}
    viewers = [u for u in users if _is_viewer(u)]
    # Plain tuples indexed by position: the loops below run for every viewer, and model attribute
    # access was most of their cost. From a queryset, only the four columns the rule needs.
    if isinstance(openings, models.QuerySet):
        fetched = openings.values_list("pk", "posted_by_id", "status", "visibility")
    else:
        fetched = ((o.pk, o.posted_by_id, o.status, o.visibility) for o in openings)
    rows = [(pk, poster, status == Opening.Status.OPEN, visibility) for pk, poster, status, visibility in fetched]
    if not rows or not viewers:
        return result
    COMPANY, EXTENDED = Opening.Visibility.COMPANY, Opening.Visibility.EXTENDED
    position = {pk: pos for pos, (pk, *_rest) in enumerate(rows)}
    posted = defaultdict(list)  # poster -> positions of everything they posted
    open_posted = defaultdict(list)  # poster -> positions of their open openings
    company = []  # positions of open company-wide openings, in order
    company_by_poster = defaultdict(int)
    for pos, (_pk, poster, is_open, visibility) in enumerate(rows):
        posted[poster].append(pos)
        if is_open:
            open_posted[poster].append(pos)
            if visibility == COMPANY:
                company.append(pos)
                company_by_poster[poster] += 1

    viewer_ids = [u.pk for u in viewers]
    hr_ids = set(hr_users().filter(pk__in=viewer_ids).values_list("pk", flat=True))
    # A viewer's exclusions and referrals are few: read them all and keep those in this batch,
    # rather than send the batch's opening ids to the database.
    excluded, referred = defaultdict(set), defaultdict(set)
    for user_id, opening_id in Exclusion.objects.filter(user_id__in=viewer_ids).values_list("user_id", "opening_id"):
        if opening_id in position:
            excluded[user_id].add(position[opening_id])
    Referral = _referral_model()
    if Referral is not None:
        for user_id, opening_id in Referral.objects.filter(referrer_id__in=viewer_ids).values_list(
            "referrer_id", "opening_id"
        ):
            if opening_id in position:
                referred[user_id].add(position[opening_id])
    # Each viewer's active connections: their direct links, and the middles of second-degree paths.
    # Activity is checked against the few leavers (a hashed set), not by joining the employee
    # table on every connection row.
    viewer_links = Connection.objects.filter(from_user_id__in=viewer_ids).to_active()
    links = defaultdict(list)
    for viewer_id, other_id in viewer_links.values_list("from_user_id", "to_user_id"):
        links[viewer_id].append(other_id)
    # Middle -> the active posters of open company-wide or extended openings it is connected to:
    # the only second-degree links that reach (extended) or rank (company-wide). Read from the
    # posters' side (an index range per poster) and kept only where the middle is one of the
    # batch's connections: a viewer has thousands of friend-of-a-friend paths, the posters of a
    # week a few dozen links each, and only the few that meet come back to Python.
    far_posters = {rows[pos][1] for ps in open_posted.values() for pos in ps if rows[pos][3] in (COMPANY, EXTENDED)}
    reaches = defaultdict(list)
    if far_posters:
        if isinstance(openings, models.QuerySet):
            # The same posters as a subquery: a list of thousands of ids cost Django more to
            # prepare than the database took to run the query.
            far_posters = openings.filter(status=Opening.Status.OPEN, visibility__in=[COMPANY, EXTENDED]).values(
                "posted_by_id"
            )
        for poster_id, middle_id in (
            Connection.objects.filter(from_user_id__in=far_posters, to_user_id__in=viewer_links.values("to_user_id"))
            .from_active()
            .values_list("from_user_id", "to_user_id")
        ):
            reaches[middle_id].append(poster_id)

    everything = range(len(rows))
    for viewer_id in viewer_ids:
        ex = excluded[viewer_id]
        direct = {p for p in links[viewer_id] if p in open_posted}
        # Their own openings come back through any connection of theirs; they rank as the poster's (3).
        second = {p for m in links[viewer_id] for p in reaches.get(m, ())} - direct - {viewer_id}
        # Degree 1: any open opening of a connection; degree 2: open extended or company-wide ones
        # of a connection's connection. Exclusions apply to both.
        first = sorted(pos for p in direct for pos in open_posted[p] if pos not in ex)
        through = sorted(
            pos for p in second for pos in open_posted[p] if rows[pos][3] in (COMPANY, EXTENDED) and pos not in ex
        )
        ranked = set(first) | set(through)
        near = direct | second | {viewer_id}
        own = () if skip_own else posted.get(viewer_id, ())

        if viewer_id in hr_ids:
            # HR sees every opening: the rest is everything not ranked above.
            dropped = set(posted.get(viewer_id, ())) if skip_own else set()
            rest = (pos for pos in everything if pos not in ranked and pos not in dropped)
            n_rest = len(rows) - len(ranked) - len(dropped - ranked)
        else:

            def reached_far(pos, ex=ex, near=near):
                # Open, company-wide, not excluded, and not already ranked by degree.
                return rows[pos][3] == COMPANY and rows[pos][1] not in near and pos not in ex

            extras = sorted(
                pos
                for pos in set(own) | (referred[viewer_id] - ex)
                if pos not in ranked
                and not (rows[pos][2] and reached_far(pos))
                and not (skip_own and rows[pos][1] == viewer_id)
            )
            n_far = (
                len(company)
                - sum(company_by_poster.get(p, 0) for p in near)
                - sum(1 for pos in ex if rows[pos][2] and rows[pos][3] == COMPANY and rows[pos][1] not in near)
            )
            rest = heapq.merge((pos for pos in company if reached_far(pos)), extras)
            n_rest = n_far + len(extras)

        total = len(first) + len(through) + n_rest
        best = [(pos, 1) for pos in first] + [(pos, 2) for pos in through]
        room = total if limit is None else limit
        best = best[:room]
        if len(best) < room:
            best += [(pos, 3) for pos in itertools.islice(rest, room - len(best))]
        result[viewer_id] = Sight(best=[(rows[pos][0], degree) for pos, degree in best], total=total)
    return result
