"""Who is acting, who is HR, and what the HR group may do.

Two kinds of principal act on the board: employees (`accounts.User`, through the portal or a
personal token) and service principals (`accounts.principals.ServicePrincipal`, an HR system's
token). Permission checks ask the small surface below (`can_act`, `is_employee`, `is_service`,
`has_scope`) and never probe types or attributes themselves; records of who did something
(referral history, the audit log, webhook subscriptions) take `actor_record(actor)`.

SPEC.md gives HR oversight of all openings and referrals and the employee directory. The group's
permissions are declared here and synced after every migrate, so a new model's permission reaches
HR with the migration that adds it.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission

# --- Who is acting --------------------------------------------------------------------------------


def is_service(actor: Any) -> bool:
    """A service token's principal: it acts only through its token's scope and is no employee
    (nobody's connection, posts and refers nothing)."""
    return bool(getattr(actor, "is_service", False))


def can_act(actor: Any) -> bool:
    """Whether `actor` may act at all: an active employee, or a service principal (whose token and
    account were usable when it authenticated). Nobody signed in, None (the system) and a
    deactivated employee may not."""
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


def is_employee(actor: Any) -> bool:
    """An active employee: someone who may act and is a person, not a service token. Only they
    take part in the network, post openings, refer, and receive the board's emails."""
    return can_act(actor) and not is_service(actor) and actor.pk is not None


def has_scope(actor: Any, permission: str) -> bool:
    """Whether `actor` may act and holds `permission` (a dotted permission name): an employee
    through their groups (HR), a service principal through its token's scope (SCOPE_PERMISSIONS)."""
    return can_act(actor) and actor.has_perm(permission)


def actor_label(actor: Any) -> str:
    """Who acted, as the audit log names them: an employee's email, `service:<name>` for a service
    token, and "" for the board itself (None) or nobody signed in."""
    if is_service(actor):
        return f"service:{actor.service_account.name}"
    if _is_person(actor):
        return actor.email
    return ""


def _is_person(actor: Any) -> bool:
    # A record names the employee who acted even if they were deactivated since (by that very act,
    # say): who did it is a fact, not a permission.
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and not is_service(actor))


@dataclass(frozen=True)
class ActorRecord:
    """What a record keeps of who acted: the employee, or the service account and its token, and
    a label that outlives them. All empty for the board itself (a task, a command, a migration)."""

    employee: Any = None
    service_account: Any = None
    token: Any = None
    label: str = ""

    @property
    def service_name(self) -> str:
        return self.service_account.name if self.service_account is not None else ""


def actor_record(actor: Any) -> ActorRecord:
    """Turn whoever acted into what a record stores; the one place that tells the kinds apart.

    An employee (portal session or personal token) is kept as the employee; a service principal as
    its service account and the token it used; None, or nobody signed in, as the board itself.
    Referral history (`ReferralEvent.by`/`by_service`), the audit log (`AuditEvent.actor`,
    `service_account`, `actor_label`) and webhook subscriptions (`created_by`,
    `created_by_service`, `created_with_token`) all take their fields from it, as pretix's
    `log_action` does for users, API tokens and devices.
    """
    if is_service(actor):
        return ActorRecord(service_account=actor.service_account, token=actor.token, label=actor_label(actor))
    if _is_person(actor):
        return ActorRecord(employee=actor, label=actor_label(actor))
    return ActorRecord()


# --- HR -------------------------------------------------------------------------------------------

HR_GROUP_NAME = "HR"

HR_PERMISSIONS = [
    "accounts.manage_employees",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_division",
    "accounts.add_division",
    "accounts.change_division",
    "accounts.view_location",
    "accounts.add_location",
    "accounts.change_location",
    "accounts.view_apitoken",
    "accounts.change_apitoken",  # revoke
    "accounts.view_serviceaccount",
    "accounts.add_serviceaccount",
    "accounts.change_serviceaccount",  # and issue its tokens (admin action)
    "openings.view_all_openings",
    "openings.view_opening",
    "openings.change_opening",
    "openings.delete_opening",
    "referrals.view_all_referrals",
    "referrals.view_referral",
    "referrals.change_referral",
    "referrals.manage_bonuses",
    "referrals.view_referralbonus",
    "integrations.view_auditevent",
    "integrations.view_webhookendpoint",
    "integrations.add_webhookendpoint",
    "integrations.change_webhookendpoint",
    "integrations.delete_webhookendpoint",
    "integrations.view_webhookdelivery",
    "integrations.view_outboxevent",
    "events.view_event",
    "events.add_event",
    "events.change_event",
    "events.delete_event",
]

