"""SCIM 2.0 provisioning (RFC 7643, RFC 7644) at /scim/v2/, on django-scim2.

django-scim2 brings the endpoints (Users, Groups, ServiceProviderConfig, Schemas, ResourceTypes),
the error format and the filter parser; this module is the adapter between its resources and the
directory, as Zulip's zerver/lib/scim.py is for Zulip. The rules it follows:

- Every write goes through accounts.services (employee_create, employee_update, and through them
  the leaver path employee_deactivate), after the superuser rule of accounts.roles; a request is
  one transaction with its audit row (integrations.audit), and any 4xx rolls everything back.
- A leaver is `active: false` (a boolean, or the string "False" Entra ID sends) or a DELETE; the
  row is never deleted.
- Only a service token with scope `scim` gets in (accounts.roles.can_provision_scim).

Mapping (SCIM -> employee): userName -> email (case-insensitive); the enterprise extension's
employeeNumber, else externalId -> employee_id; name.formatted, else givenName + familyName, else
displayName -> full_name; title -> title; enterprise department -> division; the work address's
locality -> location; enterprise manager -> manager (by SCIM id, else employee id); active ->
is_active. A PUT writes what it sends and leaves an attribute it omits as it is.
"""

import json
import re
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.urls import reverse
from django_scim import constants
from django_scim import exceptions as scim_errors
from django_scim import views as scim_views
from django_scim.adapters import SCIMGroup, SCIMUser
from django_scim.models import SCIMServiceProviderConfig
from scim2_filter_parser.parser import SCIMParserError
from scim2_filter_parser.transpilers.django_q_object import get_query

from integrations import audit

from . import services
from .models import DirectoryGroup, Division, Location, User
from .roles import employee_change_check

ENTERPRISE = constants.SchemaURI.ENTERPRISE_USER
USER_SCHEMAS = frozenset({constants.SchemaURI.USER, ENTERPRISE})
GROUP_SCHEMAS = frozenset({constants.SchemaURI.GROUP})
PATCH_SCHEMAS = frozenset({constants.SchemaURI.PATCH_OP})
# A page is at most this long, whatever `count` asks (ServiceProviderConfig says so too).
MAX_PAGE = 200
MAX_FILTER_LENGTH = 2000
# Ids are database integers: anything longer than this is no id (and would overflow a bigint).
MAX_ID_DIGITS = 18

# Filterable attributes -> model fields. Every other attribute is an invalidFilter error.
USER_FILTER_MAP = {
    ("userName", None, None): "email",
    ("emails", "value", None): "email",
    ("emails", None, None): "email",
    ("externalId", None, None): "employee_id",
    ("employeeNumber", None, ENTERPRISE): "employee_id",
    ("active", None, None): "is_active",
    ("displayName", None, None): "full_name",
    ("name", "formatted", None): "full_name",
    ("title", None, None): "title",
    ("id", None, None): "pk",
}
GROUP_FILTER_MAP = {
    ("displayName", None, None): "name",
    ("externalId", None, None): "external_id",
    ("id", None, None): "pk",
}


def bad_request(detail, scim_type="invalidValue"):
    return scim_errors.BadRequestError(detail, scim_type=scim_type)


def base_location(request=None, *args, **kwargs):
    """Resource locations are absolute URLs on SITE_URL (the address employees and IdPs use)."""
    return settings.SITE_URL.rstrip("/") + "/"


def filter_kwargs_getter(model):
    """django-scim2's GET_EXTRA_MODEL_FILTER_KWARGS_GETTER: the whole directory, leavers
    included (an IdP must see whom it deactivated), so nothing extra."""

    def extra(request, *args, **kwargs):
        return {}

    return extra


# --- Reading SCIM values -------------------------------------------------------------------------


