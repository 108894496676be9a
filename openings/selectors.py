"""Reads on openings built on the visibility rule (never restating it)."""

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