# What a service token's scope grants. `hr` is both.
SCOPE_PERMISSIONS = {
    "hr:read": {
        "accounts.view_user",
        "accounts.view_division",
        "accounts.view_location",
        "openings.view_all_openings",
        "openings.view_opening",
        "referrals.view_all_referrals",
        "referrals.view_referral",
        "integrations.view_auditevent",
        "integrations.view_webhookendpoint",
        "integrations.view_webhookdelivery",
    },
    "hr:write": {
        "accounts.manage_employees",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.add_division",
        "accounts.change_division",
        "accounts.add_location",
        "accounts.change_location",
        "openings.change_opening",
        "referrals.change_referral",
        "referrals.manage_bonuses",
        "integrations.add_webhookendpoint",
        "integrations.change_webhookendpoint",
        "integrations.delete_webhookendpoint",
    },
}
SCOPE_PERMISSIONS["hr"] = SCOPE_PERMISSIONS["hr:read"] | SCOPE_PERMISSIONS["hr:write"]
# An identity provider's SCIM client: /scim/v2/ only. It holds none of the API's permissions, so
# it can neither read nor write /api/v1/, and no hr token holds this one.
SCIM_PERMISSION = "accounts.scim_provision"
SCOPE_PERMISSIONS["scim"] = {SCIM_PERMISSION}


def is_hr(user):
    """HR means holding `openings.view_all_openings` (SPEC.md), as an active employee or service."""
    return has_scope(user, "openings.view_all_openings")


def can_manage_employees(user):
    """Provisioning and deactivating employees is HR's: the HR group or a service scoped `hr`."""
    return has_scope(user, "accounts.manage_employees")


def can_provision_scim(actor):
    """SCIM (/scim/v2/) is for an identity provider's service token with scope `scim`, and nobody
    else: not an hr token, not an employee, not HR's own session."""
    return is_service(actor) and has_scope(actor, SCIM_PERMISSION)


def sync_hr_group():
    group, _ = Group.objects.get_or_create(name=HR_GROUP_NAME)
    wanted = []
    for dotted in HR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        wanted.append((app_label, codename))
    perms = Permission.objects.filter(content_type__app_label__in={a for a, _ in wanted}).select_related("content_type")
    by_key = {(p.content_type.app_label, p.codename): p for p in perms}
    group.permissions.set([by_key[key] for key in wanted if key in by_key])
    return group


def sync_hr_group_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate fires once per app and each app's permissions appear in its own turn, so the
    # group is synced every time (a handful of queries); the last call sees every permission.
    sync_hr_group()


SUPERUSER_ONLY_MESSAGE = "Only a superuser can change a superuser."


def may_change_employee(actor, employee):
    """Who may change whom: nobody but an active superuser changes a superuser.

    The one rule behind every channel that writes an employee (the admin's change form, its
    password view, deactivation, staff and group changes; the employees API; bulk upsert and the
    CSV import). Otherwise HR, who runs the directory, could take over the administrator by
    changing their address or password. `actor` None is a file from the HRIS (the CSV import): it
    is HR's data, so it does not change a superuser either.
    """
    if employee is None or not getattr(employee, "is_superuser", False):
        return True
    return bool(can_act(actor) and getattr(actor, "is_superuser", False))


def employee_change_check(*, actor, employee):
    """Raise PermissionDenied unless `actor` may change `employee` (see may_change_employee)."""
    from django.core.exceptions import PermissionDenied

    if not may_change_employee(actor, employee):
        raise PermissionDenied(SUPERUSER_ONLY_MESSAGE)
