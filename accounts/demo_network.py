"""The demo company's network: dense within teams, some links within a division, fewer across.

Deterministic for a given random generator, linear in the number of employees, and written with
COPY on PostgreSQL or bulk inserts in batches elsewhere, so that it stays quick for 100,000
employees as well as for 300.
"""

from collections import defaultdict
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import Connection, ConnectionRequest, User

BATCH = 5000
# Of the links beyond a person's team: most stay in the division, and of those that cross, many
# join people of the same function (trainings, communities of practice) or the same office.
WITHIN_DIVISION = 0.6
ACROSS_SAME_FUNCTION = 0.5
ACROSS_SAME_LOCATION = 0.3
PENDING_PER_PERSONA = 4
NOTES = [
    "We met at the onboarding week, would be good to stay in touch.",
    "I work on similar problems in my division. Happy to compare notes!",
    "Saw your talk at the all-hands, would love to connect.",
    "",
    "We were on the same training last spring.",
    "",
]


def seed_network(rng, company, stdout, *, average_degree=22):
    """Connect the demo company so that each person has about `average_degree` connections.

    Everyone is connected with their whole team (teams of 5 to 11 give 4 to 10 links); the rest of
    each person's links go mostly to their division, then across divisions to people of the same
    job function or location, then anywhere. Every persona also gets a few pending requests from
    counterparts, so that the network page has something to answer.
    """
    ids = company.employee_ids
    if len(ids) < 2:
        return
    # One read of every function (no IN list: SQLite limits its parameters).
    function_of = dict(User.objects.values_list("id", "job_function"))

    by_division = defaultdict(list)
    by_location = defaultdict(list)
    by_function = defaultdict(list)
    for pk in ids:
        by_division[company.division_of.get(pk)].append(pk)
        by_location[company.location_of.get(pk)].append(pk)
        by_function[function_of.get(pk, "")].append(pk)

    # A pair (a, b) with a < b is kept as one integer, a * width + b, which takes far less memory than a tuple.
    width = max(ids) + 1
    pairs = set()
    order = []

    def link(a, b):
        if a == b:
            return False
        key = a * width + b if a < b else b * width + a
        if key in pairs:
            return False
        pairs.add(key)
        order.append(key)
        return True

    for team in company.teams:
        for i, a in enumerate(team):
            for b in team[i + 1 :]:
                link(a, b)

    team_degree = 2 * len(order) / len(ids)
    # Each new link adds one connection at each end, so each person starts half of what is missing.
    per_person = max(0.0, (average_degree - team_degree) / 2)
    whole, fraction = int(per_person), per_person - int(per_person)
    personas = set(company.personas.values())
    for a in ids:
        wanted = whole + (1 if rng.random() < fraction else 0)
        if a in personas:
            wanted += 6  # a persona has no demo team of their own; the visitor should see a network
        made = 0
        for _ in range(3 * wanted):  # picks that hit an existing link are retried, a bounded number of times
            if made == wanted:
                break
            roll = rng.random()
            if roll < WITHIN_DIVISION:
                pool = by_division[company.division_of.get(a)]
            else:
                roll = rng.random()
                if roll < ACROSS_SAME_FUNCTION:
                    pool = by_function[function_of.get(a, "")]
                elif roll < ACROSS_SAME_FUNCTION + ACROSS_SAME_LOCATION:
                    pool = by_location[company.location_of.get(a)]
                else:
                    pool = ids
            made += link(a, pool[rng.randrange(len(pool))])

    now = timezone.now()
    # Creation times to the hour over the last two years: a precomputed list keeps millions of
    # rows from each formatting a timestamp.
    hours = [now - timedelta(hours=h) for h in range(24, 2 * 365 * 24)]

    def both_ways():
        for key in order:
            a, b = divmod(key, width)
            created = hours[rng.randrange(len(hours))]
            yield a, b, created
            yield b, a, created

    _insert_connections(both_ways(), hours)

    pending = _seed_pending_requests(rng, company, function_of, by_function, pairs, width, now)
    stdout.write(
        f"Network: {len(order)} connections (about {2 * len(order) / len(ids):.0f} per person), "
        f"{pending} pending requests."
    )


def _insert_connections(rows, stamps):
    """Insert (from, to, created_at) rows: COPY on PostgreSQL (millions of rows for a large demo
    company take seconds, not minutes), bulk_create in batches elsewhere."""
    if connection.vendor == "postgresql":
        text = {stamp: stamp.isoformat() for stamp in stamps}
        table = connection.ops.quote_name(Connection._meta.db_table)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} (from_user_id, to_user_id, created_at) FROM STDIN") as copy:
                lines = []
                for a, b, created in rows:
                    lines.append(f"{a}\t{b}\t{text[created]}\n")
                    if len(lines) >= 50_000:
                        copy.write("".join(lines))
                        lines = []
                copy.write("".join(lines))
        return
    batch = []
    for a, b, created in rows:
        batch.append(Connection(from_user_id=a, to_user_id=b, created_at=created))
        if len(batch) >= BATCH:
            Connection.objects.bulk_create(batch)
            batch = []
    if batch:
        Connection.objects.bulk_create(batch)


def _seed_pending_requests(rng, company, function_of, by_function, pairs, width, now):
    """A few counterparts (same function, another division first) ask each persona to connect."""

    def connected_or_asked(a, b):
        return (a * width + b if a < b else b * width + a) in pairs

    requests = []
    for persona_id in company.personas.values():
        counterparts = [
            pk
            for pk in by_function[function_of.get(persona_id, "")]
            if company.division_of.get(pk) != company.division_of.get(persona_id)
        ]
        asked = 0
        for _ in range(PENDING_PER_PERSONA * 20):
            if asked == PENDING_PER_PERSONA:
                break
            # Mostly counterparts, and one from anywhere in the company.
            pool = counterparts if counterparts and asked < PENDING_PER_PERSONA - 1 else company.employee_ids
            sender = pool[rng.randrange(len(pool))]
            if sender == persona_id or connected_or_asked(sender, persona_id):
                continue
            # Reserve the pair: one pending request per pair, whichever way round.
            pairs.add(sender * width + persona_id if sender < persona_id else persona_id * width + sender)
            requests.append(
                ConnectionRequest(
                    sender_id=sender,
                    recipient_id=persona_id,
                    message=NOTES[len(requests) % len(NOTES)],
                    created_at=now - timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 23)),
                )
            )
            asked += 1
    ConnectionRequest.objects.bulk_create(requests, batch_size=BATCH)
    return len(requests)
