"""The audit log: one AuditEvent for every successful write through the API.

The rule. Every POST, PUT, PATCH or DELETE under /api/v1/ that answers 2xx records who made it (the
employee, or the service account and its token), what (an action such as "employee.update", the
object's type and id, and the changes), when, and the request id. It is recorded by the API
middleware (middleware.py), in the same transaction as the write, so no endpoint can forget it and
no write commits without its audit row.

How the changes are found, without the endpoint's help: for a write to an existing object (a detail
route), the object's fields are read just before and just after the view runs and the difference is
kept as {field: [old, new]}; otherwise (a create, a bulk call) the accepted JSON payload is kept.
An endpoint that knows better (the upserts, the bulk import) says so with `note()`. Secrets and
password hashes are never recorded, nor personal free text (a candidate's name, phone, notes,
comments, connection-request messages): only the field's name, or a salted hash of a candidate's
email where telling the same person apart matters.
"""

import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import ApiToken
from accounts.roles import actor_record
from config.parsers import loads_or_none

from .models import AuditEvent

SENSITIVE = frozenset({"password", "key_hash", "secret", "previous_secret", "token", "plain_token"})
# Personal free text: a candidate's data, notes between people, comments. The audit log keeps that
# such a field was sent or changed, never its words, so erasing a candidate erases them everywhere.
PERSONAL_TEXT = frozenset(
    {
        "candidate_name",
        "candidate_phone",
        "candidate_profile_url",
        "relationship",
        "why_fit",
        "note",
        "decline_reason",
        "comment",
        "message",
    }
)
# Personal values whose equality matters (the same candidate twice): kept as a salted hash.
PERSONAL_HASHED = frozenset({"candidate_email"})
REDACTED = "(personal data, not recorded)"
# Bookkeeping that changes on every save says nothing about what the caller changed.
NOISE = frozenset({"updated_at", "last_login"})
VERBS = {"create": "create", "update": "update", "partial_update": "update", "destroy": "delete"}
METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def note(request, **hints):
    """Let an endpoint state its audit entry exactly: action, object_type, object_id, changes."""
    request = getattr(request, "_request", request)
    existing = getattr(request, "audit_hints", {})
    request.audit_hints = {**existing, **hints}


