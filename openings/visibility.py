"""Who may see an opening: the one rule of the product, in both directions.

`Opening.objects.visible_to(user)` answers "which openings may this person see"; `audience(opening)`
answers "who may see this opening". Every channel (portal pages and their counts, the API, referral
forms, notifications, the digest, exports) calls these and never restates the rule. The tests check
each direction against an independent oracle and against each other.

The rule (SPEC.md, "Visibility"). A viewer V may see opening O if and only if V is an active
employee and
  - V posted O (any status), or
  - V is HR, i.e. holds `openings.view_all_openings` (any status), or
  - V referred someone to O (any status after that; read-only), or
  - O is open, V is not on O's exclusion list, and
      company:  always;
      network:  V has an accepted connection with O's poster;
      extended: V has an accepted connection with O's poster, or with someone who has one.
A connection counts only while both its ends are active employees, so a leaver links nobody and
their network-only openings reach nobody but HR.
"""

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Connection, User

VIEW_ALL_PERMISSION = "openings.view_all_openings"


def _is_viewer(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


def viewer_is_hr(user):
    """HR sees every opening in every status (SPEC.md)."""
    return _is_viewer(user) and user.has_perm(VIEW_ALL_PERMISSION)


def _inactive_ids():
    # Leavers are few next to the company, so "not a leaver" is a small hashed set probed once,
    # where "is active" would join the employee table on every connection row.
    return User.objects.leavers().values("pk")


def _direct_ids(user_id):
    """Active employees with an accepted connection to `user_id` (one index range scan)."""
    return Connection.objects.filter(from_user_id=user_id).exclude(to_user_id__in=_inactive_ids()).values("to_user_id")


def _second_degree_ids(user_id):
    """Active employees connected to one of `user_id`'s active connections (the links are active).

    Index-only range scans on (from_user, to_user), one per connection of `user_id`: the cost
    follows the size of the viewer's network, not of the company.
    """
    return (
        Connection.objects.filter(from_user_id__in=_direct_ids(user_id))
        .exclude(to_user_id__in=_inactive_ids())
        .values("to_user_id")
    )


def _referred_by(user_id):
    Referral = _referral_model()
    if Referral is None:
        return Q(pk__in=[])
    return Q(Exists(Referral.objects.filter(opening_id=OuterRef("pk"), referrer_id=user_id)))


def _referral_model():
    try:
        return apps.get_model("referrals", "Referral")
    except LookupError:
        return None


class OpeningQuerySet(models.QuerySet):
    def visible_to(self, user, *, include_referred=True):
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
            | Q(visibility__in=[self.model.Visibility.NETWORK, self.model.Visibility.EXTENDED], posted_by_id__in=_direct_ids(user.pk))
            | Q(visibility=self.model.Visibility.EXTENDED, posted_by_id__in=_second_degree_ids(user.pk))
        )
        open_and_reached = Q(status=self.model.Status.OPEN) & Q(not_excluded) & reach
        referred = _referred_by(user.pk) if include_referred else Q(pk__in=[])
        return self.filter(Q(posted_by_id=user.pk) | referred | open_and_reached)

    def open(self):
        return self.filter(status=self.model.Status.OPEN)


def can_see(user, opening):
    """The per-object twin of `visible_to`: the same query narrowed to one opening."""
    return opening.__class__.objects.visible_to(user).filter(pk=opening.pk).exists()


def get_visible_or_404(user, pk, queryset=None):
    """The opening if `user` may see it; otherwise Http404, exactly as for an id that does not exist."""
    from django.http import Http404

    from .models import Opening

    qs = queryset if queryset is not None else Opening.objects.all()
    try:
        return qs.visible_to(user).get(pk=pk)
    except (Opening.DoesNotExist, ValueError, TypeError):
        raise Http404("No opening matches the given query.") from None


# --- The other direction: who may see an opening --------------------------------------------


def hr_users():
    """Active employees holding the HR permission, exactly as `has_perm` grants it."""
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    perm = Q(content_type__app_label=app_label, codename=codename)
    Permission = apps.get_model("auth", "Permission")
    perm_ids = Permission.objects.filter(perm).values("pk")
    return User.objects.active().filter(
        Q(is_superuser=True) | Q(groups__permissions__in=perm_ids) | Q(user_permissions__in=perm_ids)
    ).distinct()


def reach_of(opening, *, assume_open=False):
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


def audience(opening):
    """Every active employee who may see `opening`: the inverse of `visible_to`, for the digest.

    The same rule read the other way: poster, HR and referrers always; while open, everyone its
    visibility reaches minus its exclusion list.
    """
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    direct, second = reach_of(opening)
    if direct is None:
        reached = Q(pk__in=User.objects.active().values("pk"))
    else:
        reached = Q(pk__in=direct.values("pk")) | Q(pk__in=second.values("pk"))
    excluded = Exclusion.objects.filter(opening_id=opening.pk).values("user_id")
    by_reach = Q(reached) & ~Q(pk__in=excluded)
    always = Q(pk=opening.posted_by_id) | Q(pk__in=hr_users().values("pk"))
    Referral = _referral_model()
    if Referral is not None:
        always |= Q(pk__in=Referral.objects.filter(opening_id=opening.pk).values("referrer_id"))
    return User.objects.active().filter(always | by_reach)


