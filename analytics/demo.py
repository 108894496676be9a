"""Demo data for the analytics: tenure, a reach with gaps worth reading, and twelve weeks of history.

Runs last in `seed_demo` (after openings, referrals and events), so the random draws it makes do
not change anything seeded before it.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from openings.models import Opening
from referrals.models import Referral

from .models import ReachCell, ReachSnapshot
from .reach import snapshot_take

BATCH = 2000
# Years of service: under 1 (20%), 1–3 (30%), 3–10 (35%), over 10 (15%).
TENURE_YEARS = [(0, 1, 20), (1, 3, 30), (3, 10, 35), (10, 25, 15)]
DEMO_SIZE = 1000
HISTORY_WEEKS = 12


def seed_analytics(rng, company, stdout):
    now = timezone.now()
    spans = [(lo, hi) for lo, hi, weight in TENURE_YEARS for _ in range(weight)]
    people = list(User.objects.filter(pk__in=company.employee_ids).only("pk"))
    for person in people:
        lo, hi = rng.choice(spans)
        person.date_joined = now - timedelta(days=rng.randint(int(lo * 365.25), int(hi * 365.25) - 1))
    User.objects.bulk_update(people, ["date_joined"], batch_size=BATCH)
    if len(company.employee_ids) < DEMO_SIZE:
        # In the small demo company anyone's extended network is nearly everyone: open hidden
        # openings are network-only there, so the reach has gaps to show (People & HR, Legal, New
        # York) and the poster's page its nudge ("Extended network would reach … more people").
        # Those with referrals stay extended: each demo referral was made to an opening its referrer could see.
        Opening.objects.filter(status=Opening.Status.OPEN, visibility=Opening.Visibility.EXTENDED).exclude(
            Exists(Referral.objects.filter(opening_id=OuterRef("pk")))
        ).update(visibility=Opening.Visibility.NETWORK)
    today = snapshot_take(now=now)
    _history(today, rng)
    stdout.write(
        f"  reach snapshot: {today.reached} of {today.employees} employees reached by {today.openings} hidden openings"
    )


def _history(today, rng):
    """Weekly snapshots before today's, growing towards it: the board reached fewer people as it
    was adopted. Illustrative demo history (the rule is only ever counted for today)."""
    cells = list(today.cells.all())
    for week in range(HISTORY_WEEKS, 0, -1):
        factor = 1 - 0.035 * week - rng.random() * 0.02
        snapshot = ReachSnapshot.objects.create(
            day=today.day - timedelta(weeks=week),
            taken_at=today.taken_at - timedelta(weeks=week),
            employees=today.employees,
            reached=int(today.reached * factor),
            unreached_90d=min(today.employees, today.unreached_90d + int(today.reached * (1 - factor))),
            openings=max(0, int(today.openings * factor)),
        )
        ReachCell.objects.bulk_create(
            [
                ReachCell(
                    snapshot=snapshot,
                    dimension=c.dimension,
                    key=c.key,
                    label=c.label,
                    employees=c.employees,
                    reached=int(c.reached * factor),
                    unreached_90d=min(c.employees, c.unreached_90d + c.reached - int(c.reached * factor)),
                )
                for c in cells
            ]
        )
