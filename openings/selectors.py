"""Reads on openings built on the visibility rule (never restating it)."""

from dataclasses import dataclass, field

from django.db.models import Count

from config.http import get_or_404

from .models import Opening
from .visibility import viewer_is_hr


def new_in_network(user, *, limit=5):
    """Open openings the user may see and did not post, newest first (the dashboard panel)."""
    return (
        Opening.objects.visible_to(user)
        .open()
        .exclude(posted_by_id=user.pk)
        .select_related("division", "location", "posted_by")
        .order_by("-opened_at", "-id")[:limit]
    )


def get_visible_or_404(user, pk, queryset=None):
    """The opening if `user` may see it (`visible_to`); otherwise Http404, exactly as for an id that does not exist.

    `queryset` narrows or prefetches (select_related); the rule is applied to it all the same.
    """
    qs = queryset if queryset is not None else Opening.objects.all()
    return get_or_404(qs.visible_to(user), pk, "No opening matches the given query.")


def listed_status(user, requested):
    """The status the openings list shows: open, unless HR asks for another one (`?status=`)."""
    if requested in Opening.Status.values and viewer_is_hr(user):
        return requested
    return Opening.Status.OPEN


def openings_listed(user, *, status):
    """What the openings list shows before its filters: the openings `user` may see, in `status`."""
    return Opening.objects.visible_to(user).filter(status=status).select_related("division", "location", "posted_by")


@dataclass
class OpeningFacets:
    """How many openings the list holds per division and per location (by code), and in all."""

    divisions: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    total: int = 0


def opening_facets(user, *, status):
    """The openings list's counts: per division and per location, and the total, before filters.

    Counted from the same visible queryset as the list (`openings_listed`), so nobody learns of an
    opening through a number. One grouped query gives both facets and the total.
    """
    facets = OpeningFacets()
    rows = openings_listed(user, status=status).values_list("division__code", "location__code")
    for division, location, n in rows.annotate(n=Count("id")).order_by():
        facets.divisions[division] = facets.divisions.get(division, 0) + n
        facets.locations[location] = facets.locations.get(location, 0) + n
        facets.total += n
    return facets
