"""Demo events: a handful the personas meet at, and in a large company about one event per fifty
employees with thirty attendees on average (and, from 10,000 employees, one training of 2,000),
written with bulk inserts (fast at 100,000)."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Connection, ConnectionRequest, Location

from .models import Attendance, Event

BATCH = 2000
EMPLOYEES_PER_EVENT = 50
# A large company also holds one company-wide training of this many people (the event page's
# paginated worst case, and a fellow-attendee pool of that size for suggestions), from this size on.
LARGE_TRAINING = 2000
LARGE_TRAINING_FROM = 10_000
TITLES = {
    Event.Kind.TRAINING: ["Leadership Training", "Negotiation Skills", "Data Literacy", "Presenting with Impact"],
    Event.Kind.CONFERENCE: ["Analytics Conference", "Engineering Summit", "Customer Success Forum"],
    Event.Kind.MEETUP: ["Coffee & Code", "Data Community Meetup", "Lunch and Learn", "Book Club"],
    Event.Kind.OFFSITE: ["Team Offsite", "Planning Offsite"],
    Event.Kind.OTHER: ["Volunteering Day", "Onboarding Day"],
}


def seed_events(rng, company, stdout):
    """The personas' events (one past training where Daniel met people from other divisions he
    has not connected with yet, a meetup, upcoming ones and one running now so that its check-in
    link works), then generated events up to about one per EMPLOYEES_PER_EVENT employees."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    locations = {loc.code: loc for loc in Location.objects.all()}
    personas = company.personas
    daniel = personas["daniel.okafor"]
    events, attendees = [], []  # attendees: one list of employee ids per event, in order

    def add(
        title,
        kind,
        start,
        hours,
        *,
        where=None,
        online=False,
        organiser=None,
        source="portal",
        external_id=None,
        people=(),
    ):
        events.append(
            Event(
                title=title,
                kind=kind,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                location=locations.get(where),
                online=online or where is None,
                description=f"{title}: a day to learn together and meet colleagues from across the company.",
                organiser_id=organiser,
                source=source,
                external_id=external_id,
            )
        )
        attendees.append(list(dict.fromkeys(people)))

    # Daniel's past training: people from other divisions he has no connection with yet.
    linked = set(Connection.objects.filter(from_user_id=daniel).values_list("to_user_id", flat=True))
    strangers = [
        pk
        for pk in company.employee_ids
        if pk != daniel and pk not in linked and company.division_of.get(pk) != company.division_of[daniel]
    ]
    met = rng.sample(strangers, min(12, len(strangers)))
    add(
        "Leadership Training, Berlin",
        Event.Kind.TRAINING,
        now - timedelta(days=20, hours=15),
        8,
        where="berlin",
        source="LMS",
        external_id="LMS-DEMO-LEAD-1",
        people=[daniel, personas["priya.natarajan"], *met],
    )
    sample = rng.sample(company.employee_ids, min(15, len(company.employee_ids)))
    add(
        "Data Community Meetup",
        Event.Kind.MEETUP,
        now - timedelta(days=45, hours=6),
        2,
        organiser=personas["sofia.rossi"],
        people=[personas["sofia.rossi"], personas["priya.natarajan"], *sample],
    )
    add(
        "Onboarding Day, London",
        Event.Kind.OTHER,
        now - timedelta(hours=1),
        7,
        where="london",
        organiser=daniel,
        people=[daniel],
    )
    add(
        "Coffee & Code, Berlin",
        Event.Kind.MEETUP,
        now + timedelta(days=5, hours=8),
        2,
        where="berlin",
        organiser=personas["priya.natarajan"],
        people=[personas["priya.natarajan"]],
    )
    add(
        "Analytics Conference",
        Event.Kind.CONFERENCE,
        now + timedelta(days=30),
        9,
        source="Events tool",
        external_id="ET-DEMO-1",
    )
    add(
        "Quarterly Engineering Offsite",
        Event.Kind.OFFSITE,
        now + timedelta(days=14),
        30,
        where="london",
        source="Events tool",
        external_id="ET-DEMO-2",
    )

    ids = company.employee_ids
    if len(ids) >= LARGE_TRAINING_FROM:
        add(
            "Company-wide Leadership Training",
            Event.Kind.TRAINING,
            now - timedelta(days=10, hours=15),
            8,
            source="LMS",
            external_id="LMS-DEMO-ALL-1",
            people=rng.sample(ids, LARGE_TRAINING),
        )
    codes = list(locations)
    kinds = list(TITLES)
    for index in range(max(0, len(ids) // EMPLOYEES_PER_EVENT - len(events))):
        kind = rng.choice(kinds)
        where = None if rng.random() < 0.2 else rng.choice(codes)
        organiser = rng.choice(ids) if kind == Event.Kind.MEETUP else None
        size = rng.randint(10, 50)
        add(
            f"{rng.choice(TITLES[kind])} #{index + 1}",
            kind,
            now + timedelta(days=rng.randint(-180, 90), hours=rng.randint(0, 23)),
            rng.choice([2, 4, 8, 24]),
            where=where,
            organiser=organiser,
            source="portal" if organiser else "LMS",
            people=[organiser, *rng.sample(ids, min(size, len(ids)))]
            if organiser
            else rng.sample(ids, min(size, len(ids))),
        )

    Event.objects.bulk_create(events, batch_size=BATCH)
    rows = [
        Attendance(
            event_id=event.pk,
            employee_id=pk,
            how=Attendance.How.ORGANISER if event.organiser_id else Attendance.How.IMPORTED,
            created_at=event.starts_at,
        )
        for event, people in zip(events, attendees, strict=True)
        for pk in people
    ]
    Attendance.objects.bulk_create(rows, batch_size=BATCH)
    traces = _seed_meetings(rng, company, events[0], attendees[0], events[1], attendees[1])
    stdout.write(f"Events: {len(events)}, with {len(rows)} attendances and {traces} meetings on record.")


def _seed_meetings(rng, company, training, at_training, meetup, at_meetup):
    """Meetings that left a trace (`met_at`): a few connections made across divisions after the
    past meetup (the HR table's first row), and one pending request to Daniel from someone he met
    at the training, "We met at …" (the others there stay for his suggestions)."""
    daniel = company.personas["daniel.okafor"]
    linked = set(Connection.objects.filter(from_user_id__in=at_meetup).values_list("from_user_id", "to_user_id"))
    pairs = [
        (a, b)
        for i, a in enumerate(at_meetup)
        for b in at_meetup[i + 1 :]
        if (a, b) not in linked and company.division_of.get(a) != company.division_of.get(b)
    ]
    when = meetup.ends_at + timedelta(days=2)
    made = rng.sample(pairs, min(4, len(pairs)))
    Connection.objects.bulk_create(
        [
            Connection(from_user_id=x, to_user_id=y, met_at=meetup, created_at=when)
            for a, b in made
            for x, y in ((a, b), (b, a))
        ],
        ignore_conflicts=True,
    )
    asked = set(
        ConnectionRequest.objects.filter(sender_id=daniel, status="pending").values_list("recipient_id", flat=True)
    ) | set(ConnectionRequest.objects.filter(recipient_id=daniel, status="pending").values_list("sender_id", flat=True))
    skip = {daniel, company.personas["priya.natarajan"], *asked}
    sender = next((pk for pk in at_training if pk not in skip), None)
    if sender is not None:
        ConnectionRequest.objects.create(
            sender_id=sender,
            recipient_id=daniel,
            met_at=training,
            message=f"We met at {training.title}",
            created_at=training.ends_at + timedelta(days=1),
        )
    return len(made) + (sender is not None)
