"""Writes on referrals: submit, move along the pipeline, withdraw, erase personal data.

The portal, the API, commands and tasks call these and nothing else, so every rule below holds
through every channel. Who may *see* a referral is referrals/selectors.py; who may see an opening
is openings/visibility.py (used here, never restated).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator, URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.roles import actor_record, has_scope, is_employee
from background.emails import email_queue
from config.text import invisible_control_errors
from integrations.outbox import emit, referral_payload
from openings.models import Opening

from .models import DUPLICATE_MESSAGE, Referral, ReferralEvent

S = Referral.Status

# The pipeline only moves forward. Every active stage may also end in declined (by the poster or
# HR, with a reason) or withdrawn; hired, declined and withdrawn are final.
TRANSITIONS = {
    S.SUBMITTED: {S.IN_REVIEW, S.DECLINED, S.WITHDRAWN},
    S.IN_REVIEW: {S.INTERVIEWING, S.DECLINED, S.WITHDRAWN},
    S.INTERVIEWING: {S.OFFERED, S.DECLINED, S.WITHDRAWN},
    S.OFFERED: {S.HIRED, S.DECLINED, S.WITHDRAWN},
}

# What a referrer tells about the candidate, in the order the form asks for it, with the most
# characters each may hold. The portal form, the API serializers, `referral_submit` and the
# erasure take the candidate's fields from here.
CANDIDATE_FIELDS = {
    "candidate_name": 150,
    "candidate_email": 254,
    "candidate_phone": 40,
    "candidate_profile_url": 500,
    "relationship": 2000,
    "why_fit": 5000,
}

CHANGE_PERMISSION = "referrals.change_referral"
NO_SUCH_OPENING = "There is no opening with this id."
SELF_DUPLICATE_MESSAGE = "You are already being considered for this opening."

_phone = RegexValidator(r"^\+?[0-9][0-9 ()./-]{3,38}$", "Enter a phone number: digits, spaces, + ( ) - . /")
_url = URLValidator(schemes=["http", "https"], message="Enter a full web address starting with https://.")


# --- Who may do what ------------------------------------------------------------------------------


def runs_pipeline(user, referral):
    """The opening's poster, or HR holding `referrals.change_referral` (group or service scope)."""
    return (is_employee(user) and referral.opening.posted_by_id == user.pk) or has_scope(user, CHANGE_PERMISSION)


def allowed_moves(user, referral):
    """The statuses `user` may move `referral` to now, in pipeline order.

    The poster and HR move it forward along TRANSITIONS (declining needs a reason); the referrer
    may only withdraw it. Nobody moves an ended referral.
    """
    targets = TRANSITIONS.get(referral.status, set())
    if runs_pipeline(user, referral):
        allowed = targets
    elif is_employee(user) and referral.referrer_id == user.pk:
        allowed = targets & {S.WITHDRAWN}
    else:
        allowed = set()
    return [value for value in S.values if value in allowed]


def referral_opening_check(*, referrer, opening):
    """The opening (an Opening or its id) if `referrer` may refer someone to it now.

    The rule: only an employee; only to an opening they may see (otherwise answered exactly as an
    id that does not exist); only while it is open; never to one they posted; and a referrer whose
    sight of it comes only from an earlier referral (read-only) cannot refer again. Raises
    ValidationError on the `opening` field with the reason.
    """
    if not is_employee(referrer):
        raise PermissionDenied("Referrals are made by employees, not by service tokens.")
    opening_id = getattr(opening, "pk", opening)
    try:
        found = Opening.objects.visible_to(referrer).filter(pk=opening_id).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationError({"opening": [NO_SUCH_OPENING]})
    if found.posted_by_id == referrer.pk:
        raise ValidationError({"opening": ["You posted this opening: you cannot refer anyone to it."]})
    if found.status == Opening.Status.DRAFT:
        raise ValidationError({"opening": ["This opening is not published yet: it takes referrals once it is open."]})
    if found.status != Opening.Status.OPEN:
        raise ValidationError({"opening": ["This opening is closed: it no longer takes referrals."]})
    if not Opening.objects.visible_to(referrer, include_referred=False).filter(pk=found.pk).exists():
        raise ValidationError(
            {
                "opening": [
                    "This opening is no longer shared with you: you can follow your referrals, but not refer again."
                ]
            }
        )
    return found


