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

from config.text import invisible_control_errors
from integrations.outbox import emit, employee_payload

from .models import ApiToken, User


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
    so that nothing they hold keeps working, even if they are reactivated later.
    """
    with transaction.atomic():
        now = timezone.now()
        User.objects.filter(pk=employee.pk).update(is_active=False, deactivated_at=now, updated_at=now)
        employee.is_active = False
        employee.deactivated_at = now
        ApiToken.objects.filter(user=employee, revoked_at__isnull=True).update(revoked_at=now)
        emit("employee.deactivated", employee_payload(employee))
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
    try:
        with transaction.atomic():
            is_active = fields.pop("is_active", True)
            employee = User.objects.create_user(email=email, full_name=full_name, **fields)
            employee_set_verified_email(employee)
            if not is_active:
                employee_deactivate(employee=employee)
    except IntegrityError:
        raise ValidationError(_unique_clash(email, fields.get("employee_id"))) from None
    return employee


def employee_update(*, employee, **fields):
    """Change an employee's record; `is_active=False` deactivates them (see employee_deactivate)."""
    _refuse_invisible(**{name: fields[name] for name in ("full_name", "title", "job_function") if name in fields})
    try:
        with transaction.atomic():
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
