"""Writes on employees, org units and tokens, and the employee rules every channel checks.

Views, the API, the admin, provisioning (PUT, bulk, the CSV import), commands and tasks all call
these. Each employee rule is one function returning its message (or None), so every channel gives
the same words in its own shape (a form error, a field of a 400, a row of a bulk report, a 403).
Who may change whom (superusers) is in accounts.roles.
"""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from config.text import INVISIBLE, invisible_control_errors
from config.text import MESSAGE as INVISIBLE_MESSAGE
from integrations.outbox import emit, employee_payload

from .models import ApiToken, DirectoryGroup, EmployeeSkill, Skill, User


def token_issue(*, user=None, service_account=None, scope="", name=""):
    """Create a token and return (token, plain). The plain token exists only in this return value.

    A personal token belongs to an employee and has no scope; a service token belongs to a service
    account and carries a scope.
    """
    if (user is None) == (service_account is None):
        raise ValueError("A token belongs to exactly one employee or one service account.")
    if user is not None and scope:
        raise ValueError("A personal token acts as its employee and takes no scope.")
    if service_account is not None and scope not in ApiToken.Scope.values:
        raise ValueError(f"Unknown scope {scope!r}.")
    plain = ApiToken.generate_plain()
    token = ApiToken.objects.create(
        user=user,
        service_account=service_account,
        scope=scope,
        name=name,
        key_prefix=plain[: len(ApiToken.PREFIX) + 6],
        key_hash=ApiToken.hash_key(plain),
    )
    return token, plain


def token_revoke(*, token):
    """Revoking is immediate and final; the row stays so that audit trails keep their reference."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def employee_deactivate(*, employee):
    """A leaver loses access at once: no sign-in, no tokens, no open session, no network links.

    Visibility and the network already ignore inactive employees; this also revokes their tokens
    so that nothing they hold keeps working, even if they are reactivated later, and forfeits the
    pending referral bonus earned by hiring them if they leave before its retention date.
    """
    with transaction.atomic():
        now = timezone.now()
        User.objects.filter(pk=employee.pk).update(is_active=False, deactivated_at=now, updated_at=now)
        employee.is_active = False
        employee.deactivated_at = now
        ApiToken.objects.filter(user=employee, revoked_at__isnull=True).update(revoked_at=now)
        emit("employee.deactivated", employee_payload(employee))
        # A hire who leaves before the retention date forfeits their referrer's bonus (issue 20).
        from referrals.bonuses import bonuses_forfeit_for_leaver

        bonuses_forfeit_for_leaver(employee=employee, left_on=timezone.localdate(now))
    # Open sessions die on their next request: the authentication backend refuses inactive users
    # when it loads the session's user, so there is no session table to scan here.
    return employee


def employee_reactivate(*, employee):
    User.objects.filter(pk=employee.pk).update(is_active=True, deactivated_at=None, updated_at=timezone.now())
    employee.is_active = True
    employee.deactivated_at = None
    return employee


# --- The employee rules ---------------------------------------------------------------------------

EMAIL_TAKEN_MESSAGE = "Another employee already has this email address."
EMPLOYEE_ID_TAKEN_MESSAGE = "Another employee already has this employee id."
OWN_MANAGER_MESSAGE = "An employee cannot be their own manager."
SELF_DEACTIVATION_MESSAGE = "You cannot deactivate yourself."


def _others(employee):
    return User.objects.exclude(pk=employee.pk) if employee is not None and employee.pk else User.objects.all()


def employee_email_problem(email, *, employee=None):
    """An email address is one employee's sign-in, compared case-insensitively: the message if an
    employee other than `employee` holds `email`, else None. (The database's `user_email_ci_unique`
    has the last word when two requests race; `employee_create` turns that into this message.)"""
    if not email:
        return None
    clash = _others(employee).annotate(email_ci=Lower("email")).filter(email_ci=email.lower())
    return EMAIL_TAKEN_MESSAGE if clash.exists() else None


def employee_id_problem(employee_id, *, employee=None):
    """An HRIS employee id names one employee: the message if another employee holds it, else None."""
    if not employee_id:
        return None
    return EMPLOYEE_ID_TAKEN_MESSAGE if _others(employee).filter(employee_id=employee_id).exists() else None


def employee_manager_problem(employee, manager):
    """Nobody is their own manager: the message if `manager` is `employee`, else None.

    Both are employees, or both the HRIS's employee ids (a bulk row may name a manager that is not
    written yet); None on either side (a new employee, no manager) is no problem.
    """
    if employee is None or manager is None:
        return None
    return OWN_MANAGER_MESSAGE if employee == manager else None


def employee_deactivation_problem(*, actor, employee, is_active):
    """Nobody deactivates themselves (HR would lock themselves out of the directory they run): the
    message if `is_active` is False and `actor` is `employee`, else None. A service token or an
    HRIS file (`actor` None) is nobody's self."""
    if is_active is not False or employee is None or employee.pk is None:
        return None
    return SELF_DEACTIVATION_MESSAGE if employee.pk == getattr(actor, "pk", None) else None


