"""Writes on openings. The portal, the API, commands and tasks call these and nothing else."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.roles import can_act, has_scope, is_employee
from integrations.outbox import emit, opening_payload

from .models import Opening, OpeningExclusion
from .visibility import viewer_is_hr

# What a poster may change on an opening, in the order the form shows it; the form and the API
# serializer take their fields from here.
EDITABLE_FIELDS = (
    "title",
    "description",
    "division",
    "location",
    "employment_type",
    "work_arrangement",
    "visibility",
    "closes_on",
    "referral_bonus_amount",
    "referral_bonus_currency",
)

# Status changes that make sense: publish a draft, close an open opening, reopen a closed one.
# Closing a draft (it was never seen) or drafting a published one are refused.
TRANSITIONS = {
    (Opening.Status.DRAFT, Opening.Status.OPEN),
    (Opening.Status.OPEN, Opening.Status.CLOSED),
    (Opening.Status.CLOSED, Opening.Status.OPEN),
}


def can_manage(user, opening):
    """Only the poster or HR (who may also change openings) may change, close or delete one."""
    if not can_act(user):
        return False
    return opening.posted_by_id == user.pk or (viewer_is_hr(user) and has_scope(user, "openings.change_opening"))


def _check_fields(fields, *, today=None, changing_closes_on=True):
    errors = {}
    today = today or timezone.localdate()
    closes_on = fields.get("closes_on")
    if changing_closes_on and closes_on is not None and closes_on < today:
        errors["closes_on"] = ["The closing date cannot be in the past."]
    amount = fields.get("referral_bonus_amount")
    currency = (fields.get("referral_bonus_currency") or "").strip()
    if amount is not None and amount < 0:
        errors["referral_bonus_amount"] = ["The bonus cannot be negative."]
    if amount and not currency:
        errors["referral_bonus_currency"] = ["Give the currency of the bonus (e.g. EUR)."]
    if currency and (len(currency) != 3 or not currency.isalpha()):
        errors["referral_bonus_currency"] = ["Use a three-letter currency code, e.g. EUR."]
    if "referral_bonus_currency" in fields:
        fields["referral_bonus_currency"] = currency.upper()
    if errors:
        raise ValidationError(errors)


def opening_fields_check(*, opening, fields):
    """Raise ValidationError if `fields` may not be set on `opening` (the rules opening_update
    applies), so a form can show them as field messages before saving."""
    _check_fields(fields, changing_closes_on="closes_on" in fields and fields["closes_on"] != opening.closes_on)


def _clean_exclusions(excluded, poster):
    users = list(excluded or [])
    if any(u.pk == poster.pk for u in users):
        raise ValidationError({"excluded": ["You cannot hide an opening from yourself."]})
    return users


def opening_create(*, posted_by, excluded=(), status=Opening.Status.DRAFT, **fields):
    """Post an opening as `posted_by` (always the caller). It starts as a draft unless opened."""
    if not is_employee(posted_by):
        raise PermissionDenied("Only an employee can post an opening.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    if status not in (Opening.Status.DRAFT, Opening.Status.OPEN):
        raise ValidationError({"status": ["A new opening is a draft or open."]})
    _check_fields(fields)
    users = _clean_exclusions(excluded, posted_by)
    with transaction.atomic():
        opening = Opening(posted_by=posted_by, status=status, **fields)
        if status == Opening.Status.OPEN:
            opening.opened_at = timezone.now()
        opening.full_clean(exclude=["posted_by", "excluded"])
        opening.save()
        OpeningExclusion.objects.bulk_create([OpeningExclusion(opening=opening, user=u) for u in users])
        emit("opening.created", opening_payload(opening))
    return opening


def opening_update(*, opening, by, excluded=None, **fields):
    """Change an opening's fields (and, if given, its exclusion list). Poster or HR only."""
    if not can_manage(by, opening):
        raise PermissionDenied("Only the poster or HR may change this opening.")
    status = fields.pop("status", None)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    _check_fields(fields, changing_closes_on="closes_on" in fields and fields["closes_on"] != opening.closes_on)
    users = _clean_exclusions(excluded, opening.posted_by) if excluded is not None else None
    with transaction.atomic():
        for name, value in fields.items():
            setattr(opening, name, value)
        opening.full_clean(exclude=["posted_by", "excluded"])
        opening.save()
        if users is not None:
            OpeningExclusion.objects.filter(opening=opening).exclude(user__in=users).delete()
            OpeningExclusion.objects.bulk_create(
                [OpeningExclusion(opening=opening, user=u) for u in users], ignore_conflicts=True
            )
        if status is not None and status != opening.status:
            opening_set_status(opening=opening, by=by, status=status)  # emits the event, with the new fields
        else:
            emit("opening.updated", opening_payload(opening))
    return opening


def opening_set_status(*, opening, by, status):
    """Move an opening along TRANSITIONS. Reopening needs a closing date that has not passed."""
    if not can_manage(by, opening):
        raise PermissionDenied("Only the poster or HR may change this opening.")
    if status not in Opening.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if (opening.status, status) not in TRANSITIONS:
        raise ValidationError(
            {
                "status": [
                    f"A {opening.get_status_display().lower()} opening cannot become {Opening.Status(status).label.lower()}."
                ]
            }
        )
    if status == Opening.Status.OPEN and opening.closes_on and opening.closes_on < timezone.localdate():
        raise ValidationError({"closes_on": ["The closing date has passed: move it before reopening."]})
    opening.status = status
    fields = ["status", "updated_at"]
    if status == Opening.Status.OPEN and opening.opened_at is None:
        opening.opened_at = timezone.now()
        fields.append("opened_at")
    with transaction.atomic():
        opening.save(update_fields=fields)
        closed = status == Opening.Status.CLOSED
        emit("opening.closed" if closed else "opening.updated", opening_payload(opening))
    return opening


def opening_delete(*, opening, by):
    """Delete an opening (poster or HR). One that has referrals is refused: their history must
    stay, so it is closed instead."""
    if not can_manage(by, opening):
        raise PermissionDenied("Only the poster or HR may delete this opening.")
    try:
        opening.delete()
    except ProtectedError:
        raise ValidationError(
            {"non_field_errors": ["This opening has referrals, so it cannot be deleted: close it instead."]}
        ) from None


def openings_close_expired(*, today=None):
    """Close every open opening whose `closes_on` day has passed. Returns how many closed."""
    today = today or timezone.localdate()
    with transaction.atomic():
        expired = Opening.objects.select_for_update().filter(status=Opening.Status.OPEN, closes_on__lt=today)
        ids = list(expired.values_list("pk", flat=True))
        closed = Opening.objects.filter(pk__in=ids).update(status=Opening.Status.CLOSED, updated_at=timezone.now())
        for opening in Opening.objects.filter(pk__in=ids).select_related("division", "location"):
            emit("opening.closed", opening_payload(opening))
    return closed