def json_safe(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def masked(value):
    """`value` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {k: ("***" if k in SENSITIVE else masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def _personal_value(name, value):
    if value in (None, ""):
        return value
    if name in PERSONAL_HASHED and isinstance(value, str):
        from referrals.models import Referral

        return "hash:" + Referral.hash_email(value)[:16]
    return REDACTED


def redacted(value):
    """`value` (a payload or a {field: [old, new]} diff) without personal free text, at any depth:
    the field names stay, their values become REDACTED (or a salted hash, PERSONAL_HASHED)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in PERSONAL_TEXT or key in PERSONAL_HASHED:
                if isinstance(item, list) and len(item) == 2 and not any(isinstance(v, (dict, list)) for v in item):
                    out[key] = [_personal_value(key, v) for v in item]  # a diff's [old, new]
                else:
                    out[key] = _personal_value(key, item) if not isinstance(item, (dict, list)) else REDACTED
            else:
                out[key] = redacted(item)
        return out
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def audit_scrub(*, object_type, object_ids):
    """Redact the personal text of the audit rows about these objects (rows written before the
    rule, or by an endpoint that noted its own changes). Called when a candidate is erased."""
    events = AuditEvent.objects.filter(object_type=object_type, object_id__in=[str(i) for i in object_ids])
    for event in events:
        clean = redacted(event.changes)
        if clean != event.changes:
            AuditEvent.objects.filter(pk=event.pk).update(changes=clean)


def snapshot(instance):
    """The object's own fields (foreign keys as ids), JSON-safe, without secrets or noise."""
    if instance is None:
        return None
    data = {
        field.name: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.name not in SENSITIVE and field.name not in NOISE
    }
    return json_safe(data)


def diff(before, after):
    """{field: [old, new]} for every field whose value differs (a missing side counts as null)."""
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


# --- What a view writes to ------------------------------------------------------------------------


def _model_of(view_class):
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(view_class, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


class Target:
    """What the middleware learns about a write before the view runs: the object type, the verb,
    and (on a detail route) the object and its fields."""

    def __init__(self, view_func, view_kwargs, method):
        view_class = getattr(view_func, "cls", None)
        self.model = _model_of(view_class) if view_class else None
        initkwargs = getattr(view_func, "initkwargs", {}) or {}
        actions = getattr(view_func, "actions", None) or {}
        self.object_type = (
            (
                getattr(view_class, "audit_object_type", None)
                or initkwargs.get("basename")
                or (self.model._meta.verbose_name if self.model else "")
            )
            .replace("-", "_")
            .replace(" ", "_")
        )
        view_action = actions.get(method.lower())
        self.verb = VERBS.get(view_action, view_action) if view_action else METHOD_VERBS.get(method, method.lower())
        self.lookup = None
        self.object_id = ""
        self.before = None
        if view_class is not None and self.model is not None:
            lookup_field = getattr(view_class, "lookup_field", "pk")
            url_kwarg = getattr(view_class, "lookup_url_kwarg", None) or lookup_field
            if url_kwarg in view_kwargs:
                self.lookup = {lookup_field: view_kwargs[url_kwarg]}
                self.object_id = str(view_kwargs[url_kwarg])

    def load(self):
        if self.lookup is None:
            return None
        try:
            return self.model._default_manager.filter(**self.lookup).first()
        except (ValueError, TypeError, ValidationError):
            return None

    def capture_before(self):
        instance = self.load()
        if instance is not None:
            self.object_id = str(instance.pk)
        self.before = snapshot(instance)


def audit_record(*, request, response, target=None, body=b""):
    """Write the AuditEvent for a successful API write (see the module docstring)."""
    hints = getattr(request, "audit_hints", {})
    principal = getattr(request, "user", None)
    token = getattr(request, "auth", None)
    event = AuditEvent(
        method=request.method,
        path=request.get_full_path()[:500],
        status_code=response.status_code,
        request_id=getattr(request, "request_id", "")[:64],
    )
    actor = actor_record(principal)
    event.actor, event.service_account, event.actor_label = actor.employee, actor.service_account, actor.label
    if isinstance(token, ApiToken):
        event.token = token
    object_type = hints.get("object_type") or (target.object_type if target else "")
    verb = target.verb if target else METHOD_VERBS.get(request.method, "write")
    event.object_type = object_type[:100]
    event.action = (hints.get("action") or f"{object_type or 'api'}.{verb}")[:100]
    object_id = hints.get("object_id") or (target.object_id if target else "")
    if not object_id:
        object_id = _id_from_response(response)
    event.object_id = str(object_id or "")[:100]
    if "changes" in hints:
        changes = hints["changes"]
    elif target is not None and target.before is not None:
        after = snapshot(target.load())
        changes = diff(target.before, after)
    else:
        changes = _payload(body)
    event.changes = redacted(masked(json_safe(changes)))
    event.save()
    return event


def _id_from_response(response):
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("id") is not None:
        return data["id"]
    return ""


def _payload(body):
    if not body:
        return {}
    data = loads_or_none(body)
    return {} if data is None else data


def audit_admin_change(*, request, action, instance, changes):
    """Record a change made in the admin that the rules say must be audited (granting admin access
    or the HR group, which makes someone HR). The API's writes are recorded by the middleware; the
    admin does not pass through it, so its few privileged writes call this."""
    actor = actor_record(getattr(request, "user", None))
    return AuditEvent.objects.create(
        method=request.method[:10],
        path=request.get_full_path()[:500],
        status_code=None,
        actor=actor.employee,
        service_account=actor.service_account,
        actor_label=actor.label[:255],
        action=action[:100],
        object_type=instance._meta.model_name if instance._meta.model_name != "user" else "employee",
        object_id=str(instance.pk),
        changes=json_safe(changes),
        request_id=getattr(request, "request_id", "")[:64],
    )


def audit_service_write(*, actor, action, object_type, object_id, changes, path=""):
    """Record a write made outside the API (a portal page, a daily job, the HRIS deactivation
    path) in the same audit log, in the caller's transaction. API writes are recorded by the
    middleware instead, so a service called from the API passes on this."""
    actor_fields = actor_record(actor)
    return AuditEvent.objects.create(
        method="",
        path=path[:500],
        status_code=None,
        actor=actor_fields.employee,
        service_account=actor_fields.service_account,
        actor_label=actor_fields.label[:255],
        action=action[:100],
        object_type=object_type[:100],
        object_id=str(object_id)[:100],
        changes=redacted(masked(json_safe(changes))),
    )