def _unique_clash(email, employee_id, employee=None):
    """The field messages for an email or employee id that another employee holds."""
    errors = {}
    message = employee_email_problem(email, employee=employee)
    if message:
        errors["email"] = [message]
    message = employee_id_problem(employee_id, employee=employee)
    if message:
        errors["employee_id"] = [message]
    return errors or {"non_field_errors": ["This employee clashes with another one."]}


def employee_create(*, email, full_name, **fields):
    """Provision an employee. HR's directory is the source of truth, so the address counts as
    verified; the employee signs in after choosing a password through the password-reset email.

    Email (case-insensitive) and employee id are unique; two simultaneous requests for the same
    one get one employee and one field error, never a server error.
    """
    _refuse_invisible(full_name=full_name, title=fields.get("title"), job_function=fields.get("job_function"))
    skills = fields.pop("skills", None)
    try:
        with transaction.atomic():
            is_active = fields.pop("is_active", True)
            employee = User.objects.create_user(email=email, full_name=full_name, **fields)
            employee_set_verified_email(employee)
            if skills:
                employee_set_skills(employee, skills)
            if not is_active:
                employee_deactivate(employee=employee)
    except IntegrityError:
        raise ValidationError(_unique_clash(email, fields.get("employee_id"))) from None
    return employee


def employee_update(*, employee, **fields):
    """Change an employee's record; `is_active=False` deactivates them (see employee_deactivate)."""
    _refuse_invisible(**{name: fields[name] for name in ("full_name", "title", "job_function") if name in fields})
    skills = fields.pop("skills", None)
    try:
        with transaction.atomic():
            if skills is not None:
                employee_set_skills(employee, skills)
            becomes_active = fields.pop("is_active", employee.is_active)
            was_active = employee.is_active
            email_changed = "email" in fields and fields["email"] != employee.email
            for name, value in fields.items():
                setattr(employee, name, value)
            employee.save()
            if email_changed:
                employee_set_verified_email(employee)
            if was_active and not becomes_active:
                employee_deactivate(employee=employee)
            elif becomes_active and not was_active:
                employee_reactivate(employee=employee)
    except IntegrityError:
        raise ValidationError(_unique_clash(fields.get("email"), fields.get("employee_id"), employee)) from None
    return employee


def _refuse_invisible(**texts):
    errors = invisible_control_errors(**texts)
    if errors:
        raise ValidationError(errors)


def employee_set_verified_email(employee):
    """The employee's directory address is their one verified, primary sign-in address."""
    EmailAddress.objects.filter(user=employee).exclude(email__iexact=employee.email).delete()
    EmailAddress.objects.update_or_create(
        user=employee, email=employee.email, defaults={"verified": True, "primary": True}
    )


# --- Org units and groups pushed by an identity provider (SCIM) --------------------------------

UNKNOWN_ORG_UNIT_MESSAGE = (
    "Unknown {kind} “{name}”. Create it in the directory first (API or admin), or set "
    "SCIM_CREATE_ORG_UNITS to let the identity provider create it."
)


def org_unit_resolve(model, name, *, create):
    """The division or location an identity provider names: matched by code or name,
    case-insensitively. An unknown one is created (code from its name) only if `create`;
    otherwise ValidationError with UNKNOWN_ORG_UNIT_MESSAGE on the unit's kind. None for no name."""
    from django.db.models import Q
    from django.utils.text import slugify

    name = " ".join(str(name or "").split())
    if not name:
        return None
    unit = model.objects.filter(Q(code__iexact=name) | Q(name__iexact=name)).order_by("pk").first()
    if unit is not None:
        return unit
    kind = model._meta.verbose_name
    if not create:
        raise ValidationError({kind: [UNKNOWN_ORG_UNIT_MESSAGE.format(kind=kind, name=name[:120])]})
    _refuse_invisible(name=name)
    code = (slugify(name) or "unit")[:32]
    unit, _ = model.objects.get_or_create(code=code, defaults={"name": name[:120]})
    return unit


def employee_sync_hr_from_groups(*, actor, employees, hr_group_names):
    """Whether an employee is HR, as the identity provider's groups say: HR if a member of a
    DirectoryGroup named (case-insensitively) in `hr_group_names`, not HR otherwise. Only the
    `employees` whose groups just changed are looked at, so HR granted in the admin to people the
    IdP never grouped stays. Nobody but a superuser changes a superuser (accounts.roles).
    Returns the employees whose HR status changed."""
    from .roles import employee_change_check, sync_hr_group

    wanted_names = {name.strip().lower() for name in hr_group_names if name.strip()}
    employees = list(employees)
    if not employees:
        return []
    hr_ids = set()
    if wanted_names:
        for group in DirectoryGroup.objects.filter(members__in=employees).prefetch_related("members").distinct():
            if group.name.lower() in wanted_names:
                hr_ids |= {member.pk for member in group.members.all()}
    hr_group = sync_hr_group()
    current = set(hr_group.user_set.filter(pk__in=[e.pk for e in employees]).values_list("pk", flat=True))
    changed = []
    for employee in employees:
        should = employee.pk in hr_ids
        if should == (employee.pk in current):
            continue
        employee_change_check(actor=actor, employee=employee)
        (hr_group.user_set.add if should else hr_group.user_set.remove)(employee)
        changed.append(employee)
    return changed


