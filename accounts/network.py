"""The network: connection requests, connections and counterpart suggestions.

Every channel (portal pages, the API, tasks, the digest) calls these functions and never restates
their rules. The rules (issue 4, SPEC.md):

- Connections are symmetric and only accepted ones count. A connection links two people only
  while both are active employees: a leaver drops out of every list and links nobody.
- A request goes from an active employee to another active employee they are not connected with,
  never to themselves. One pending request per pair, whichever way round (a database constraint).
  A request to someone who already asked you accepts theirs.
- Only the recipient accepts or declines, only the sender withdraws; to anyone else the request
  does not exist (404).
- After a decline the sender may ask the same person again only after
  `CONNECTION_REQUEST_COOLDOWN_DAYS` (default 21); nobody sends more than
  `CONNECTION_REQUESTS_PER_DAY` requests in 24 hours.

Refusals raise `NetworkError` (a 4xx with a message for people and the field it concerns) or
`NetworkNotFound` (answered exactly like a missing id).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.formats import date_format

from background.emails import email_cancel, email_queue
from config.text import MESSAGE as TEXT_CONTROLS_MESSAGE
from config.text import invisible_control_errors

from .models import Connection, ConnectionRequest, SuggestionDismissal, User

PENDING = ConnectionRequest.Status.PENDING
MESSAGE_MAX_LENGTH = ConnectionRequest._meta.get_field("message").max_length


class NetworkError(Exception):
    """A network action the rules refuse. Views show `message`; the API answers `status_code`
    with `{code, detail: message, fields: {field: [message]}}`."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, *, field="non_field_errors", code=None, status_code=None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class NetworkNotFound(NetworkError):
    """Someone else's request, or a person who is not (or no longer) there: answered as absent."""

    status_code = 404
    code = "not_found"

    def __init__(self, message="Not found."):
        super().__init__(message)


def _is_member(user):
    """Only active employees take part in the network (not anonymous users, not service tokens)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and not getattr(user, "is_service", False)
        and user.pk is not None
    )


def _cooldown():
    return timedelta(days=getattr(settings, "CONNECTION_REQUEST_COOLDOWN_DAYS", 21))


def _daily_limit():
    return getattr(settings, "CONNECTION_REQUESTS_PER_DAY", 30)


# --- Reads ----------------------------------------------------------------------------------


def connections_of(user):
    """`user`'s connections, as active employees; nobody's for a leaver or a service token."""
    if not _is_member(user):
        return User.objects.none()
    return User.objects.directory().filter(pk__in=Connection.objects.direct_ids(user.pk))


def are_connected(a, b):
    """True if a and b have an accepted connection and both are active employees (one probe)."""
    if a is None or b is None or a.pk is None or b.pk is None or a.pk == b.pk:
        return False
    return Connection.objects.active().filter(from_user_id=a.pk, to_user_id=b.pk).exists()


def mutual_connections(a, b):
    """Active employees connected to both a and b (empty unless a and b are both active)."""
    if not (_is_member(a) and _is_member(b)) or a.pk == b.pk:
        return User.objects.none()
    return (
        User.objects.directory()
        .filter(pk__in=Connection.objects.direct_ids(a.pk))
        .filter(pk__in=Connection.objects.direct_ids(b.pk))
    )


def degrees(viewer, people_ids):
    """{id: 1 or 2} for the ids among `people_ids` within two steps of `viewer`; others are absent.

    1 is an accepted connection; 2 is a connection of a connection who is not one already. Only
    active employees count, at either end and in the middle. Two queries whatever the number of ids.
    """
    ids = [pk for pk in people_ids if pk is not None and pk != getattr(viewer, "pk", None)]
    if not ids or not _is_member(viewer):
        return {}
    first = set(Connection.objects.links_of(viewer.pk).filter(to_user_id__in=ids).values_list("to_user_id", flat=True))
    rest = [pk for pk in ids if pk not in first]
    second = set()
    if rest:
        second = set(
            Connection.objects.second_degree_ids(viewer.pk)
            .filter(to_user_id__in=rest)
            .values_list("to_user_id", flat=True)
            .distinct()
        )
    return {pk: 1 if pk in first else 2 for pk in first | second}


def degree(viewer, other):
    """1 (connected), 2 (a connection of a connection) or None (further, yourself, or a leaver)."""
    if other is None:
        return None
    return degrees(viewer, [other.pk]).get(other.pk)


def incoming_requests(user):
    """Pending requests to `user` from active employees, newest first."""
    return (
        ConnectionRequest.objects.filter(recipient_id=user.pk, status=PENDING, sender__is_active=True)
        .select_related("sender__division", "sender__location")
        .order_by("-created_at", "-id")
    )


def outgoing_requests(user):
    """Pending requests from `user` to active employees, newest first."""
    return (
        ConnectionRequest.objects.filter(sender_id=user.pk, status=PENDING, recipient__is_active=True)
        .select_related("recipient__division", "recipient__location")
        .order_by("-created_at", "-id")
    )


def requests_of(user):
    """Every request (any status) between `user` and an active employee: the API's scope."""
    if not _is_member(user):
        return ConnectionRequest.objects.none()
    return ConnectionRequest.objects.filter(
        Q(sender_id=user.pk, recipient__is_active=True) | Q(recipient_id=user.pk, sender__is_active=True)
    ).select_related("sender__division", "sender__location", "recipient__division", "recipient__location")