def can_refer(user, opening):
    """Whether the opening page offers "Refer someone" and "I'm interested" to `user`."""
    if opening.posted_by_id == getattr(user, "pk", None) or opening.status != Opening.Status.OPEN:
        return False  # refused whatever else holds; no query needed
    try:
        referral_opening_check(referrer=user, opening=opening)
    except (ValidationError, PermissionDenied):
        return False
    return True


# --- Submitting -------------------------------------------------------------------------------


def _clean_candidate(candidate, *, consent_confirmed):
    """The candidate's fields (CANDIDATE_FIELDS), trimmed, or ValidationError naming each bad one:
    a name and a valid email are needed, a phone and a profile link must look like one, no text
    hides characters (config/text.py), and the candidate agreed to be referred."""
    values = {name: (candidate.get(name) or "").strip() for name in CANDIDATE_FIELDS}
    name, email = values["candidate_name"], values["candidate_email"]
    phone, url = values["candidate_phone"], values["candidate_profile_url"]
    errors = {}
    if not name:
        errors["candidate_name"] = ["Give the candidate's name."]
    elif len(name) > CANDIDATE_FIELDS["candidate_name"]:
        errors["candidate_name"] = [f"Keep the name under {CANDIDATE_FIELDS['candidate_name']} characters."]
    if not email:
        errors["candidate_email"] = ["Give the candidate's email address."]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["candidate_email"] = ["Enter a valid email address."]
    if phone:
        try:
            _phone(phone)
        except ValidationError as error:
            errors["candidate_phone"] = error.messages
    if url:
        try:
            if len(url) > CANDIDATE_FIELDS["candidate_profile_url"]:
                raise ValidationError(f"Keep the address under {CANDIDATE_FIELDS['candidate_profile_url']} characters.")
            _url(url)
        except ValidationError as error:
            errors["candidate_profile_url"] = error.messages
    errors.update(invisible_control_errors(**{n: values[n] for n in ("candidate_name", "relationship", "why_fit")}))
    if consent_confirmed is not True:
        errors["consent_confirmed"] = ["Confirm that the candidate agreed to be referred."]
    if errors:
        raise ValidationError(errors)
    return values


