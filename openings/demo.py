"""Demo openings: every visibility and status, about one per five employees, 40% open."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import ROLE_NOUN
from accounts.models import User

from .models import Opening, OpeningExclusion

BATCH = 2000
PARAGRAPHS = [
    "You will join a team of {n} people who ship work that customers see every week.",
    "We are looking for someone who already knows how we work here and wants a new challenge.",
    "The role reports to the team lead and works closely with colleagues in other divisions.",
    "Tell me who you would vouch for: a referral from someone who worked with them counts more than a CV.",
    "More about the team on the intranet: https://intranet.example.com/teams",
]


def seed_openings(rng, company, stdout, *, per_employee=0.2):
    """About one opening per five employees, posted by team managers and the personas."""
    now = timezone.now()
    users = {
        u.id: u
        for u in User.objects.filter(pk__in=[team[0] for team in company.teams] + list(company.personas.values())).only(
            "id", "job_function", "division_id", "location_id"
        )
    }
    posters = [team[0] for team in company.teams if len(team) > 1]
    total = max(10, int(len(company.employee_ids) * per_employee))
    openings = []
    # The personas get a few of every kind so a visitor sees each state at once.
    persona_posts = [
        (company.personas["priya.natarajan"], Opening.Visibility.NETWORK, Opening.Status.OPEN),
        (company.personas["priya.natarajan"], Opening.Visibility.EXTENDED, Opening.Status.OPEN),
        (company.personas["priya.natarajan"], Opening.Visibility.NETWORK, Opening.Status.DRAFT),
        (company.personas["priya.natarajan"], Opening.Visibility.COMPANY, Opening.Status.CLOSED),
        (company.personas["kenji.tanaka"], Opening.Visibility.NETWORK, Opening.Status.OPEN),
        (company.personas["sofia.rossi"], Opening.Visibility.EXTENDED, Opening.Status.OPEN),
    ]
    visibilities = (
        [Opening.Visibility.NETWORK] * 5 + [Opening.Visibility.EXTENDED] * 3 + [Opening.Visibility.COMPANY] * 2
    )
    for index in range(total):
        if index < len(persona_posts):
            poster_id, visibility, status = persona_posts[index]
        else:
            poster_id = rng.choice(posters)
            visibility = rng.choice(visibilities)
            roll = rng.random()
            status = (
                Opening.Status.OPEN if roll < 0.4 else Opening.Status.CLOSED if roll < 0.85 else Opening.Status.DRAFT
            )
        poster = users[poster_id]
        function = poster.job_function or "Operations"
        level = rng.choice(["", "Senior ", "Lead ", "Junior "])
        title = f"{level}{ROLE_NOUN.get(function, function)}".strip()
        opened_at = None
        if status != Opening.Status.DRAFT:
            opened_at = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        closes_on = None
        if status == Opening.Status.OPEN and rng.random() < 0.5:
            closes_on = (now + timedelta(days=rng.randint(7, 60))).date()
        description = "\n\n".join(p.format(n=rng.randint(4, 12)) for p in rng.sample(PARAGRAPHS, 3))
        bonus = rng.random() < 0.4
        openings.append(
            Opening(
                title=title,
                description=description,
                division_id=poster.division_id,
                location_id=poster.location_id
                if rng.random() < 0.8
                else rng.choice(list(company.location_of.values())),
                employment_type=rng.choice(["full_time"] * 8 + ["part_time", "contract"]),
                work_arrangement=rng.choice(["on_site", "hybrid", "hybrid", "remote"]),
                referral_bonus_amount=rng.choice([1000, 1500, 2000, 3000]) if bonus else None,
                referral_bonus_currency="EUR" if bonus else "",
                closes_on=closes_on,
                visibility=visibility,
                status=status,
                posted_by_id=poster_id,
                opened_at=opened_at,
            )
        )
    Opening.objects.bulk_create(openings, batch_size=BATCH)
    # A few openings hidden from one member of the poster's own team (the person being replaced).
    team_of_manager = {team[0]: team for team in company.teams}
    exclusions = []
    for opening in Opening.objects.filter(posted_by_id__in=list(team_of_manager)).only("id", "posted_by_id")[
        : max(3, total // 20)
    ]:
        team = team_of_manager[opening.posted_by_id]
        if len(team) > 2:
            exclusions.append(OpeningExclusion(opening_id=opening.id, user_id=rng.choice(team[1:])))
    OpeningExclusion.objects.bulk_create(exclusions, batch_size=BATCH, ignore_conflicts=True)
    stdout.write(f"  {len(openings)} openings, {len(exclusions)} with an exclusion")