@dataclass
class Relationship:
    """How the viewer stands with one person, for badges and the action button."""

    degree: int | None = None
    outgoing: ConnectionRequest | None = None  # the viewer's pending request to them
    incoming: ConnectionRequest | None = None  # their pending request to the viewer
    mutual: int = 0  # active connections the viewer and they share

    @property
    def connected(self):
        return self.degree == 1


def relationships(viewer, people):
    """{person id: Relationship} for a page of active people, in four queries whatever its size.

    Mutual connections are counted on the connection rows: the people's links that end at one of
    the viewer's active connections.
    """
    ids = [p.pk for p in people]
    found = {pk: Relationship() for pk in ids}
    if not ids or not _is_member(viewer):
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


# --- Counterpart suggestions ---------------------------------------------------------------

# How many candidates each pool brings before ranking: bounds the work whatever the company size.
SUGGESTION_POOL = 200
# Ranking weights. A counterpart (same function elsewhere) is what the product is for; mutual
# connections add up to a cap so that one huge team does not drown everybody else; crossing a
# division counts a little more than crossing a location.
SAME_FUNCTION_WEIGHT = 3.0
MUTUAL_WEIGHT = 1.0
MUTUAL_CAP = 10
OTHER_DIVISION_BOOST = 1.5
OTHER_LOCATION_BOOST = 1.0


@dataclass
class Suggestion:
    person: User
    mutual_count: int
    same_function: bool
    other_division: bool
    other_location: bool
    score: float

    @property
    def user(self):
        return self.person

    @property
    def reason(self):
        """Why this person is suggested, e.g. "Same function, Finance, in Berlin · 3 mutual connections"."""
        person = self.person
        place = ", ".join(
            part
            for part in (
                person.division.name if person.division_id else "",
                f"in {person.location.name}" if person.location_id else "",
            )
            if part
        )
        parts = []
        if self.same_function:
            parts.append(f"Same function, {place}" if place else "Same function")
        elif (self.other_division or self.other_location) and place:
            parts.append(place)
        if self.mutual_count:
            parts.append(f"{self.mutual_count} mutual connection{'' if self.mutual_count == 1 else 's'}")
        return " · ".join(parts)


@dataclass
class _Candidate:
    pk: int
    division_id: int | None
    location_id: int | None
    job_function: str
    mutual: int = 0


def _spread(viewer_id, candidate_id):
    # A deterministic shuffle per viewer: among equals, every analyst would otherwise be offered
    # the same few analysts.
    return (candidate_id * 7919 + viewer_id) % 10007


def suggestions_for(user, *, limit=10):
    """Counterparts `user` might connect with, best first, each with its reason.

    Candidates are active employees with the same job function in another division or location,
    and people with mutual connections (through active employees only). They are ranked by
    SAME_FUNCTION_WEIGHT, the number of mutual connections (capped) and a boost for crossing a
    division and a location. Excluded: `user`, their connections, pending requests either way,
    declines either way, dismissed suggestions ("Not now") and leavers.

    The same code serves one employee (pages, API) and a batch (the digest): see
    suggestions_for_many.
    """
    if not _is_member(user):
        return []
    return suggestions_for_many([user], limit=limit).get(user.pk, [])


