"""Counterpart suggestions: people in the same job function elsewhere, and friends of friends.

The rule is in `suggestions_for`'s docstring; the digest asks for a batch with
`suggestions_for_many`, which keeps the query count fixed whatever the batch or company size.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.formats import date_format

from ..models import Connection, ConnectionRequest, EmployeeSkill, Skill, SuggestionDismissal, User
from ..roles import is_employee
from .selectors import PENDING

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
# Each skill in common counts like a mutual connection, up to a cap (everyone lists "Excel").
SHARED_SKILL_WEIGHT = 1.0
SHARED_SKILLS_CAP = 5
# Skills bring candidates of their own: people sharing the viewer's rare skills, those held by at
# most RARE_SKILL_HOLDERS employees. Every holder of a rare skill is read, so this bounds the work
# whatever the company size; a common skill ("Excel", "SQL" in a large company) says little about
# two people and would bring thousands. At most SKILL_POOL of them per viewer, most shared first.
RARE_SKILL_HOLDERS = 200
SKILL_POOL = 50

# Someone met at an event comes before every other reason: the meeting is fresh and real.
MET_AT_EVENT_WEIGHT = 100.0


@dataclass
class MetAt:
    """The event where a suggested person and the viewer both were (the latest one)."""

    pk: int
    title: str
    location_name: str | None
    starts_at: object

    @property
    def label(self):
        """ "Leadership Training, Berlin, 12 November": title, place (or "online") and date."""
        day = date_format(timezone.localtime(self.starts_at), "j F")
        return f"{self.title}, {self.location_name or 'online'}, {day}"


@dataclass
class Suggestion:
    person: User
    mutual_count: int
    same_function: bool
    other_division: bool
    other_location: bool
    score: float
    shared_skills: tuple = ()
    event: MetAt | None = None

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
        parts = [f"Both at {self.event.label}"] if self.event else []
        if self.same_function:
            parts.append(f"Same function, {place}" if place else "Same function")
        elif (self.other_division or self.other_location) and place:
            parts.append(place)
        if self.mutual_count:
            parts.append(f"{self.mutual_count} mutual connection{'' if self.mutual_count == 1 else 's'}")
        if self.shared_skills:
            n = len(self.shared_skills)
            parts.append(f"{n} skill{'' if n == 1 else 's'} in common: {', '.join(self.shared_skills)}")
        return " · ".join(parts)


@dataclass
class _Candidate:
    pk: int
    division_id: int | None
    location_id: int | None
    job_function: str
    mutual: int = 0
    shared: tuple = ()
    event: MetAt | None = None


def _spread(viewer_id, candidate_id):
    # A deterministic shuffle per viewer: among equals, every analyst would otherwise be offered
    # the same few analysts.
    return (candidate_id * 7919 + viewer_id) % 10007


def suggestions_for(user, *, limit=10):
    """Counterparts `user` might connect with, best first, each with its reason.

    Candidates are fellow attendees of events `user` attended (ranked first, with the reason "Both
    at <event>"), active employees with the same job function in another division or location,
    people with mutual connections (through active employees only), and active employees who
    share `user`'s rare skills (held by at most RARE_SKILL_HOLDERS people; up to SKILL_POOL of
    them, those sharing the most first). They are ranked by
    SAME_FUNCTION_WEIGHT, the number of mutual connections (capped), a boost for crossing a
    division and a location, and SHARED_SKILL_WEIGHT per skill in common (capped; named in the
    reason: "3 skills in common: forecasting, Python, SQL"). Excluded: `user`, their connections, pending requests either way,
    declines either way, dismissed suggestions ("Not now") and leavers.

    The same code serves one employee (pages, API) and a batch (the digest): see
    suggestions_for_many.
    """
    if not is_employee(user):
        return []
    return suggestions_for_many([user], limit=limit).get(user.pk, [])


def suggestions_for_many(users, *, limit=10, counterparts_only=False):
    """{employee id: [Suggestion]} for a batch of employees, by the rule of `suggestions_for`.

    With `counterparts_only`, only people with the same job function in another division or
    location are suggested, ranked without mutual connections: what the weekly digest shows
    ("suggested counterparts"), without ranking every friend-of-a-friend path of the batch; the
    fellow attendees then come separately, up to `limit` of them before the counterparts (the
    digest's "From events you attended").

    Nine queries for one employee; for a batch, eight plus one per distinct job function in it,
    whatever the size of the batch or the company: the exclusions, the fellow-attendee pool, the
    mutual-connection pool (an aggregate limited per viewer in SQL, then the kept candidates'
    division, location and function), the pool of people sharing rare skills, a pool of
    counterparts per function, the mutual counts of the counterparts and skill sharers, the skills
    of the candidates and viewers (links only, from which skills in common are counted before
    ranking), and one load of the people finally suggested.
    """
    viewers = [u for u in users if is_employee(u)]
    if not viewers or limit <= 0:
        return {}
    ids = [v.pk for v in viewers]
    excluded = _excluded_for(ids)
    candidates = {pk: {} for pk in ids}

    pool = min(SUGGESTION_POOL, max(50, 10 * limit))
    mutual_rows = () if counterparts_only else _mutual_pool(ids, pool, excluded)
    for viewer_id, pk, division_id, location_id, job_function, n in mutual_rows:
        candidates[viewer_id][pk] = _Candidate(pk, division_id, location_id, job_function, n)
    met = _met_at_pool(ids, pool, excluded)
    if not counterparts_only:
        for viewer_id, candidate in met:
            known = candidates[viewer_id].get(candidate.pk)
            if known is not None:
                candidate.mutual = known.mutual
            candidates[viewer_id][candidate.pk] = candidate

    wanted = set()
    # The digest shows counterparts only: no pool of people sharing skills for it.
    for viewer_id, candidate in () if counterparts_only else _skill_pool(ids, min(pool, SKILL_POOL), excluded):
        if candidate.pk not in candidates[viewer_id]:
            candidates[viewer_id][candidate.pk] = candidate
            wanted.add(candidate.pk)

    # The digest's three picks need no deep pool: a fixed one keeps its cost per recipient the same
    # in a company of a thousand and of a hundred thousand.
    counterparts = _counterpart_pools(viewers, size=pool if counterparts_only else SUGGESTION_POOL)
    for viewer in viewers:
        for candidate in counterparts.get(viewer.job_function, ()):
            if (
                candidate.pk in excluded[viewer.pk]
                or candidate.pk == viewer.pk
                or candidate.pk in candidates[viewer.pk]
            ):
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

    skills = _skills_of(set(ids).union(*candidates.values(), (c.pk for _, c in met)))
    chosen = {}
    for viewer in viewers:
        mine = skills.get(viewer.pk, {})
        scored = []
        for candidate in candidates[viewer.pk].values():
            candidate.shared = tuple(name for key, name in sorted(skills.get(candidate.pk, {}).items()) if key in mine)
            scored.append(_score(viewer, candidate))
        scored.sort(key=lambda item: (-item[0], -item[1].mutual, _spread(viewer.pk, item[1].pk)))
        chosen[viewer.pk] = scored[:limit]
    if counterparts_only:
        _put_met_first(chosen, met, limit)
    # Only the people finally shown are loaded whole: the pools hold hundreds of candidates each.
    people = User.objects.directory().in_bulk({c.pk for picks in chosen.values() for _, c, _ in picks})
    for pk, person in people.items():
        person._skill_names = [name for _, name in sorted(skills.get(pk, {}).items())]
    return {
        viewer.pk: [
            Suggestion(
                person=people[c.pk],
                mutual_count=c.mutual,
                same_function=same_function,
                other_division=c.division_id != viewer.division_id,
                other_location=c.location_id != viewer.location_id,
                score=score,
                shared_skills=c.shared,
                event=c.event,
            )
            for score, c, same_function in chosen[viewer.pk]
            if c.pk in people
        ]
        for viewer in viewers
    }


def _put_met_first(chosen, met, limit):
    """The digest's form: up to `limit` fellow attendees (latest event first) before the
    counterparts, each person once (a counterpart who was also at the event counts as met there)."""
    firsts = defaultdict(list)
    for viewer_id, candidate in met:
        if len(firsts[viewer_id]) < limit:
            firsts[viewer_id].append((MET_AT_EVENT_WEIGHT, candidate, False))
    for viewer_id, picks in firsts.items():
        met_ids = {c.pk for _, c, _ in picks}
        chosen[viewer_id] = picks + [pick for pick in chosen[viewer_id] if pick[1].pk not in met_ids]


def _score(viewer, candidate):
    other_division = candidate.division_id != viewer.division_id
    other_location = candidate.location_id != viewer.location_id
    same_function = (
        bool(viewer.job_function)
        and candidate.job_function == viewer.job_function
        and (other_division or other_location)
    )
    score = (
        (SAME_FUNCTION_WEIGHT if same_function else 0)
        + MUTUAL_WEIGHT * min(candidate.mutual, MUTUAL_CAP)
        + (OTHER_DIVISION_BOOST if other_division else 0)
        + (OTHER_LOCATION_BOOST if other_location else 0)
        + SHARED_SKILL_WEIGHT * min(len(candidate.shared), SHARED_SKILLS_CAP)
        + (MET_AT_EVENT_WEIGHT if candidate.event else 0)
    )
    return score, candidate, same_function


def _skills_of(ids):
    """{employee id: {skill key: name}} for `ids`, read from the skill links alone (no employee rows):
    one query, so counting skills in common costs the same for a pool of ten or of four hundred."""
    skills = defaultdict(dict)
    rows = EmployeeSkill.objects.filter(employee_id__in=ids).values_list("employee_id", "skill__key", "skill__name")
    for pk, key, name in rows.order_by():
        skills[pk][key] = name
    return skills


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
            SuggestionDismissal.objects.filter(user_id__in=viewer_ids)
            .values_list("user_id", "dismissed_id")
            .order_by(),
            all=True,
        )
    )
    excluded = {pk: {pk} for pk in viewer_ids}
    for viewer_id, other_id in rows:
        excluded[viewer_id].add(other_id)
    return excluded


def _met_at_pool(viewer_ids, pool, excluded):
    """[(viewer, candidate with `event`)]: active fellow attendees of events each viewer attended
    that have begun, the latest event first, at most `pool` per viewer, `excluded` left out. One
    query.

    An attendee sees the attendee list of an event they attended (the events' rule,
    `events.selectors.events_with_attendance_visible_to`), so naming a fellow attendee tells the
    viewer nothing they may not see; the join through the viewer's own attendance is that rule's
    attendee clause, and only it applies here: organisers and HR meet nobody by reading a list.
    """
    from events.models import Attendance

    widen = max((len(ids) for ids in excluded.values()), default=0)
    rows = (
        Attendance.objects.filter(
            event__attendances__employee_id__in=viewer_ids,
            event__starts_at__lte=timezone.now(),
            employee__is_active=True,
        )
        .annotate(viewer=F("event__attendances__employee_id"))
        .exclude(employee_id=F("viewer"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("viewer"),
                order_by=[F("event__starts_at").desc(), F("event_id").desc(), F("employee_id").asc()],
            )
        )
        .filter(rank__lte=pool + widen)
        .values_list(
            "viewer",
            "employee_id",
            "employee__division_id",
            "employee__location_id",
            "employee__job_function",
            "event_id",
            "event__title",
            "event__location__name",
            "event__starts_at",
            "rank",
        )
    )
    found, seen = [], set()
    for viewer_id, pk, division_id, location_id, function, event_id, title, place, starts_at, _rank in sorted(
        rows, key=lambda row: (row[0], row[-1])
    ):
        if pk in excluded[viewer_id] or (viewer_id, pk) in seen:
            continue
        seen.add((viewer_id, pk))
        event = MetAt(event_id, title, place, starts_at)
        found.append((viewer_id, _Candidate(pk, division_id, location_id, function, event=event)))
    return found


# Paths are counted as rows, not as connection ids: reading only (from_user, to_user) lets
# PostgreSQL answer from the (from_user, to_user) unique index alone, where counting ids read a
# heap page per friend-of-a-friend row (2,500 pages for a viewer with 70 connections at 100,000).
PATHS = Count("*")


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
        .annotate(n=PATHS)
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
        for pk, division_id, location_id, job_function in User.objects.filter(
            pk__in={c for _, c, _ in kept}
        ).values_list("pk", "division_id", "location_id", "job_function")
    }
    return [(v, c, *attributes[c], n) for v, c, n in kept if c in attributes]


def _skill_pool(viewer_ids, pool, excluded):
    """[(viewer, candidate)]: for each viewer, up to `pool` active employees who share the most of
    the viewer's rare skills (held by at most RARE_SKILL_HOLDERS employees), then by id; `excluded`
    left out. One query.

    Whether a skill is rare is asked of its index with an OFFSET (is there a holder past the
    RARE_SKILL_HOLDERS-th?), so even a skill everyone has costs that many index entries, never
    a count of its holders; the holders of rare skills are then all read (bounded by the same
    number). Their skills in common are named later from the skill links, like every candidate's.
    """
    rare = Skill.objects.filter(links__employee_id__in=viewer_ids).filter(
        ~Exists(EmployeeSkill.objects.filter(skill_id=OuterRef("pk")).order_by()[RARE_SKILL_HOLDERS:])
    )
    widen = max((len(ids) for ids in excluded.values()), default=0)
    rows = (
        EmployeeSkill.objects.filter(
            skill__links__employee_id__in=viewer_ids, skill_id__in=rare.values("pk"), employee__is_active=True
        )
        .annotate(viewer=F("skill__links__employee_id"))
        .exclude(employee_id=F("viewer"))
        .values("viewer", "employee_id", "employee__division_id", "employee__location_id", "employee__job_function")
        .annotate(n=Count("id"))
        .annotate(rank=Window(RowNumber(), partition_by=F("viewer"), order_by=[F("n").desc(), F("employee_id").asc()]))
        .filter(rank__lte=pool + widen)
        .values_list(
            "viewer", "employee_id", "employee__division_id", "employee__location_id", "employee__job_function", "rank"
        )
    )
    found, per_viewer = [], defaultdict(int)
    for viewer_id, pk, division_id, location_id, function, _rank in sorted(rows, key=lambda row: (row[0], row[-1])):
        if pk in excluded[viewer_id] or per_viewer[viewer_id] >= pool:
            continue
        per_viewer[viewer_id] += 1
        found.append((viewer_id, _Candidate(pk, division_id, location_id, function)))
    return found


def _mutual_counts(viewer_ids, candidate_ids):
    """(viewer, candidate, mutual count) for the given candidates (those with at least one)."""
    return list(
        _second_degree_links(viewer_ids)
        .filter(to_user_id__in=candidate_ids)
        .values("viewer", "to_user_id")
        .annotate(n=PATHS)
        .values_list("viewer", "to_user_id", "n")
    )


def _counterpart_pools(viewers, *, size=SUGGESTION_POOL):
    """{job function: up to `size` active employees with it}, one query per function,
    drawn from a different stretch of the company for each viewer (or batch).

    An index walk on (job_function, id) from the batch's first viewer, upwards or downwards by the
    parity of that id, then the other way for when one end of the company comes first (both
    in one query per function): sorting every employee of a function by a shuffled key cost a sort of
    thousands of rows per page in a large company, and this reads `size` index entries.
    """
    pools = {}
    by_function = defaultdict(list)
    for viewer in viewers:
        if viewer.job_function:
            by_function[viewer.job_function].append(viewer.pk)
    for function, viewer_ids in by_function.items():
        pivot = min(viewer_ids)
        same = User.objects.active().filter(job_function=function)
        up = same.filter(id__gt=pivot).order_by("id").values("id")[:size]
        down = same.filter(id__lt=pivot).order_by("-id").values("id")[:size]
        # Both walks run in one query (a union of two limited index reads; the limits sit in IN
        # subqueries, which SQLite allows where it refuses them in a union's parts), so the
        # query count never depends on the data; the second walk only matters near one end of
        # the company. The union's order is none: each walk's order is restored here.
        rows = (
            same.filter(id__in=up)
            .values_list("id", "division_id", "location_id")
            .order_by()
            .union(same.filter(id__in=down).values_list("id", "division_id", "location_id").order_by(), all=True)
        )
        above, below = [], []
        for row in rows:
            (above if row[0] > pivot else below).append(row)
        above.sort()
        below.sort(reverse=True)
        first, then = (above, below) if pivot % 2 else (below, above)
        pools[function] = [
            _Candidate(pk, division_id, location_id, function) for pk, division_id, location_id in (first + then)[:size]
        ]
    return pools
