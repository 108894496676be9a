"""Referral bonuses, from the referrer's promise to payroll: the rules (services) and the reads
(selectors), called by the portal, the API, the daily job and the HRIS deactivation path alike.

The lifecycle (issue 20):

    (hired, start date recorded) -> pending -> eligible -> approved -> paid
                                      \\__________\\__________\\-> forfeited (with a reason)

Each move is a guarded UPDATE (`... WHERE status IN (the statuses it may leave)`), so two people
acting at once cannot both move it: the second is told it already moved (BonusAlreadyMoved). Each
move appends a BonusEvent, emits its webhook through the outbox and writes the audit log, all in
one transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.roles import actor_record, has_scope, is_employee
from config.text import invisible_control_errors
from integrations.audit import audit_service_write
from integrations.outbox import bonus_payload, emit

from .models import BonusEvent, Referral, ReferralBonus
from .selectors import viewer_sees_all_referrals

B = ReferralBonus.Status
MANAGE_PERMISSION = "referrals.manage_bonuses"
REFERENCE_MAX = 100
REASON_MAX = 2000
# Where a bonus may move from, for each target; the daily job alone makes one eligible.
MOVES_FROM = {
    B.ELIGIBLE: (B.PENDING,),
    B.APPROVED: (B.ELIGIBLE,),
    B.PAID: (B.APPROVED,),
    B.FORFEITED: (B.PENDING, B.ELIGIBLE, B.APPROVED),
}
WEBHOOKS = {
    B.ELIGIBLE: "bonus.eligible",
    B.APPROVED: "bonus.approved",
    B.PAID: "bonus.paid",
    B.FORFEITED: "bonus.forfeited",
}


class BonusAlreadyMoved(Exception):
    """Someone else moved the bonus first (two HR approving at once, a second payroll run)."""

    def __init__(self, bonus):
        self.bonus = bonus
        last = bonus.events.order_by("-at", "-id").select_related("by").first()
        who = f" by {last.actor_label}" if last is not None else ""
        super().__init__(f"This bonus was already {bonus.get_status_display().lower()}{who}: it has moved on.")

    @property
    def message(self):
        return str(self)


# --- Who may do what ------------------------------------------------------------------------------


def manages_bonuses(user):
    """HR and payroll: `referrals.manage_bonuses` (the HR group, or a service token scoped hr)."""
    return has_scope(user, MANAGE_PERMISSION)


def sees_bonus(user, referral):
    """Bonus data (amount, status, dates, references, reasons) is the referrer's and HR's only.
    The poster learns that a bonus applies (`Referral.has_bonus_promise`), nothing more."""
    return viewer_sees_all_referrals(user) or (is_employee(user) and referral.referrer_id == user.pk)


def records_start_date(user, referral):
    """The opening's poster or HR (those who run the pipeline) record when the hire starts."""
    from .services import runs_pipeline

    return runs_pipeline(user, referral)


def bonus_problem(referral):
    """Why `referral` earns no bonus, or None when it does.

    The rule: only a hired referral that carried a promise (self-referrals never do), and only for
    the first referrer of the candidate to the opening: a later referral of the same person (same
    email) by someone else earns nothing, as credit stays with the first. Declined and withdrawn
    referrals never reach hired, so they never earn one.
    """
    if referral.status != Referral.Status.HIRED:
        return "A bonus starts when the referral is hired."
    if referral.is_self_referral:
        return "A self-referral (“I'm interested”) earns no referral bonus."
    if not referral.has_bonus_promise:
        return "No referral bonus was promised on this opening when the referral was made."
    earlier = Referral.objects.filter(
        opening_id=referral.opening_id,
        candidate_email_hash=referral.candidate_email_hash,
        created_at__lt=referral.created_at,
    ).exclude(referrer_id=referral.referrer_id)
    if earlier.exists():
        return "Another employee referred this candidate first: the credit stays with them."
    return None


# --- Services ------------------------------------------------------------------------------------