def suggestions_for_many(users, *, limit=10, counterparts_only=False):
    """{employee id: [Suggestion]} for a batch of employees, by the rule of `suggestions_for`.

    With `counterparts_only`, only people with the same job function in another division or
    location are suggested, ranked without mutual connections: what the weekly digest shows
    ("suggested counterparts"), without ranking every friend-of-a-friend path of the batch.

    Seven queries for one employee; for a batch, five plus two per distinct job function in it,
    whatever the size of the batch or the company: the exclusions, the mutual-connection pool
    (an aggregate limited per viewer in SQL), a pool of counterparts per function, the mutual
    counts of those counterparts, and one load of the people finally suggested.
    """
    viewers = [u for u in users if _is_member(u)]
    if not viewers or limit <= 0:
        return {}
    ids = [v.pk for v in viewers]
    excluded = _excluded_for(ids)
    candidates = {pk: {} for pk in ids}

    pool = min(SUGGESTION_POOL, max(50, 10 * limit))
    mutual_rows = () if counterparts_only else _mutual_pool(ids, pool, excluded)
    for viewer_id, pk, division_id, location_id, job_function, n in mutual_rows:
        candidates[viewer_id][pk] = _Candidate(pk, division_id, location_id, job_function, n)

    # The digest's three picks need no deep pool: a fixed one keeps its cost per recipient the same
    # in a company of a thousand and of a hundred thousand.
    counterparts = _counterpart_pools(viewers, size=pool if counterparts_only else SUGGESTION_POOL)
    wanted = set()
    for viewer in viewers:
        for candidate in counterparts.get(viewer.job_function, ()):
            if candidate.pk in excluded[viewer.pk] or candidate.pk == viewer.pk or candidate.pk in candidates[viewer.pk]:
                continue
            if candidate.division_id == viewer.division_id and candidate.location_id == viewer.location_id:
                continue
            candidates[viewer.pk][candidate.pk] = _Candidate(
                candidate.pk, candidate.division_id, candidate.location_id, candidate.job_function
            )
            wanted.add(candidate.pk)
    if wanted and not counterparts_only:
        for viewer_id, pk, n in _mutual_counts(ids, wanted):
            if pk in candidates[viewer_id]:
                candidates[viewer_id][pk].mutual = n

    chosen = {}
    for viewer in viewers:
        scored = [_score(viewer, candidate) for candidate in candidates[viewer.pk].values()]
        scored.sort(key=lambda item: (-item[0], -item[1].mutual, _spread(viewer.pk, item[1].pk)))
        chosen[viewer.pk] = scored[:limit]
    people = User.objects.directory().in_bulk({c.pk for picks in chosen.values() for _, c, _ in picks})
    return {
        viewer.pk: [
            Suggestion(
                person=people[c.pk],
                mutual_count=c.mutual,
                same_function=same_function,
                other_division=c.division_id != viewer.division_id,
                other_location=c.location_id != viewer.location_id,
                score=score,
            )
            for score, c, same_function in chosen[viewer.pk]
            if c.pk in people
        ]
        for viewer in viewers
    }


def _score(viewer, candidate):
    other_division = candidate.division_id != viewer.division_id
    other_location = candidate.location_id != viewer.location_id
    same_function = bool(viewer.job_function) and candidate.job_function == viewer.job_function and (
        other_division or other_location
    )
    score = (
        (SAME_FUNCTION_WEIGHT if same_function else 0)
        + MUTUAL_WEIGHT * min(candidate.mutual, MUTUAL_CAP)
        + (OTHER_DIVISION_BOOST if other_division else 0)
        + (OTHER_LOCATION_BOOST if other_location else 0)
    )
    return score, candidate, same_function


def _excluded_for(viewer_ids):
    """{viewer id: ids never suggested to them}: connections (even leavers, who may come back),
    anyone with a pending request either way, a decline either way (a decline is an answer), and
    anyone dismissed with "Not now". One query."""
    answered = [PENDING, ConnectionRequest.Status.DECLINED]
    rows = (
        Connection.objects.filter(from_user_id__in=viewer_ids)
        .values_list("from_user_id", "to_user_id")
        .order_by()
        .union(
            ConnectionRequest.objects.filter(sender_id__in=viewer_ids, status__in=answered)
            .values_list("sender_id", "recipient_id")
            .order_by(),
            ConnectionRequest.objects.filter(recipient_id__in=viewer_ids, status__in=answered)
            .values_list("recipient_id", "sender_id")
            .order_by(),
            SuggestionDismissal.objects.filter(user_id__in=viewer_ids).values_list("user_id", "dismissed_id").order_by(),
            all=True,
        )
    )
    excluded = {pk: {pk} for pk in viewer_ids}
    for viewer_id, other_id in rows:
        excluded[viewer_id].add(other_id)
    return excluded