def referral_submit(*, referrer, opening, consent_confirmed, **candidate):
    """Refer a candidate to an opening; returns the new referral.

    `candidate` holds the candidate's fields (CANDIDATE_FIELDS; any left out are empty). Rules: the
    opening passes `referral_opening_check`; the candidate has a name and a valid email
    and agreed to be referred (`consent_confirmed`). The same person (email compared
    case-insensitively, through its salted hash) cannot be referred twice to one opening while a
    referral is active: the database's partial unique index decides, so two concurrent
    submissions cannot both pass, and the second referrer is told only DUPLICATE_MESSAGE. Credit
    stays with the first. An email of an active employee links them (an internal move); the
    referrer's own email makes it a self-referral. The poster is emailed once this commits.
    """
    unknown = sorted(set(candidate) - set(CANDIDATE_FIELDS))
    if unknown:
        raise TypeError(f"referral_submit() got an unexpected keyword argument {unknown[0]!r}")
    found = referral_opening_check(referrer=referrer, opening=opening)
    fields = _clean_candidate(candidate, consent_confirmed=consent_confirmed)
    email_key = fields["candidate_email"].lower()
    is_self = email_key == referrer.email.lower()
    employee = referrer if is_self else User.objects.active().filter(email__iexact=email_key).first()
    if employee is not None and employee.pk == found.posted_by_id:
        raise ValidationError({"candidate_email": ["The person who posted this opening cannot be its candidate."]})
    now = timezone.now()
    # The promise is what the opening shows now; a self-referral earns no bonus (issue 20).
    promised = found.has_bonus and not is_self
    referral = Referral(
        opening=found,
        opening_title=found.title,
        bonus_amount=found.referral_bonus_amount if promised else None,
        bonus_currency=(found.referral_bonus_currency or settings.DEFAULT_BONUS_CURRENCY) if promised else "",
        referrer=referrer,
        candidate_email_hash=Referral.hash_email(email_key),
        candidate_employee=employee,
        is_self_referral=is_self,
        consent_confirmed=True,
        status=S.SUBMITTED,
        status_changed_at=now,
        **fields,
    )
    try:
        with transaction.atomic():
            referral.save()
            _history_event(referral, from_status="", to_status=S.SUBMITTED, by=referrer, at=now)
            emit("referral.created", referral_payload(referral))
            email_queue("referral_new", referral.pk)
    except IntegrityError as error:
        if not _is_duplicate(error):
            raise
        message = SELF_DUPLICATE_MESSAGE if is_self else DUPLICATE_MESSAGE
        raise ValidationError({"candidate_email": [message]}) from None
    return referral


def _is_duplicate(error):
    text = str(error)
    return "referral_one_active_per_candidate" in text or "candidate_email_hash" in text


def referral_express_interest(*, employee, opening, why_fit="", candidate_phone=""):
    """ "I'm interested": `employee` puts themselves forward for an opening they may see.

    A self-referral under the same rules as `referral_submit` (the candidate is the employee, who
    consents by asking). Their manager is not told: only the poster and HR see it.
    """
    if not is_employee(employee):
        raise PermissionDenied("Only an employee can put themselves forward.")
    return referral_submit(
        referrer=employee,
        opening=opening,
        candidate_name=employee.full_name or employee.email,
        candidate_email=employee.email,
        candidate_phone=candidate_phone,
        why_fit=why_fit,
        consent_confirmed=True,
    )


# --- The pipeline -------------------------------------------------------------------------------


def referral_move(*, referral, by, status, comment="", decline_reason=""):
    """Move `referral` to `status`, record the change in its history and tell the referrer.

    Rules: only along TRANSITIONS (forward, never out of hired, declined or withdrawn); by the
    opening's poster or HR; the referrer may only withdraw (`allowed_moves`). Declining needs a
    reason, which the referrer reads; only a decline has one. The row is locked while it moves, so
    two people moving it at once cannot both start from the same status. `by` may be an HR service
    principal: the event then records no employee but the service's name.
    """
    comment = (comment or "").strip()
    decline_reason = (decline_reason or "").strip()
    if status not in S.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if invisible_control_errors(comment=comment, decline_reason=decline_reason):
        raise ValidationError(invisible_control_errors(comment=comment, decline_reason=decline_reason))
    with transaction.atomic():
        current = Referral.objects.select_for_update().select_related("opening").get(pk=referral.pk)
        if not runs_pipeline(by, current):
            if not (is_employee(by) and current.referrer_id == by.pk):
                raise PermissionDenied("Only the opening's poster or HR may move this referral on.")
            if status != S.WITHDRAWN:
                raise PermissionDenied(
                    "As the referrer you may withdraw this referral; only the poster or HR move it on."
                )
        if status not in TRANSITIONS.get(current.status, set()):
            if current.status not in TRANSITIONS:
                message = f"This referral is {current.get_status_display().lower()}: its pipeline has ended."
            else:
                message = f"A referral that is {current.get_status_display().lower()} cannot become {S(status).label.lower()}."
            raise ValidationError({"status": [message]})
        if status == S.DECLINED and not decline_reason:
            raise ValidationError({"decline_reason": ["Give a reason for declining: the referrer will read it."]})
        if status != S.DECLINED and decline_reason:
            raise ValidationError({"decline_reason": ["Only a declined referral has a decline reason."]})
        now = timezone.now()
        event = _history_event(current, from_status=current.status, to_status=status, by=by, at=now, comment=comment)
        current.status = status
        current.status_changed_at = now
        current.decline_reason = decline_reason
        current.save(update_fields=["status", "status_changed_at", "decline_reason", "updated_at"])
        emit("referral.status_changed", referral_payload(current, previous_status=event.from_status))
        email_queue("referral_status", event.pk)
    return current