def _event(bonus, *, from_status, to_status, by, at, reference="", comment=""):
    actor = actor_record(by)
    return BonusEvent.objects.create(
        bonus=bonus,
        from_status=from_status,
        to_status=to_status,
        by=actor.employee,
        by_service=actor.service_name[:100],
        at=at,
        reference=reference,
        comment=comment,
    )


def _audit(by, action, bonus, changes, audit):
    if audit:
        audit_service_write(actor=by, action=action, object_type="bonus", object_id=bonus.pk, changes=changes)


def bonus_record_start(*, referral, by, start_date, audit=True):
    """The poster or HR records the hire's start date; returns the bonus.

    Rules: only on a referral that earns a bonus (`bonus_problem`); the start date is not before the
    referral was made; it may be corrected while the bonus is pending. The bonus is pending until
    BONUS_RETENTION_DAYS after it (its `eligible_on`); a start date far enough in the past makes it
    eligible at once.
    """
    if not records_start_date(by, referral):
        raise PermissionDenied("Only the opening's poster or HR record the start date.")
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        problem = bonus_problem(current)
        if problem:
            raise ValidationError({"start_date": [problem]})
        if start_date is None:
            raise ValidationError({"start_date": ["Give the hire's start date."]})
        made_on = timezone.localdate(current.created_at)
        if start_date < made_on:
            raise ValidationError(
                {"start_date": [f"The start date cannot be before the referral was made ({made_on:%d %b %Y})."]}
            )
        now = timezone.now()
        eligible_on = start_date + timedelta(days=settings.BONUS_RETENTION_DAYS)
        bonus = ReferralBonus.objects.select_for_update().filter(referral=current).first()
        if bonus is None:
            bonus = ReferralBonus.objects.create(
                referral=current,
                amount=current.bonus_amount,
                currency=current.bonus_currency,
                status=B.PENDING,
                start_date=start_date,
                eligible_on=eligible_on,
                created_at=now,
                updated_at=now,
                status_changed_at=now,
            )
            _event(
                bonus, from_status="", to_status=B.PENDING, by=by, at=now, comment=f"Starts on {start_date:%d %b %Y}."
            )
            _audit(by, "bonus.create", bonus, {"start_date": [None, start_date], "status": [None, B.PENDING]}, audit)
        elif bonus.status != B.PENDING:
            raise ValidationError(
                {"start_date": [f"The bonus is already {bonus.get_status_display().lower()}: its start date is fixed."]}
            )
        else:
            before = bonus.start_date
            ReferralBonus.objects.filter(pk=bonus.pk).update(
                start_date=start_date, eligible_on=eligible_on, updated_at=now
            )
            bonus.start_date, bonus.eligible_on, bonus.updated_at = start_date, eligible_on, now
            _event(
                bonus,
                from_status=B.PENDING,
                to_status=B.PENDING,
                by=by,
                at=now,
                comment=f"Start date changed to {start_date:%d %b %Y}.",
            )
            _audit(by, "bonus.update", bonus, {"start_date": [before, start_date]}, audit)
        if eligible_on <= timezone.localdate(now):
            bonus = _move(bonus.pk, to=B.ELIGIBLE, by=None, audit=True)
    return bonus


def _move(bonus_id, *, to, by, reference="", reason="", audit=True, extra=None):
    """The guarded UPDATE: move the bonus to `to` only if it is still in a status it may leave for
    `to`; otherwise BonusAlreadyMoved. Appends the event, emits the webhook, writes the audit log."""
    now = timezone.now()
    fields = {"status": to, "status_changed_at": now, "updated_at": now}
    if to == B.PAID:
        fields["payroll_reference"] = reference
    if to == B.FORFEITED:
        fields["forfeit_reason"] = reason
    with transaction.atomic():
        moved = ReferralBonus.objects.filter(pk=bonus_id, status__in=MOVES_FROM[to], **(extra or {})).update(**fields)
        bonus = ReferralBonus.objects.select_related("referral").get(pk=bonus_id)
        if not moved:
            raise BonusAlreadyMoved(bonus)
        previous = _previous_status(bonus, to)
        _event(bonus, from_status=previous, to_status=to, by=by, at=now, reference=reference, comment=reason)
        emit(WEBHOOKS[to], bonus_payload(bonus))
        changes = {"status": [previous, to]}
        if reference:
            changes["payroll_reference"] = ["", reference]
        if reason:
            changes["forfeit_reason"] = ["", reason]
        _audit(by, f"bonus.{to}" if to != B.ELIGIBLE else "bonus.eligible", bonus, changes, audit)
    return bonus