def _second_degree_links(viewer_ids):
    """Connection rows mid → candidate where mid is an active connection of a viewer (annotated
    `viewer`) and the candidate is active: one row per mutual connection.

    Activity is checked against the few leavers (a hashed set) rather than by joining the
    employee table on every row: at 100,000 employees those joins were random reads costing
    more than the rest of the query.
    """
    return (
        Connection.objects.filter(from_user__connections_in__from_user_id__in=viewer_ids)
        .active()
        .annotate(viewer=F("from_user__connections_in__from_user_id"))
        .filter(~Q(to_user_id=F("viewer")))
    )


def _mutual_pool(viewer_ids, pool, excluded):
    """(viewer, candidate, division, location, function, mutual count) for each viewer's `pool`
    candidates with the most mutual connections, `excluded` (from _excluded_for) left out.

    The paths are counted and ranked on the connection index alone, and only the kept candidates
    are then read from the employee table: probing exclusions, or reading each candidate, on
    every friend-of-a-friend path made one batch take seconds. The ranked pool is widened by the
    longest exclusion list of the batch so that dropping exclusions still leaves `pool`.
    Two queries.
    """
    widen = max((len(ids) for ids in excluded.values()), default=0)
    ranked = (
        _second_degree_links(viewer_ids)
        .values("viewer", "to_user_id")
        .annotate(n=Count("id"))
        .annotate(rank=Window(RowNumber(), partition_by=F("viewer"), order_by=[F("n").desc(), F("to_user_id").asc()]))
        .filter(rank__lte=pool + widen)
        .values_list("viewer", "to_user_id", "n")
    )
    kept, per_viewer = [], {}
    for viewer_id, candidate_id, n in ranked:
        if candidate_id in excluded[viewer_id] or per_viewer.get(viewer_id, 0) >= pool:
            continue
        per_viewer[viewer_id] = per_viewer.get(viewer_id, 0) + 1
        kept.append((viewer_id, candidate_id, n))
    attributes = {
        pk: (division_id, location_id, job_function)
        for pk, division_id, location_id, job_function in User.objects.filter(pk__in={c for _, c, _ in kept}).values_list(
            "pk", "division_id", "location_id", "job_function"
        )
    }
    return [(v, c, *attributes[c], n) for v, c, n in kept if c in attributes]


def _mutual_counts(viewer_ids, candidate_ids):
    """(viewer, candidate, mutual count) for the given candidates (those with at least one)."""
    return list(
        _second_degree_links(viewer_ids)
        .filter(to_user_id__in=candidate_ids)
        .values("viewer", "to_user_id")
        .annotate(n=Count("id"))
        .values_list("viewer", "to_user_id", "n")
    )


def _counterpart_pools(viewers, *, size=SUGGESTION_POOL):
    """{job function: up to `size` active employees with it}, two queries per function,
    drawn from a different stretch of the company for each viewer (or batch).

    An index walk on (job_function, id) from the batch's first viewer, upwards or downwards by the
    parity of that id, then the other way for when one end of the company comes first (two
    queries per function): sorting every employee of a function by a shuffled key cost a sort of
    thousands of rows per page in a large company, and this reads `size` index entries.
    """
    pools = {}
    by_function = defaultdict(list)
    for viewer in viewers:
        if viewer.job_function:
            by_function[viewer.job_function].append(viewer.pk)
    for function, viewer_ids in by_function.items():
        pivot = min(viewer_ids)
        same = User.objects.active().filter(job_function=function).values_list("id", "division_id", "location_id")
        up, down = same.filter(id__gt=pivot).order_by("id"), same.filter(id__lt=pivot).order_by("-id")
        first, then = (up, down) if pivot % 2 else (down, up)
        # Both walks always run (two index reads), so the query count never depends on the data;
        # the second only matters near one end of the company.
        rows = (list(first[:size]) + list(then[:size]))[:size]
        pools[function] = [_Candidate(pk, division_id, location_id, function) for pk, division_id, location_id in rows]
    return pools


# --- Writes ----------------------------------------------------------------------------------