# --- The profile: what I do, skills, open to talk -------------------------------------------------

SKILLS_MAX = 20
SKILL_MAX_LENGTH = 40
WHAT_I_DO_MAX_LENGTH = 600
SKILLS_OVER_CAP_MESSAGE = f"Up to {SKILLS_MAX} skills."
SKILL_TOO_LONG_MESSAGE = "“{skill}” is longer than " + str(SKILL_MAX_LENGTH) + " characters."


def skill_key(text):
    """The comparison form of one skill: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(str(text).split()).casefold()


def skills_clean(values):
    """The rule for an employee's skills; every channel (profile page, API, HRIS push) calls it.

    `values` is a list of strings or one comma-separated string. Each skill is trimmed and its
    inner whitespace collapsed to one space; empty ones are dropped; two that differ only in case
    or spacing are one skill (the first spelling is kept). Refused, with a message on `skills`
    (ValidationError {"skills": [...]}, nothing changed): more than SKILLS_MAX distinct skills, a
    skill longer than SKILL_MAX_LENGTH characters, and invisible or text-direction controls
    (config.text). Returns the display names in the order given; the stored spelling of a skill
    someone already uses wins over this one (employee_set_skills), so a skill has one display form.
    """
    if isinstance(values, str):
        values = values.split(",")
    cleaned, seen, errors = [], set(), []
    for value in values or ():
        name = " ".join(str(value).split())
        if not name or skill_key(name) in seen:
            continue
        if INVISIBLE.search(name):
            errors.append(INVISIBLE_MESSAGE)
        elif max(len(name), len(skill_key(name))) > SKILL_MAX_LENGTH:  # case-folding may lengthen ("ß")
            errors.append(SKILL_TOO_LONG_MESSAGE.format(skill=name[:SKILL_MAX_LENGTH] + "…"))
        seen.add(skill_key(name))
        cleaned.append(name)
    if len(cleaned) > SKILLS_MAX:
        errors.insert(0, f"{SKILLS_OVER_CAP_MESSAGE} You gave {len(cleaned)}.")
    if errors:
        raise ValidationError({"skills": list(dict.fromkeys(errors))})
    return cleaned


def employee_set_skills(employee, names):
    """Replace `employee`'s skills with `names` (checked by skills_clean first). A skill already in
    use keeps its display name; new ones are created. A fixed number of queries."""
    names = skills_clean(names)
    keys = {skill_key(name): name for name in names}
    with transaction.atomic():
        existing = {skill.key: skill for skill in Skill.objects.filter(key__in=keys)}
        missing = [Skill(key=key, name=name) for key, name in keys.items() if key not in existing]
        if missing:
            Skill.objects.bulk_create(missing, ignore_conflicts=True)
            existing = {skill.key: skill for skill in Skill.objects.filter(key__in=keys)}
        wanted = {existing[key].pk for key in keys}
        links = EmployeeSkill.objects.filter(employee=employee)
        links.exclude(skill_id__in=wanted).delete()
        have = set(links.values_list("skill_id", flat=True))
        EmployeeSkill.objects.bulk_create(
            [EmployeeSkill(employee=employee, skill_id=pk) for pk in wanted - have], ignore_conflicts=True
        )
        if hasattr(employee, "_prefetched_objects_cache"):
            employee._prefetched_objects_cache.pop("skills", None)
    return employee


def profile_update(*, employee, what_i_do, skills, open_to_talk):
    """An employee's own profile: "What I do" (up to WHAT_I_DO_MAX_LENGTH characters, no invisible
    controls), skills (skills_clean) and "Happy to talk about my role". All checked before anything
    is written; ValidationError maps each field to its messages."""
    what_i_do = (what_i_do or "").strip()
    errors = invisible_control_errors(what_i_do=what_i_do)
    if len(what_i_do) > WHAT_I_DO_MAX_LENGTH:
        errors.setdefault("what_i_do", []).append(f"Up to {WHAT_I_DO_MAX_LENGTH} characters.")
    try:
        skills = skills_clean(skills)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        employee.what_i_do = what_i_do
        employee.open_to_talk = bool(open_to_talk)
        employee.save(update_fields=["what_i_do", "open_to_talk", "updated_at"])
        employee_set_skills(employee, skills)
    return employee


MOST_USED_SKILLS_SECONDS = 600


def most_used_skills(limit=50):
    """The skills most employees have, most used first, for suggestions on the profile form and
    the directory's skill filter. Counting every employee's skills is a scan of the whole link
    table, so the list is cached for MOST_USED_SKILLS_SECONDS: a suggestion may lag a few minutes."""
    from django.core.cache import cache
    from django.db.models import Count

    def count():
        return list(
            Skill.objects.annotate(uses=Count("links"))
            .filter(uses__gt=0)
            .order_by("-uses", "key")
            .values_list("name", flat=True)[:limit]
        )

    return cache.get_or_set(f"accounts:most_used_skills:{limit}", count, MOST_USED_SKILLS_SECONDS)