def _previous_status(bonus, to):
    last = bonus.events.order_by("-at", "-id").values_list("to_status", flat=True).first()
    return last or MOVES_FROM[to][0]


def _check_manager(by):
    if not manages_bonuses(by):
        raise PermissionDenied("Only HR and payroll approve, pay or forfeit referral bonuses.")


def bonus_approve(*, bonus, by, audit=True):
    """HR approves an eligible bonus for payroll. A pending one is refused (not yet eligible); one
    that someone else already moved raises BonusAlreadyMoved."""
    _check_manager(by)
    current = ReferralBonus.objects.get(pk=bonus.pk)
    if current.status == B.PENDING:
        raise ValidationError(
            {"status": [f"This bonus is pending until {current.eligible_on:%d %b %Y}: approve it once it is eligible."]}
        )
    if current.status in (B.PAID, B.FORFEITED):
        raise ValidationError(
            {"status": [f"This bonus is {current.get_status_display().lower()}: it cannot be approved."]}
        )
    return _move(bonus.pk, to=B.APPROVED, by=by, audit=audit)


def clean_reference(reference):
    """A payroll reference: required, at most 100 characters, no hidden characters."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"payroll_reference": ["Give the payroll reference of the payment."]})
    if len(reference) > REFERENCE_MAX:
        raise ValidationError({"payroll_reference": [f"Keep the payroll reference to {REFERENCE_MAX} characters."]})
    if invisible_control_errors(payroll_reference=reference):
        raise ValidationError(invisible_control_errors(payroll_reference=reference))
    return reference


def bonus_mark_paid(*, bonus, by, payroll_reference, audit=True):
    """Payroll marks an approved bonus paid, with its payroll reference (1 to 100 characters).
    Only an approved bonus can be paid; an already paid one raises BonusAlreadyMoved."""
    _check_manager(by)
    reference = clean_reference(payroll_reference)
    current = ReferralBonus.objects.get(pk=bonus.pk)
    if current.status not in (B.APPROVED, B.PAID):
        raise ValidationError(
            {
                "status": [
                    f"Only an approved bonus can be marked paid; this one is {current.get_status_display().lower()}."
                ]
            }
        )
    return _move(bonus.pk, to=B.PAID, by=by, reference=reference, audit=audit)


def clean_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"forfeit_reason": ["Give a reason for forfeiting: the referrer will read it."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"forfeit_reason": [f"Keep the reason to {REASON_MAX} characters."]})
    if invisible_control_errors(forfeit_reason=reason):
        raise ValidationError(invisible_control_errors(forfeit_reason=reason))
    return reason


def bonus_forfeit(*, bonus, by, reason, audit=True):
    """HR records that the hire left before the retention date: the bonus is forfeited with a reason
    the referrer reads. From pending, eligible or approved; never once paid."""
    _check_manager(by)
    reason = clean_reason(reason)
    current = ReferralBonus.objects.get(pk=bonus.pk)
    if current.status == B.PAID:
        raise ValidationError({"status": ["This bonus is paid: it can no longer be forfeited."]})
    return _move(bonus.pk, to=B.FORFEITED, by=by, reason=reason, audit=audit)


def bonuses_forfeit_for_leaver(*, employee, left_on=None):
    """The HRIS deactivated `employee`: forfeit the pending bonuses for their hire if they left
    before the retention date (`eligible_on`). Called by accounts.services.employee_deactivate in
    its transaction. The hire is the referral's linked employee or the candidate with their email.
    Returns how many were forfeited."""
    left_on = left_on or timezone.localdate()
    hire = Q(referral__candidate_employee_id=employee.pk)
    if employee.email:
        hire |= Q(referral__candidate_email_hash=Referral.hash_email(employee.email))
    ids = list(
        ReferralBonus.objects.filter(hire, status=B.PENDING, eligible_on__gt=left_on).values_list("pk", flat=True)
    )
    for pk in ids:
        reason = f"The hire left on {left_on:%d %b %Y}, before the end of the {settings.BONUS_RETENTION_DAYS}-day retention period."
        try:
            _move(pk, to=B.FORFEITED, by=None, reason=reason, extra={"eligible_on__gt": left_on})
        except BonusAlreadyMoved:
            continue
    return len(ids)


def bonuses_make_eligible(*, today=None):
    """The daily job: pending bonuses whose retention date has come become eligible, each in its own
    transaction with its `bonus.eligible` webhook. The guarded UPDATE makes a second or concurrent
    run a no-op for a bonus already moved, so each is emitted exactly once. Returns how many moved."""
    today = today or timezone.localdate()
    ids = ReferralBonus.objects.filter(status=B.PENDING, eligible_on__lte=today).values_list("pk", flat=True)
    moved = 0
    for pk in list(ids):
        try:
            _move(pk, to=B.ELIGIBLE, by=None, extra={"eligible_on__lte": today})
        except BonusAlreadyMoved:
            continue
        moved += 1
    return moved


# --- Selectors -----------------------------------------------------------------------------------


def bonuses_visible_to(user):
    """The bonuses `user` may see: HR all of them, a referrer their own, nobody else any."""
    if viewer_sees_all_referrals(user):
        return ReferralBonus.objects.all()
    if not is_employee(user):
        return ReferralBonus.objects.none()
    return ReferralBonus.objects.filter(referral__referrer_id=user.pk)


def with_bonus_details(queryset):
    """What the HR list, the CSV and the API show with a bonus, in a fixed number of queries."""
    return queryset.select_related(
        "referral",
        "referral__referrer",
        "referral__referrer__division",
        "referral__opening",
        "referral__opening__division",
    )


def with_bonus_history(queryset):
    """A bonus with its history (the API's detail): one more query for any number of bonuses."""
    return with_bonus_details(queryset).prefetch_related(
        Prefetch("events", queryset=BonusEvent.objects.select_related("by").order_by("at", "id"))
    )


def bonuses_for_hr(user, *, status="", division="", date_from=None, date_to=None):
    """HR's list at /hr/bonuses/: filtered by status, the opening's division (code) and a range of
    the date the bonus becomes eligible; the oldest eligible first."""
    qs = bonuses_visible_to(user) if viewer_sees_all_referrals(user) else ReferralBonus.objects.none()
    if status:
        qs = qs.filter(status=status)
    if division:
        qs = qs.filter(referral__opening__division__code=division)
    if date_from:
        qs = qs.filter(eligible_on__gte=date_from)
    if date_to:
        qs = qs.filter(eligible_on__lte=date_to)
    return with_bonus_details(qs).order_by("eligible_on", "id")


def attach_bonuses(user, referrals):
    """Mark each referral with what `user` may know of its bonus, without a query per row:
    `bonus_shown` (the bonus, for the referrer and HR; else None) and `bonus_applies` (a promise
    exists: what the poster sees). The referrals come with `select_related("bonus")`."""
    for referral in referrals:
        try:
            bonus = referral.bonus
        except ReferralBonus.DoesNotExist:
            bonus = None
        referral.bonus_applies = referral.has_bonus_promise and not referral.is_self_referral
        referral.bonus_visible = sees_bonus(user, referral)
        referral.bonus_shown = bonus if referral.bonus_visible else None
    return referrals