def _pending_between(a_id, b_id):
    """The pending request between two people, whichever way round (at most one exists)."""
    return ConnectionRequest.objects.filter(
        Q(sender_id=a_id, recipient_id=b_id) | Q(sender_id=b_id, recipient_id=a_id), status=PENDING
    )


def _connect(a_id, b_id, now):
    # Both rows of a pair, together; ignore_conflicts keeps a half-existing pair (from an import,
    # say) from failing the acceptance.
    Connection.objects.bulk_create(
        [Connection(from_user_id=a_id, to_user_id=b_id, created_at=now), Connection(from_user_id=b_id, to_user_id=a_id, created_at=now)],
        ignore_conflicts=True,
    )


def connection_request_send(*, sender, recipient, message=""):
    """`sender` asks `recipient` to connect; returns the request.

    Refused (NetworkError) for yourself, an existing connection, a duplicate pending request, a
    recent decline (cooldown) and past the daily limit; a leaver or unknown person is NetworkNotFound.
    If `recipient` already asked `sender`, their request is accepted instead and returned with
    status accepted. The pending-pair constraint settles two simultaneous requests: the loser's
    insert fails and is answered as if it had come second.
    """
    if not _is_member(sender):
        raise NetworkNotFound()
    if recipient is None or not _is_member(recipient):
        raise NetworkNotFound()
    if recipient.pk == sender.pk:
        raise NetworkError("You cannot send a connection request to yourself.", field="to")
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise NetworkError(f"Keep the message to {MESSAGE_MAX_LENGTH} characters or fewer.", field="message")
    if invisible_control_errors(message=message):
        raise NetworkError(TEXT_CONTROLS_MESSAGE, field="message")
    if are_connected(sender, recipient):
        raise NetworkError(f"You are already connected with {recipient}.", field="to", code="conflict", status_code=409)
    try:
        with transaction.atomic():
            # Lock the sender's row so that two requests from one person count against the daily
            # limit one after the other (PostgreSQL; SQLite serialises writers anyway). NO KEY: a
            # plain FOR UPDATE would block the foreign-key check of someone asking this sender at
            # the same moment, and two people asking each other would deadlock.
            list(User.objects.select_for_update(no_key=True).filter(pk=sender.pk).values_list("pk", flat=True))
            existing = _pending_between(sender.pk, recipient.pk).first()
            if existing is not None:
                return _answer_existing(existing, sender, recipient)
            _check_cooldown(sender, recipient)
            _check_daily_limit(sender)
            request_obj = ConnectionRequest.objects.create(sender=sender, recipient=recipient, message=message)
            email_queue("connection_request", request_obj.pk)
            return request_obj
    except IntegrityError:
        # Another request for this pair committed between our check and our insert.
        existing = _pending_between(sender.pk, recipient.pk).first()
        if existing is None:
            raise NetworkError("Someone else changed this just now. Please try again.", code="conflict", status_code=409) from None
        with transaction.atomic():
            return _answer_existing(existing, sender, recipient)


def _answer_existing(existing, sender, recipient):
    if existing.sender_id == recipient.pk:
        # They asked first: asking back means yes. Their request's email, if still unsent, would
        # only announce what is already settled.
        _respond(existing, sender, party="recipient", verb="accept")
        _accept(existing)
        email_cancel("connection_request", existing.pk)
        return existing
    raise NetworkError(
        f"You already asked {recipient} to connect; the request is pending.", field="to", code="conflict", status_code=409
    )


def _check_cooldown(sender, recipient):
    last_decline = (
        ConnectionRequest.objects.filter(
            sender_id=sender.pk, recipient_id=recipient.pk, status=ConnectionRequest.Status.DECLINED
        )
        .order_by("-responded_at")
        .values_list("responded_at", flat=True)
        .first()
    )
    if last_decline is not None:
        again = last_decline + _cooldown()
        if again > timezone.now():
            raise NetworkError(
                f"{recipient} declined your last request. You can ask again from "
                f"{date_format(timezone.localtime(again), 'j F Y')}.",
                field="to",
                code="cooldown",
                status_code=409,
            )


def _check_daily_limit(sender):
    limit = _daily_limit()
    since = timezone.now() - timedelta(days=1)
    # Every request counts, withdrawn ones too: otherwise send-and-withdraw would dodge the limit.
    sent = ConnectionRequest.objects.filter(sender_id=sender.pk, created_at__gte=since).count()
    if sent >= limit:
        raise NetworkError(
            f"You have sent {limit} connection requests in the last 24 hours, the daily limit. "
            "Please try again tomorrow.",
            field="to",
            code="limit_reached",
            status_code=429,
        )


