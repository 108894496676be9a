"""Reads on openings built on the visibility rule (never restating it)."""

from django.http import Http404

from .models import Opening


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
    try:
        return qs.visible_to(user).get(pk=pk)
    except (Opening.DoesNotExist, ValueError, TypeError):
        raise Http404("No opening matches the given query.") from None
