"""The network's reads: connections, degrees, mutual connections, requests, relationships.

Every channel (portal pages, the API, tasks, the digest) calls these and never restates their
rules. Connections are symmetric and only accepted ones count; a connection links two people only
while both are active employees (`Connection.objects.active()` and its siblings, the one spelling
of that rule): a leaver drops out of every list and links nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, Subquery

from ..models import Connection, ConnectionRequest, SuggestionDismissal, User
from ..roles import is_employee

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from ..principals import ServicePrincipal

    # Whoever asks: an employee, a service token's principal, or nobody signed in.
    Viewer = User | ServicePrincipal | AnonymousUser | None

PENDING = ConnectionRequest.Status.PENDING


def connections_of(user: Viewer, *, with_met_at: bool = False) -> QuerySet[User]:
    """`user`'s connections, as active employees; nobody's for a leaver or a service token.

    `with_met_at` annotates each with `met_at_id` and `met_at_title`: the event where the two met
    (subqueries in the same query, so a page stays one query)."""
    if not is_employee(user):
        return User.objects.none()
    people = User.objects.directory().filter(pk__in=Connection.objects.direct_ids(user.pk))
    if with_met_at:
        link = Connection.objects.filter(from_user_id=user.pk, to_user_id=OuterRef("pk"))
        people = people.annotate(
            met_at_id=Subquery(link.values("met_at_id")[:1]), met_at_title=Subquery(link.values("met_at__title")[:1])
        )
    return people


def are_connected(a: User | None, b: User | None) -> bool:
    """True if a and b have an accepted connection and both are active employees (one probe)."""
    if a is None or b is None or a.pk is None or b.pk is None or a.pk == b.pk:
        return False
    return Connection.objects.active().filter(from_user_id=a.pk, to_user_id=b.pk).exists()


def mutual_connections(a: Viewer, b: Viewer) -> QuerySet[User]:
    """Active employees connected to both a and b (empty unless a and b are both active)."""
    if not (is_employee(a) and is_employee(b)) or a.pk == b.pk:
        return User.objects.none()
    return (
        User.objects.directory()
        .filter(pk__in=Connection.objects.direct_ids(a.pk))
        .filter(pk__in=Connection.objects.direct_ids(b.pk))
    )


def degrees(viewer: Viewer, people_ids: Iterable[int | None]) -> dict[int, int]:
    """{id: 1 or 2} for the ids among `people_ids` within two steps of `viewer`; others are absent.

    1 is an accepted connection; 2 is a connection of a connection who is not one already. Only
    active employees count, at either end and in the middle. Two queries whatever the number of ids.
    """
    ids = [pk for pk in people_ids if pk is not None and pk != getattr(viewer, "pk", None)]
    if not ids or not is_employee(viewer):
        return {}
    first = set(Connection.objects.links_of(viewer.pk).filter(to_user_id__in=ids).values_list("to_user_id", flat=True))
    rest = [pk for pk in ids if pk not in first]
    second: set[int] = set()
    if rest:
        second = set(
            Connection.objects.second_degree_ids(viewer.pk)
            .filter(to_user_id__in=rest)
            .values_list("to_user_id", flat=True)
            .distinct()
        )
    return {pk: 1 if pk in first else 2 for pk in first | second}


def degree(viewer: Viewer, other: User | None) -> int | None:
    """1 (connected), 2 (a connection of a connection) or None (further, yourself, or a leaver)."""
    if other is None:
        return None
    return degrees(viewer, [other.pk]).get(other.pk)


def met_at_between(viewer: Viewer, other: User):
    """The event where `viewer` and `other` met, as their connection or pending request between
    them records it, or None. Only the two people ever ask about their own pair, so "Met at …"
    shows to both of them and to nobody else. One query."""
    if not is_employee(viewer) or other is None or other.pk == viewer.pk:
        return None
    from events.models import Event

    pair = Q(from_user_id=viewer.pk, to_user_id=other.pk)
    asked = Q(sender_id=viewer.pk, recipient_id=other.pk) | Q(sender_id=other.pk, recipient_id=viewer.pk)
    return (
        Event.objects.filter(
            Q(pk__in=Connection.objects.active().filter(pair).values("met_at_id"))
            | Q(pk__in=ConnectionRequest.objects.filter(asked, status=PENDING).values("met_at_id"))
        )
        .order_by("-starts_at")
        .first()
    )


def incoming_requests(user: User) -> QuerySet[ConnectionRequest]:
    """Pending requests to `user` from active employees, newest first."""
    return (
        ConnectionRequest.objects.filter(recipient_id=user.pk, status=PENDING, sender__is_active=True)
        .select_related("sender__division", "sender__location", "met_at")
        .order_by("-created_at", "-id")
    )


def outgoing_requests(user: User) -> QuerySet[ConnectionRequest]:
    """Pending requests from `user` to active employees, newest first."""
    return (
        ConnectionRequest.objects.filter(sender_id=user.pk, status=PENDING, recipient__is_active=True)
        .select_related("recipient__division", "recipient__location", "met_at")
        .order_by("-created_at", "-id")
    )


def requests_of(user: Viewer) -> QuerySet[ConnectionRequest]:
    """Every request (any status) between `user` and an active employee: the API's scope."""
    if not is_employee(user):
        return ConnectionRequest.objects.none()
    return ConnectionRequest.objects.filter(
        Q(sender_id=user.pk, recipient__is_active=True) | Q(recipient_id=user.pk, sender__is_active=True)
    ).select_related("sender__division", "sender__location", "recipient__division", "recipient__location", "met_at")


@dataclass
class Relationship:
    """How the viewer stands with one person, for badges and the action button."""

    degree: int | None = None
    outgoing: ConnectionRequest | None = None  # the viewer's pending request to them
    incoming: ConnectionRequest | None = None  # their pending request to the viewer
    mutual: int = 0  # active connections the viewer and they share

    @property
    def connected(self) -> bool:
        return self.degree == 1


def relationships(viewer: Viewer, people: Iterable[User]) -> dict[int, Relationship]:
    """{person id: Relationship} for a page of active people, in four queries whatever its size.

    Mutual connections are counted on the connection rows: the people's links that end at one of
    the viewer's active connections.
    """
    ids = [p.pk for p in people]
    found = {pk: Relationship() for pk in ids}
    if not ids or not is_employee(viewer):
        return found
    for pk, deg in degrees(viewer, ids).items():
        found[pk].degree = deg
    pending = ConnectionRequest.objects.filter(status=PENDING).filter(
        Q(sender_id=viewer.pk, recipient_id__in=ids) | Q(recipient_id=viewer.pk, sender_id__in=ids)
    )
    for request_obj in pending:
        if request_obj.sender_id == viewer.pk:
            found[request_obj.recipient_id].outgoing = request_obj
        else:
            found[request_obj.sender_id].incoming = request_obj
    shared = (
        Connection.objects.filter(from_user_id__in=ids, to_user_id__in=Connection.objects.direct_ids(viewer.pk))
        .exclude(to_user_id=viewer.pk)
        .values("from_user_id")
        .annotate(n=Count("to_user_id"))
        .order_by()
    )
    for row in shared:
        if row["from_user_id"] != viewer.pk:
            found[row["from_user_id"]].mutual = row["n"]
    return found


def dismissed_suggestions(user: User) -> QuerySet[User]:
    """The people `user` answered "Not now" to, by name: they may show them again."""
    return (
        User.objects.directory()
        .filter(pk__in=SuggestionDismissal.objects.filter(user_id=user.pk).values("dismissed_id"))
        .order_by("full_name", "pk")
    )