def _respond(request_obj, by, *, party, verb):
    """Lock and check a request before a response: `party` ("recipient" or "sender") alone may act,
    on a pending request with an active counterpart; to anyone else it does not exist."""
    if not _is_member(by) or getattr(request_obj, f"{party}_id") != by.pk:
        raise NetworkNotFound()
    locked = (
        ConnectionRequest.objects.select_for_update(of=("self",))
        .filter(pk=request_obj.pk)
        .values("status", "sender__is_active", "recipient__is_active")
        .first()
    )
    if locked is None or not (locked["sender__is_active"] and locked["recipient__is_active"]):
        raise NetworkNotFound()
    if locked["status"] != PENDING:
        label = ConnectionRequest.Status(locked["status"]).label.lower()
        raise NetworkError(f"You cannot {verb} this request: it was already {label}.", code="conflict", status_code=409)


def _accept(request_obj):
    now = timezone.now()
    ConnectionRequest.objects.filter(pk=request_obj.pk).update(status=ConnectionRequest.Status.ACCEPTED, responded_at=now)
    request_obj.status = ConnectionRequest.Status.ACCEPTED
    request_obj.responded_at = now
    _connect(request_obj.sender_id, request_obj.recipient_id, now)
    email_queue("connection_accepted", request_obj.pk)


def connection_request_accept(*, request_obj, by):
    """The recipient accepts: the request is marked accepted and both connection rows are written,
    in one transaction. Anyone else gets NetworkNotFound; a request no longer pending, NetworkError."""
    with transaction.atomic():
        _respond(request_obj, by, party="recipient", verb="accept")
        _accept(request_obj)
    return request_obj


def _close(request_obj, status):
    now = timezone.now()
    ConnectionRequest.objects.filter(pk=request_obj.pk).update(status=status, responded_at=now)
    request_obj.status = status
    request_obj.responded_at = now
    return request_obj


def connection_request_decline(*, request_obj, by):
    """The recipient declines. The sender is not told, and may ask again after the cooldown."""
    with transaction.atomic():
        _respond(request_obj, by, party="recipient", verb="decline")
        return _close(request_obj, ConnectionRequest.Status.DECLINED)


def connection_request_withdraw(*, request_obj, by):
    """The sender withdraws a pending request (no cooldown: they changed their own mind)."""
    with transaction.atomic():
        _respond(request_obj, by, party="sender", verb="withdraw")
        return _close(request_obj, ConnectionRequest.Status.WITHDRAWN)


def connection_remove(*, user, other):
    """Either side ends a connection: both rows go, in one transaction. NetworkNotFound if the two
    are not connected (a leaver is connected to nobody)."""
    if not _is_member(user) or other is None or not are_connected(user, other):
        raise NetworkNotFound()
    with transaction.atomic():
        Connection.objects.filter(
            Q(from_user_id=user.pk, to_user_id=other.pk) | Q(from_user_id=other.pk, to_user_id=user.pk)
        ).delete()


def dismissed_suggestions(user):
    """The people `user` answered "Not now" to, by name: they may show them again."""
    return (
        User.objects.directory()
        .filter(pk__in=SuggestionDismissal.objects.filter(user_id=user.pk).values("dismissed_id"))
        .order_by("full_name", "pk")
    )


def suggestion_restore(*, user, dismissed):
    """"Show again": undo a "Not now", so `dismissed` may be suggested to `user` again.

    Someone else's or an unknown employee is a NetworkNotFound; restoring twice changes nothing.
    """
    if not _is_member(user) or dismissed is None or not _is_member(dismissed):
        raise NetworkNotFound()
    SuggestionDismissal.objects.filter(user_id=user.pk, dismissed_id=dismissed.pk).delete()


def suggestion_dismiss(*, user, dismissed):
    """"Not now": `dismissed` is never suggested to `user` again (they can still connect)."""
    if not _is_member(user) or dismissed is None or not _is_member(dismissed):
        raise NetworkNotFound()
    if dismissed.pk == user.pk:
        raise NetworkError("You are never suggested to yourself.")
    SuggestionDismissal.objects.get_or_create(user_id=user.pk, dismissed_id=dismissed.pk)