def audience_preview(opening, *, excluded_ids=None):
    """The numbers on the poster's preview: "412 people: 38 direct connections, 374 through them".

    Counts the people the visibility reaches if the opening is open, minus its exclusions (poster
    and HR are not counted: they always see it). `excluded_ids` overrides the stored exclusion list
    (for a form not yet saved).
    """
    Exclusion = apps.get_model("openings", "OpeningExclusion")
    if excluded_ids is None:
        excluded_ids = list(Exclusion.objects.filter(opening_id=opening.pk).values_list("user_id", flat=True)) if opening.pk else []
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
            .exclude(to_user_id__in=_inactive_ids())
            .exclude(to_user_id__in=sorted(direct | {poster_id} | set(excluded_ids)))
            .values("to_user_id")
            .order_by()
            .distinct()
            .count()
        )
    return {"total": n_direct + n_second, "direct": n_direct, "second": n_second, "company": False}


# --- Many viewers at once (the weekly digest) ------------------------------------------------


def visible_among(openings, users):
    """For each of `users`, which of `openings` they may see, and through which degree.

    The same rule as `visible_to`, evaluated for a batch of viewers in a fixed number of queries
    (six, whatever the batch or the company size) so the digest does not run a query per
    employee. The property tests check it equals `visible_to` for every viewer. Returns
    {user_id: {opening_id: degree}} where degree is 1 when the viewer is connected to the poster,
    2 when connected through someone, and 3 otherwise (company-wide, HR, poster, referrer).
    """
    from .models import Opening

    Exclusion = apps.get_model("openings", "OpeningExclusion")
    openings = list(openings)
    viewers = [u for u in users if _is_viewer(u)]
    result = {u.pk: {} for u in users}
    if not openings or not viewers:
        return result
    viewer_ids = [u.pk for u in viewers]
    opening_ids = [o.pk for o in openings]
    posters = {o.posted_by_id for o in openings}
    hr_ids = set(hr_users().filter(pk__in=viewer_ids).values_list("pk", flat=True))
    excluded = set(Exclusion.objects.filter(opening_id__in=opening_ids, user_id__in=viewer_ids).values_list("user_id", "opening_id"))
    # Direct links from viewers to posters, both ends active.
    direct = set(
        Connection.objects.filter(from_user_id__in=viewer_ids, to_user_id__in=posters, to_user__is_active=True).values_list(
            "from_user_id", "to_user_id"
        )
    )
    # Second degree: viewer -> active middle -> active poster of an extended opening.
    extended_posters = {o.posted_by_id for o in openings if o.visibility == Opening.Visibility.EXTENDED}
    second = set()
    if extended_posters:
        middles = Connection.objects.filter(from_user_id__in=viewer_ids, to_user__is_active=True)
        by_middle = {}
        for viewer_id, middle_id in middles.values_list("from_user_id", "to_user_id"):
            by_middle.setdefault(middle_id, []).append(viewer_id)
        reaching = Connection.objects.filter(
            from_user_id__in=middles.values("to_user_id"), to_user_id__in=extended_posters, to_user__is_active=True
        ).values_list("from_user_id", "to_user_id")
        for middle_id, poster_id in reaching:
            for viewer_id in by_middle[middle_id]:
                second.add((viewer_id, poster_id))
    referred = set()
    Referral = _referral_model()
    if Referral is not None:
        referred = set(
            Referral.objects.filter(opening_id__in=opening_ids, referrer_id__in=viewer_ids).values_list("referrer_id", "opening_id")
        )
    # Plain tuples: this loop runs openings × viewers times, and model attribute access was most
    # of its cost.
    rows = [
        (
            o.pk,
            o.posted_by_id,
            o.status == Opening.Status.OPEN,
            o.visibility == Opening.Visibility.COMPANY,
            o.visibility == Opening.Visibility.EXTENDED,
        )
        for o in openings
    ]
    for viewer_id in viewer_ids:
        seen = result[viewer_id]
        is_hr = viewer_id in hr_ids
        for pk, poster_id, is_open, is_company, is_extended in rows:
            link = (viewer_id, poster_id)
            reached = is_open and (viewer_id, pk) not in excluded and (
                is_company or link in direct or (is_extended and link in second)
            )
            if reached:
                seen[pk] = 1 if link in direct else 2 if link in second else 3
            elif poster_id == viewer_id or is_hr or (viewer_id, pk) in referred:
                seen[pk] = 3
    return result