def scim_bool(value, name="active"):
    """A SCIM boolean: true/false, or the strings "True"/"False" (any case) that Entra ID sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_request(f"“{name}” must be true or false.")


def scim_text(value, name):
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise bad_request(f"“{name}” must be a string.")
    return " ".join(str(value).split())


def work_email(emails):
    """The address of a SCIM `emails` list: the work one, else the primary one, else the first."""
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise bad_request("“emails” must be a list of {value, type, primary}.")
    for test in (lambda e: e.get("type") == "work", lambda e: e.get("primary") in (True, "true", "True"), bool):
        for item in emails:
            if test(item) and item.get("value"):
                return item["value"]
    return None


def work_locality(addresses):
    if not isinstance(addresses, list) or not all(isinstance(a, dict) for a in addresses):
        raise bad_request("“addresses” must be a list of addresses.")
    for item in sorted(addresses, key=lambda a: a.get("type") != "work"):
        if item.get("locality"):
            return item["locality"]
    return None


def manager_ref(value):
    """The enterprise `manager`: {"value": id} or the id alone (Entra); "" or null for none."""
    if isinstance(value, dict):
        value = value.get("value")
    return scim_text(value, "manager") or None


# PATCH paths (lower-cased, as SCIM attribute names are case-insensitive) -> the change they name.
_ENTERPRISE = ENTERPRISE.lower()
PATCH_PATHS = {
    "username": "userName",
    "emails": "emails",
    'emails[type eq "work"].value': "email",
    "emails.value": "email",
    "name.formatted": "name.formatted",
    "name.givenname": "name.givenName",
    "name.familyname": "name.familyName",
    "name": "name",
    "displayname": "displayName",
    "title": "title",
    "externalid": "externalId",
    "active": "active",
    "addresses": "addresses",
    'addresses[type eq "work"].locality': "locality",
    f"{_ENTERPRISE}:employeenumber": "employeeNumber",
    f"{_ENTERPRISE}:department": "department",
    f"{_ENTERPRISE}:manager": "manager",
    f"{_ENTERPRISE}:manager.value": "manager",
    _ENTERPRISE: "enterprise",
}


def patch_target(path):
    normalised = re.sub(r"\s+", " ", str(path).strip()).lower()
    normalised = normalised.replace("'", '"')
    target = PATCH_PATHS.get(normalised)
    if target is None:
        raise bad_request(f"The PATCH path “{path}” is not an attribute this service knows.", "invalidPath")
    return target


# --- Users ---------------------------------------------------------------------------------------


class ScimUser(SCIMUser):
    """An employee as a SCIM User. `from_dict` and PATCH operations collect the wanted values in
    `self.wanted` (employee field -> value); `save` checks and writes them through the services."""

    id_field = "pk"
    ATTR_MAP = USER_FILTER_MAP
    url_name = "scim:users"

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.wanted = {}
        self.names = {}

    @property
    def display_name(self):
        return self.obj.full_name

    @property
    def meta(self):
        return {
            "resourceType": "User",
            "created": self.obj.date_joined.isoformat(),
            "lastModified": self.obj.updated_at.isoformat(),
            "location": self.location,
        }

    @property
    def location(self):
        return urljoin(base_location(), reverse(self.url_name, kwargs={"uuid": self.id}))

    def to_dict(self):
        employee = self.obj
        given, _, family = employee.full_name.partition(" ")
        enterprise = {"employeeNumber": employee.employee_id or ""}
        if employee.division_id:
            enterprise["department"] = employee.division.name
        if employee.manager_id:
            enterprise["manager"] = {
                "value": str(employee.manager_id),
                "$ref": urljoin(base_location(), reverse(self.url_name, kwargs={"uuid": employee.manager_id})),
                "displayName": employee.manager.full_name,
            }
        data = {
            "schemas": [constants.SchemaURI.USER, ENTERPRISE],
            "id": self.id,
            "externalId": employee.employee_id or None,
            "userName": employee.email,
            "name": {"formatted": employee.full_name, "givenName": given, "familyName": family},
            "displayName": employee.full_name,
            "title": employee.title,
            "emails": [{"value": employee.email, "type": "work", "primary": True}],
            "active": employee.is_active,
            "groups": [
                {"value": str(group.pk), "display": group.name, "type": "direct"}
                for group in employee.directory_groups.all()
            ],
            ENTERPRISE: enterprise,
            "meta": self.meta,
        }
        if employee.location_id:
            data["addresses"] = [{"type": "work", "locality": employee.location.name, "primary": True}]
        return data

    # What the client sends ---------------------------------------------------------------------

    def validate_dict(self, d):
        if not isinstance(d, dict):
            raise bad_request("The body must be a JSON object.", "invalidSyntax")
        schemas = d.get("schemas")
        if not isinstance(schemas, list) or not schemas:
            raise bad_request("“schemas” must list the resource's schema URNs.", "invalidSyntax")
        unknown = [s for s in schemas if s not in USER_SCHEMAS]
        if unknown or constants.SchemaURI.USER not in schemas:
            raise bad_request(
                f"Unknown schema URN: {', '.join(map(str, unknown)) or 'none'}; a User has "
                f"{constants.SchemaURI.USER} and may have {ENTERPRISE}.",
                "invalidSyntax",
            )

    def from_dict(self, d):
        for key, value in d.items():
            if key in ("schemas", "id", "meta", "password", "groups"):
                continue  # groups are written through /Groups, as RFC 7643 says
            if key == "name":
                if not isinstance(value, dict):
                    raise bad_request("“name” must be an object.")
                for part in ("formatted", "givenName", "familyName"):
                    if part in value:
                        self.set("name." + part, value[part])
            elif key == ENTERPRISE:
                self.set("enterprise", value)
            elif key in ("userName", "emails", "displayName", "title", "externalId", "active", "addresses"):
                self.set(key, value)
        if self.is_new() and "email" not in self.wanted:
            raise bad_request("“userName”, the work email, is required.")

    def is_new(self):
        return self.obj.pk is None

    def set(self, target, value):
        """Record the change `target` (a key of PATCH_PATHS' values) names."""
        if target in ("userName", "email"):
            self.wanted["email"] = scim_text(value, "userName")
        elif target == "emails":
            email = work_email(value)
            if email:
                self.wanted.setdefault("email", scim_text(email, "emails"))
        elif target in ("name.formatted", "name.givenName", "name.familyName", "displayName"):
            self.names[target] = scim_text(value, target)
        elif target == "name":
            if not isinstance(value, dict):
                raise bad_request("“name” must be an object.")
            for part in ("formatted", "givenName", "familyName"):
                if part in value:
                    self.names["name." + part] = scim_text(value[part], "name." + part)
        elif target == "title":
            self.wanted["title"] = scim_text(value, "title")
        elif target == "externalId":
            self.names["externalId"] = scim_text(value, "externalId")
        elif target == "employeeNumber":
            self.names["employeeNumber"] = scim_text(value, "employeeNumber")
        elif target == "active":
            self.wanted["is_active"] = scim_bool(value)
        elif target == "addresses":
            self.names["locality"] = scim_text(work_locality(value), "addresses")
        elif target == "locality":
            self.names["locality"] = scim_text(value, "locality")
        elif target == "department":
            self.names["department"] = scim_text(value, "department")
        elif target == "manager":
            self.names["manager"] = manager_ref(value)
        elif target == "enterprise":
            if not isinstance(value, dict):
                raise bad_request(f"“{ENTERPRISE}” must be an object.")
            for key in ("employeeNumber", "department", "manager"):
                if key in value:
                    self.set(key, value[key])

    def handle_operations(self, operations):
        """PATCH (RFC 7644 3.5.2): add and replace set a value, remove clears it; ops in any case
        ("Replace", as Entra ID sends); paths from PATCH_PATHS, or none with an object of them."""
        if not isinstance(operations, list):
            raise bad_request("“Operations” must be a list.", "invalidSyntax")
        for operation in operations:
            if not isinstance(operation, dict):
                raise bad_request("Each operation must be an object.", "invalidSyntax")
            op = str(operation.get("op", "")).lower()
            if op not in constants.VALID_PATCH_OPS:
                raise bad_request(f"Unknown PATCH op “{operation.get('op')}”.", "invalidSyntax")
            path, value = operation.get("path"), operation.get("value")
            if not path:
                if op == "remove":
                    raise bad_request("A remove operation needs a path.", "noTarget")
                if not isinstance(value, dict):
                    raise bad_request("An operation without a path needs an object value.", "invalidSyntax")
                for key, item in value.items():
                    self.set(patch_target(key), item)
            elif op == "remove":
                self.set(patch_target(path), [] if patch_target(path) in ("emails", "addresses") else None)
            else:
                self.set(patch_target(path), value)
        self.save()

    # Writing -----------------------------------------------------------------------------------

    def resolve(self):
        """Turn the names collected from the request into employee fields (or a SCIM error)."""
        wanted = dict(self.wanted)
        names = self.names
        if "email" in wanted:
            email = wanted["email"].lower()
            try:
                validate_email(email)
            except ValidationError:
                raise bad_request(f"“{wanted['email']}” is not an email address.") from None
            wanted["email"] = email
        full_name = self._full_name(names)
        if full_name is not None:
            wanted["full_name"] = full_name
        employee_id = names.get("employeeNumber") or names.get("externalId")
        if "employeeNumber" in names or "externalId" in names:
            wanted["employee_id"] = employee_id or None
        create = settings.SCIM_CREATE_ORG_UNITS
        try:
            if "department" in names:
                wanted["division"] = services.org_unit_resolve(Division, names["department"], create=create)
            if "locality" in names:
                wanted["location"] = services.org_unit_resolve(Location, names["locality"], create=create)
        except ValidationError as error:
            raise bad_request(" ".join(m for ms in error.message_dict.values() for m in ms)) from None
        if "manager" in names:
            wanted["manager"] = self._manager(names["manager"])
        for name, value in wanted.items():
            limit = User._meta.get_field(name).max_length
            if isinstance(value, str) and limit and len(value) > limit:
                raise bad_request(f"“{name}” is longer than {limit} characters.")
        return wanted

    def _full_name(self, names):
        if names.get("name.formatted"):
            return names["name.formatted"]
        parts = [names.get("name.givenName"), names.get("name.familyName")]
        if any(parts):
            given = parts[0] if parts[0] is not None else self.obj.full_name.partition(" ")[0]
            family = parts[1] if parts[1] is not None else self.obj.full_name.partition(" ")[2]
            return " ".join(filter(None, [given, family]))
        if names.get("displayName"):
            return names["displayName"]
        return None

    def _manager(self, ref):
        if not ref:
            return None
        manager = None
        if is_id(ref):
            manager = User.objects.filter(pk=int(ref)).first()
        if manager is None:
            manager = User.objects.filter(employee_id=ref).first()
        if manager is None:
            raise bad_request(f"The manager “{ref}” is not a known user (give their SCIM id).")
        problem = services.employee_manager_problem(self.obj if self.obj.pk else None, manager)
        if problem:
            raise bad_request(problem)
        return manager

    def save(self):
        wanted = self.resolve()
        self.wanted, self.names = {}, {}
        employee = None if self.is_new() else self.obj
        if employee is not None:
            try:
                employee_change_check(actor=self.request.user, employee=employee)
            except PermissionDenied as error:
                raise scim_errors.SCIMException(str(error), status=403) from None
        self._check_unique(wanted, employee)
        try:
            if employee is None:
                if not wanted.get("full_name"):
                    raise bad_request("A new user needs name.formatted, name.givenName/familyName or displayName.")
                changes = wanted
                self.obj = services.employee_create(**wanted)
                action = "employee.create"
            else:
                changes = {k: v for k, v in wanted.items() if getattr(employee, k) != v}
                # A full sync PUTs everyone; who is already as sent is left untouched.
                if changes:
                    self.obj = services.employee_update(employee=employee, **changes)
                action = "employee.deactivate" if changes.get("is_active") is False else "employee.update"
        except ValidationError as error:
            raise self._validation_error(error) from None
        audit.note(
            self.request,
            action=action,
            object_type="employee",
            object_id=str(self.obj.pk),
            changes={k: getattr(v, "pk", v) for k, v in changes.items()},
        )

    @staticmethod
    def _check_unique(wanted, employee):
        problem = services.employee_email_problem(wanted.get("email"), employee=employee)
        problem = problem or services.employee_id_problem(wanted.get("employee_id"), employee=employee)
        if problem:
            raise scim_errors.IntegrityError(problem, scim_type="uniqueness")

    @staticmethod
    def _validation_error(error):
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        text = " ".join(
            f"{field}: {m}" if field not in ("", "__all__") else m for field, ms in messages.items() for m in ms
        )
        if services.EMAIL_TAKEN_MESSAGE in text or services.EMPLOYEE_ID_TAKEN_MESSAGE in text:
            return scim_errors.IntegrityError(text, scim_type="uniqueness")
        return bad_request(text)

    def delete(self):
        """DELETE is the leaver path: deactivated (tokens revoked, sessions end), never deleted."""
        self.wanted = {"is_active": False}
        self.save()
        audit.note(self.request, action="employee.deactivate")


# --- Groups --------------------------------------------------------------------------------------


class ScimGroup(SCIMGroup):
    """A DirectoryGroup. Membership of a group named in SCIM_HR_GROUPS grants HR; others nothing."""

    id_field = "pk"
    ATTR_MAP = GROUP_FILTER_MAP
    url_name = "scim:groups"

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.new_name = None
        self.new_external_id = None
        self.add_ids, self.remove_ids, self.member_ids = set(), set(), None

    @property
    def display_name(self):
        return self.obj.name

    @property
    def location(self):
        return urljoin(base_location(), reverse(self.url_name, kwargs={"uuid": self.id}))

    @property
    def meta(self):
        return {
            "resourceType": "Group",
            "created": self.obj.created_at.isoformat(),
            "lastModified": self.obj.updated_at.isoformat(),
            "location": self.location,
        }

    def to_dict(self):
        members = self.obj.members.all() if self.obj.pk else []
        return {
            "schemas": [constants.SchemaURI.GROUP],
            "id": self.id,
            "externalId": self.obj.external_id or None,
            "displayName": self.obj.name,
            "members": [{"value": str(m.pk), "display": m.full_name, "type": "User"} for m in members],
            "meta": self.meta,
        }

    def validate_dict(self, d):
        if not isinstance(d, dict) or d.get("schemas") != [constants.SchemaURI.GROUP]:
            raise bad_request(f"A Group has the schema {constants.SchemaURI.GROUP} alone.", "invalidSyntax")

    def from_dict(self, d):
        if "displayName" in d:
            self.new_name = scim_text(d["displayName"], "displayName")
        if "externalId" in d:
            self.new_external_id = scim_text(d["externalId"], "externalId")
        if "members" in d:
            self.member_ids = member_ids(d["members"])
        if self.obj.pk is None and not self.new_name:
            raise bad_request("A group needs a displayName.")

    def handle_operations(self, operations):
        if not isinstance(operations, list):
            raise bad_request("“Operations” must be a list.", "invalidSyntax")
        for operation in operations:
            if not isinstance(operation, dict):
                raise bad_request("Each operation must be an object.", "invalidSyntax")
            self._operation(str(operation.get("op", "")).lower(), operation.get("path"), operation.get("value"))
        self.save()

    def _operation(self, op, path, value):
        if op not in constants.VALID_PATCH_OPS:
            raise bad_request(f"Unknown PATCH op “{op}”.", "invalidSyntax")
        path = (path or "").strip()
        # Okta removes one member with a filter in the path: members[value eq "42"].
        one = re.fullmatch(r'members\[\s*value\s+eq\s+"([^"]+)"\s*\]', path, flags=re.IGNORECASE)
        if one and op == "remove":
            self.remove_ids |= member_ids([{"value": one.group(1)}])
        elif path.lower() == "members":
            ids = member_ids(value or [])
            if op == "add":
                self.add_ids |= ids
            elif op == "remove":
                self.remove_ids |= ids if value else set(self.obj.members.values_list("pk", flat=True))
            else:
                self.member_ids = ids
        elif path.lower() in ("displayname", "externalid") and op != "remove":
            self.from_dict({"displayName" if path.lower() == "displayname" else "externalId": value})
        elif not path and op != "remove" and isinstance(value, dict):
            self.from_dict(value)
        else:
            raise bad_request(f"The PATCH path “{path}” is not an attribute of a Group.", "invalidPath")

    def save(self):
        for value in (self.new_name, self.new_external_id):
            if value is not None and len(value) > 255:
                raise bad_request("A group's displayName and externalId are at most 255 characters.")
        if self.new_name is not None and (
            DirectoryGroup.objects.filter(name__iexact=self.new_name).exclude(pk=self.obj.pk).exists()
        ):
            raise scim_errors.IntegrityError("Another group already has this displayName.", scim_type="uniqueness")
        was_hr = is_hr_group(self.obj.name) if self.obj.pk else False
        if self.new_name is not None:
            self.obj.name = self.new_name
        if self.new_external_id is not None:
            self.obj.external_id = self.new_external_id
        self.obj.save()
        before = set(self.obj.members.values_list("pk", flat=True))
        after = set(before) if self.member_ids is None else set(self.member_ids)
        after = (after | self.add_ids) - self.remove_ids
        known = set(User.objects.filter(pk__in=after).values_list("pk", flat=True))
        if known != after:
            raise bad_request(f"Unknown member id(s): {', '.join(map(str, sorted(after - known)))}.")
        self.obj.members.remove(*(before - after))
        self.obj.members.add(*(after - before))
        touched = (before ^ after) if was_hr == is_hr_group(self.obj.name) else (before | after)
        if touched and (was_hr or is_hr_group(self.obj.name)):
            try:
                services.employee_sync_hr_from_groups(
                    actor=self.request.user,
                    employees=User.objects.filter(pk__in=touched),
                    hr_group_names=settings.SCIM_HR_GROUPS,
                )
            except PermissionDenied as error:
                raise scim_errors.SCIMException(str(error), status=403) from None
        self.new_name = self.new_external_id = self.member_ids = None
        self.add_ids, self.remove_ids = set(), set()
        audit.note(
            self.request,
            action="group.update",
            object_type="directorygroup",
            object_id=str(self.obj.pk),
            changes={"name": self.obj.name, "added": sorted(after - before), "removed": sorted(before - after)},
        )

    def delete(self):
        """Deleting a group takes its grant away from its members; the employees stay."""
        members = list(self.obj.members.all())
        was_hr = is_hr_group(self.obj.name)
        pk = self.obj.pk
        self.obj.delete()
        if was_hr and members:
            try:
                services.employee_sync_hr_from_groups(
                    actor=self.request.user, employees=members, hr_group_names=settings.SCIM_HR_GROUPS
                )
            except PermissionDenied as error:
                raise scim_errors.SCIMException(str(error), status=403) from None
        audit.note(self.request, action="group.delete", object_type="directorygroup", object_id=str(pk), changes={})


def has_nul(data):
    """PostgreSQL text cannot hold NUL: a value with one is refused before it reaches the database."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(has_nul(k) or has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(has_nul(v) for v in data)
    return False


def is_id(value):
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS


def is_hr_group(name):
    return (name or "").strip().lower() in {n.strip().lower() for n in settings.SCIM_HR_GROUPS}


def member_ids(members):
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise bad_request("“members” must be a list of {value}.")
    ids = set()
    for member in members:
        value = str(member.get("value", "")).strip()
        if not is_id(value):
            raise bad_request(f"Unknown member id “{value}”.")
        ids.add(int(value))
    return ids


# --- Views: django-scim2's, with a database-side filter and a constant number of queries ---------


def scim_filter(query, attr_map):
    """A SCIM filter as a Q object: eq, ne, co, sw, ew, pr with and/or/not, on the attributes of
    `attr_map`; anything else is invalidFilter (400). eq compares case-insensitively (RFC 7643
    says userName and emails are case-insensitive)."""
    if not isinstance(query, str) or "\x00" in query or len(query) > MAX_FILTER_LENGTH:
        raise bad_request(f"A filter is text of at most {MAX_FILTER_LENGTH} characters, without NUL.", "invalidFilter")
    _check_filter_attributes(query, attr_map)
    try:
        q = get_query(query, attr_map)
    except (ValueError, SCIMParserError, NotImplementedError, KeyError, TypeError, AttributeError) as error:
        raise bad_request(f"Invalid filter: {error}", "invalidFilter") from None
    if q is None:
        raise bad_request("The filter names no attribute this service can filter on.", "invalidFilter")
    return q


def _check_filter_attributes(query, attr_map):
    from scim2_filter_parser.lexer import SCIMLexer

    known = {a.lower() for a, _, _ in attr_map} | {f"{a}.{b}".lower() for a, b, _ in attr_map if b}
    known |= {f"{c}:{a}".lower() for a, _, c in attr_map if c}
    try:
        tokens = list(SCIMLexer().tokenize(query))
    except Exception as error:  # sly raises its own LexError types
        raise bad_request(f"Invalid filter: {error}", "invalidFilter") from None
    for token in tokens:
        if token.type == "ATTRNAME" and token.value.lower() not in known | {"type", "value", "primary"}:
            raise bad_request(f"Cannot filter on “{token.value}”.", "invalidFilter")
        if token.type in ("GT", "GE", "LT", "LE"):
            raise bad_request(
                f"The filter operator “{token.value}” is not supported; use eq, ne, co, sw, ew or pr.", "invalidFilter"
            )


class ListMixin:
    """The list and filter answer from a queryset: one count and one page (with what to_dict
    reads joined or prefetched), whatever the directory's size."""

    attr_map = {}

    def queryset(self):
        raise NotImplementedError

    def page(self, request):
        def number(name, default):
            raw = request.GET.get(name)
            if raw in (None, ""):
                return default
            try:
                return int(raw)
            except ValueError:
                raise bad_request(f"“{name}” must be a whole number.", "invalidValue") from None

        start = min(max(number("startIndex", 1), 1), 10**12)  # RFC 7644 3.4.2.4: below 1 is read as 1
        count = min(max(number("count", 100), 0), MAX_PAGE)
        return start, count

    def list_response(self, request, filter_text):
        start, count = self.page(request)
        queryset = self.queryset()
        if filter_text:
            queryset = queryset.filter(scim_filter(filter_text, self.attr_map))
        total = queryset.count()
        objects = list(queryset.order_by("pk")[start - 1 : start - 1 + count]) if count else []
        resources = [self.scim_adapter(obj, request=request).to_dict() for obj in objects]
        doc = {
            "schemas": [constants.SchemaURI.LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
        return HttpResponse(json.dumps(doc), content_type=constants.SCIM_CONTENT_TYPE)

    def get_many(self, request):
        return self.list_response(request, request.GET.get("filter"))

    def get_object(self):
        uuid = self.kwargs.get(self.lookup_url_kwarg)
        if uuid is None:
            raise bad_request("This operation needs a resource id in the URL.", "noTarget")
        obj = self.queryset().filter(pk=int(uuid)).first() if is_id(uuid) else None
        if obj is None:
            raise scim_errors.NotFoundError(uuid)
        return obj

    def load_body(self, body):
        try:
            data = json.loads(body.decode(constants.ENCODING).strip() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad_request(f"The body is not valid JSON: {error}", "invalidSyntax") from None
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object.", "invalidSyntax")
        if has_nul(data):
            raise bad_request("Text may not contain the NUL character.")
        return data

    def patch(self, request, *args, **kwargs):
        body = self.load_body(request.body)
        if body.get("schemas") != [constants.SchemaURI.PATCH_OP]:
            raise bad_request(f"A PATCH body has the schema {constants.SchemaURI.PATCH_OP}.", "invalidSyntax")
        return super().patch(request, *args, **kwargs)


class UsersView(ListMixin, scim_views.UsersView):
    attr_map = USER_FILTER_MAP

    def queryset(self):
        return User.objects.select_related("division", "location", "manager").prefetch_related("directory_groups")


class UserSearchView(ListMixin, scim_views.UserSearchView):
    attr_map = USER_FILTER_MAP
    queryset = UsersView.queryset

    def post(self, request, *args, **kwargs):
        body = self.load_body(request.body)
        if body.get("schemas") != [constants.SchemaURI.SERACH_REQUEST]:
            raise bad_request(f"A search has the schema {constants.SchemaURI.SERACH_REQUEST}.", "invalidSyntax")
        return self.list_response(request, body.get("filter"))


class GroupsView(ListMixin, scim_views.GroupsView):
    attr_map = GROUP_FILTER_MAP

    def queryset(self):
        return DirectoryGroup.objects.prefetch_related("members")


class ServiceProviderConfig(SCIMServiceProviderConfig):
    """What this service supports: PATCH and filters (accounts.scim.scim_filter), pages of at most
    MAX_PAGE; no bulk, no password changes (employees sign in through SSO or their own password),
    no sorting, no ETags."""

    def to_dict(self):
        data = super().to_dict()
        data["filter"] = {"supported": True, "maxResults": MAX_PAGE}
        data["changePassword"] = {"supported": False}
        return data
