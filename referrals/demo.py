"""Demo referrals: every status, with their history, made only to openings the referrer can see."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import DEMO_DOMAIN, FIRST_NAMES, LAST_NAMES
from accounts.models import User
from openings.models import Opening
from openings.visibility import visible_among

from .models import Referral, ReferralEvent
from .services import TRANSITIONS

BATCH = 2000
SAMPLE = 400  # referrers are drawn from this many employees, so the demo stays quick at any size
S = Referral.Status
# How far down the pipeline each demo referral went, and how often.
OUTCOMES = (
    [S.SUBMITTED] * 6
    + [S.IN_REVIEW] * 4
    + [S.INTERVIEWING] * 3
    + [S.OFFERED] * 2
    + [S.HIRED] * 2
    + [S.DECLINED] * 3
    + [S.WITHDRAWN] * 2
)
PERSONA_OUTCOMES = [S.SUBMITTED, S.IN_REVIEW, S.INTERVIEWING, S.DECLINED, S.OFFERED]
FORWARD = [S.SUBMITTED, S.IN_REVIEW, S.INTERVIEWING, S.OFFERED, S.HIRED]
RELATIONSHIPS = [
    "We worked in the same team for three years at my previous company.",
    "Former colleague: we shipped the billing migration together.",
    "We met on a cross-division project last year; I saw her run the workshops.",
    "My manager at my first job; still the best planner I know.",
]
WHY_FIT = [
    "Has done exactly this role elsewhere and knows our tools.",
    "Great with stakeholders, calm under pressure, writes clearly.",
    "Strong analytical background and a track record of finishing what they start.",
    "Would bring experience from a larger market we are entering.",
]
COMMENTS = {
    S.IN_REVIEW: "Thanks, reviewing the profile this week.",
    S.INTERVIEWING: "First interview scheduled.",
    S.OFFERED: "Offer sent.",
    S.HIRED: "Signed! Thank you for the referral.",
    S.WITHDRAWN: "The candidate accepted another offer.",
}
DECLINE_REASONS = [
    "We chose a candidate with more hands-on SQL experience.",
    "The role needs someone on site three days a week, which did not work for them.",
    "Strong profile, but more senior than this role; we will keep them in mind.",
]


def _path_to(outcome, rng):
    """The statuses a referral went through to reach `outcome`, along the allowed transitions."""
    if outcome in FORWARD:
        return FORWARD[: FORWARD.index(outcome) + 1]
    stop = rng.randint(0, 3)  # declined or withdrawn from one of the active stages
    path = FORWARD[: stop + 1] + [outcome]
    assert all(b in TRANSITIONS[a] for a, b in zip(path, path[1:], strict=False))
    return path


def seed_referrals(rng, company, stdout):
    """Referrals in every status with their events, from employees who can see the opening.

    Referrers come from a sample of employees (the personas included) and are checked against the
    visibility rule with `visible_among`, so no demo referral is to an opening its referrer could
    not have seen. Daniel Okafor gets a few of his own so that a visitor sees the referrer's side.
    """
    now = timezone.now()
    openings = list(
        Opening.objects.filter(status=Opening.Status.OPEN).only(
            "id", "posted_by_id", "visibility", "status", "referral_bonus_amount", "referral_bonus_currency"
        )
    )
    if not openings:
        stdout.write("  0 referrals (no open opening)")
        return
    persona_ids = list(company.personas.values())
    others = [i for i in company.employee_ids if i not in set(persona_ids)]
    sample_ids = persona_ids + rng.sample(others, min(SAMPLE, len(others)))
    users = {u.pk: u for u in User.objects.filter(pk__in=sample_ids).only("id", "email", "full_name", "is_active")}
    sight = visible_among(openings, list(users.values()))
    seers = {
        o.pk: [uid for uid in sample_ids if o.pk in sight.get(uid, {}) and uid != o.posted_by_id] for o in openings
    }

    referrals, paths, created_dates = [], [], []
    poster_of = {o.pk: o.posted_by_id for o in openings}
    opening_of = {o.pk: o for o in openings}
    taken = set()

    def add(opening_id, referrer_id, self_referral, outcome, older=None):
        referrer = users[referrer_id]
        if self_referral:
            name, email, employee = referrer.full_name, referrer.email, referrer_id
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name, employee = f"{first} {last}", None
            email = f"{first}.{last}.{len(referrals)}@candidates.{DEMO_DOMAIN}".lower().replace(" ", "")
        if (opening_id, email) in taken:
            return
        taken.add((opening_id, email))
        # Most referrals are recent; about half the hires are older, so their bonuses have passed the
        # retention period and HR has some to approve and pay.
        if older is None:
            older = outcome == S.HIRED and not self_referral and rng.random() < 0.5
        created = now - timedelta(days=rng.randint(130, 300) if older else rng.randint(3, 50), hours=rng.randint(0, 23))
        opening = opening_of[opening_id]
        promised = opening.has_bonus and not self_referral  # the promise, as referral_submit records it
        referrals.append(
            Referral(
                opening_id=opening_id,
                referrer_id=referrer_id,
                candidate_name=name,
                candidate_email=email,
                candidate_email_hash=Referral.hash_email(email),
                candidate_employee_id=employee,
                candidate_profile_url=""
                if self_referral
                else f"https://www.linkedin.com/in/{email.split('@')[0].replace('.', '-')}",
                is_self_referral=self_referral,
                relationship="" if self_referral else rng.choice(RELATIONSHIPS),
                why_fit=rng.choice(WHY_FIT),
                consent_confirmed=True,
                bonus_amount=opening.referral_bonus_amount if promised else None,
                bonus_currency=(opening.referral_bonus_currency or "EUR") if promised else "",
            )
        )
        paths.append(_path_to(outcome, rng))
        created_dates.append(created)

    daniel = company.personas.get("daniel.okafor")
    # His hire is to an opening with a bonus, made months ago: the referrer's side of a bonus.
    own = sorted((o for o in openings if daniel in seers[o.pk]), key=lambda o: (o.has_bonus, o.pk))
    own = [o.pk for o in own[-4:]] if len(own) >= 4 else [o.pk for o in own]
    for opening_id, outcome in zip(own, [S.INTERVIEWING, S.DECLINED, S.SUBMITTED, S.HIRED], strict=False):
        add(opening_id, daniel, False, outcome, older=outcome == S.HIRED)
    for opening in openings:
        candidates = seers[opening.pk]
        # The personas' openings always have a pipeline to show; about two in three others do.
        if not candidates or (opening.posted_by_id not in persona_ids and rng.random() < 0.35):
            continue
        if opening.posted_by_id in persona_ids:
            # A persona's pipeline shows a referral at each active stage and one that ended.
            chosen = rng.sample(candidates, min(len(candidates), len(PERSONA_OUTCOMES)))
            for referrer_id, outcome in zip(chosen, PERSONA_OUTCOMES, strict=False):
                add(opening.pk, referrer_id, rng.random() < 0.15, outcome)
            continue
        for referrer_id in rng.sample(candidates, min(len(candidates), rng.randint(1, 3))):
            add(opening.pk, referrer_id, rng.random() < 0.15, rng.choice(OUTCOMES))

    Referral.objects.bulk_create(referrals, batch_size=BATCH)
    events = []
    for referral, path, created in zip(referrals, paths, created_dates, strict=False):
        # bulk_create stamped created_at with now (auto_now_add); put back the demo's date.
        referral.created_at = at = created
        posted_by = poster_of[referral.opening_id]
        events.append(
            ReferralEvent(referral=referral, from_status="", to_status=S.SUBMITTED, by_id=referral.referrer_id, at=at)
        )
        for before, after in zip(path, path[1:], strict=False):
            at = min(now, at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 12)))
            by = referral.referrer_id if after == S.WITHDRAWN and rng.random() < 0.5 else posted_by
            events.append(
                ReferralEvent(
                    referral=referral,
                    from_status=before,
                    to_status=after,
                    by_id=by,
                    at=at,
                    comment=COMMENTS.get(after, ""),
                )
            )
        referral.status = path[-1]
        referral.status_changed_at = at
        referral.decline_reason = rng.choice(DECLINE_REASONS) if path[-1] == S.DECLINED else ""
    ReferralEvent.objects.bulk_create(events, batch_size=BATCH)
    Referral.objects.bulk_update(
        referrals, ["created_at", "status", "status_changed_at", "decline_reason"], batch_size=BATCH
    )
    by_status = {}
    for referral in referrals:
        by_status[referral.status] = by_status.get(referral.status, 0) + 1
    summary = ", ".join(f"{n} {Referral.Status(s).label.lower()}" for s, n in sorted(by_status.items()))
    stdout.write(f"  {len(referrals)} referrals ({summary}), {len(events)} history events")


BONUS_DEMO_MAX = 40


def seed_bonuses(rng, company, stdout):
    """Bonuses for the demo's hires, through the bonus services (so the history, audit and rules
    apply): each hire's poster records a start date a week or three after the hire; older hires are
    then past the retention period, and HR approves some and marks some of those paid."""
    from accounts.demo import HR_PERSONA

    from .bonuses import BonusAlreadyMoved, bonus_approve, bonus_mark_paid, bonus_problem, bonus_record_start
    from .models import ReferralBonus

    hr = User.objects.filter(pk=company.personas.get(HR_PERSONA)).first()
    persona_ids = set(company.personas.values())
    hires = list(
        Referral.objects.filter(status=S.HIRED, is_self_referral=False, bonus_amount__gt=0)
        .select_related("opening__posted_by")
        .order_by("pk")
    )
    # The personas' hires first, so the people a visitor signs in as have a bonus to look at.
    hires.sort(key=lambda r: (r.referrer_id not in persona_ids and r.opening.posted_by_id not in persona_ids, r.pk))
    made = 0
    for referral in hires[:BONUS_DEMO_MAX]:
        if bonus_problem(referral):
            continue
        start = timezone.localdate(referral.status_changed_at) + timedelta(days=rng.randint(7, 21))
        bonus = bonus_record_start(referral=referral, by=referral.opening.posted_by, start_date=start, audit=False)
        made += 1
        persona = referral.referrer_id in persona_ids  # Daniel's is approved and awaits payroll
        if hr is None or bonus.status != ReferralBonus.Status.ELIGIBLE or (not persona and rng.random() < 0.3):
            continue
        try:
            bonus = bonus_approve(bonus=bonus, by=hr, audit=False)
            if not persona and rng.random() < 0.5:
                reference = f"PAY-{timezone.localdate():%Y}-{bonus.pk:05d}"
                bonus_mark_paid(bonus=bonus, by=hr, payroll_reference=reference, audit=False)
        except BonusAlreadyMoved:
            pass
    by_status = {}
    for status in ReferralBonus.objects.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none"
    stdout.write(f"  {made} referral bonuses ({summary})")