def referral_withdraw(*, referral, by, comment=""):
    """The referrer (or the poster or HR) takes the referral out of the pipeline. Final."""
    return referral_move(referral=referral, by=by, status=S.WITHDRAWN, comment=comment)


def _history_event(referral, *, from_status, to_status, by, at, comment=""):
    """Append one change to the referral's history, recording who made it as every record does
    (accounts.roles.actor_record): the employee, or the HR system's name."""
    actor = actor_record(by)
    return ReferralEvent.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to_status,
        by=actor.employee,
        by_service=actor.service_name[:100],
        at=at,
        comment=comment,
    )


# --- Data retention -------------------------------------------------------------------------------


# Every candidate field is emptied (the name reads "Erased"), with the decline reason and the link
# to an employee; the salted email hash stays.
ERASED_FIELDS = {
    **dict.fromkeys(CANDIDATE_FIELDS, ""),
    "candidate_name": Referral.ERASED_NAME,
    "decline_reason": "",
    "candidate_employee": None,
}


def _erase(queryset, now):
    """Erase the candidate data of the referrals in `queryset` wherever the board keeps it: the
    referral, its history's comments, the audit log's rows about it, and stored idempotent answers
    that carry it (they would replay it)."""
    from integrations.audit import audit_scrub
    from integrations.models import IdempotencyRecord

    rows = list(queryset.values_list("pk", "candidate_email", "candidate_name"))
    if not rows:
        return 0
    ids = [pk for pk, _email, _name in rows]
    with transaction.atomic():
        Referral.objects.filter(pk__in=ids).update(personal_data_erased_at=now, updated_at=now, **ERASED_FIELDS)
        # Comments on the history may speak about the candidate; the statuses and dates stay.
        ReferralEvent.objects.filter(referral_id__in=ids).exclude(comment="").update(comment="")
        audit_scrub(object_type="referral", object_ids=ids)
        # Idempotency records live a day at most, so this text search runs over a small table.
        carries = Q(pk__in=[])
        for pk, email, name in rows:
            carries |= Q(path__startswith=f"/api/v1/referrals/{pk}/")
            for text in (email, name):
                if text and text != Referral.ERASED_NAME:
                    carries |= Q(response_body__icontains=text)
        IdempotencyRecord.objects.filter(carries).delete()
    return len(ids)


def referrals_erase_expired(*, now=None):
    """Erase the candidate's personal data on referrals that ended (hired, declined, withdrawn)
    more than REFERRAL_RETENTION_DAYS ago. Returns how many were erased.

    Name becomes "Erased"; email, phone, profile link, relationship, why they fit, the decline
    reason, the link to an employee and the history's comments are cleared. The salted email hash
    stays, so the duplicate rule still recognises the person. Erased referrals are not erased again.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFERRAL_RETENTION_DAYS)
    expired = Referral.objects.filter(
        status__in=Referral.ENDED_STATUSES, status_changed_at__lt=cutoff, personal_data_erased_at__isnull=True
    )
    return _erase(expired, now)


def referral_erase_personal_data(*, referral, now=None):
    """Erase one referral's candidate data at once (a data-subject request handled by HR)."""
    return _erase(Referral.objects.filter(pk=referral.pk, personal_data_erased_at__isnull=True), now or timezone.now())
