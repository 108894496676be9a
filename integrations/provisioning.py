"""Provisioning from the HRIS: employees and org units created or updated by their HR identifiers.

One implementation for the API (PUT by employee id, the bulk call) and `manage.py import_employees`:
rows are checked first, all of them, and written only if every row is valid, in one transaction,
through accounts.services.employee_create / employee_update (so a deactivation revokes tokens
exactly as everywhere else). Sending the same rows again changes nothing and reports them
"unchanged".
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import Division, Location, User
from accounts.roles import SUPERUSER_ONLY_MESSAGE, may_change_employee
from accounts.services import (
    employee_create,
    employee_deactivation_problem,
    employee_manager_problem,
    employee_update,
    skill_key,
)
from config.text import invisible_control_errors

# Columns of the CSV export, and the keys of one row anywhere.
COLUMNS = (
    "employee_id",
    "email",
    "full_name",
    "title",
    "job_function",
    "division",
    "location",
    "manager_employee_id",
    "is_active",
)
OUTCOMES = ("created", "updated", "unchanged", "deactivated")


class ProvisioningError(Exception):
    """Some rows are invalid; `errors` maps a row index to {field: [messages]}. Nothing was written."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} invalid row(s)")
        self.errors = errors


@dataclass
class RowOutcome:
    row: int
    employee: User
    outcome: str
    changes: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "row": self.row,
            "employee_id": self.employee.employee_id,
            "id": self.employee.pk,
            "outcome": self.outcome,
            "changes": self.changes,
        }


def report_of(outcomes):
    """{created, updated, unchanged, deactivated} counts, and the rows with their changes."""
    report = {name: 0 for name in OUTCOMES}
    for outcome in outcomes:
        report[outcome.outcome] += 1
    report["rows"] = [o.as_dict() for o in outcomes]
    return report


# --- Checking -------------------------------------------------------------------------------------


class _Lookups:
    """Everything the rows refer to, loaded in a fixed number of queries whatever the row count."""

    def __init__(self, rows):
        rows = [r for r in rows if r is not None]
        ids = {r["employee_id"] for r in rows}
        manager_ids = {r.get("manager_employee_id") for r in rows if r.get("manager_employee_id")}
        emails = {r["email"] for r in rows}
        self.divisions = {
            d.code: d for d in Division.objects.filter(code__in={r.get("division") for r in rows} - {None, ""})
        }
        self.locations = {
            loc.code: loc for loc in Location.objects.filter(code__in={r.get("location") for r in rows} - {None, ""})
        }
        users = User.objects.select_related("division", "location", "manager").prefetch_related("skills")
        self.by_employee_id = {u.employee_id: u for u in users.filter(employee_id__in=ids | manager_ids)}
        self.by_email = {
            u.email.lower(): u for u in users.annotate(email_ci=Lower("email")).filter(email_ci__in=emails)
        }


def _row_errors(index, row, lookups, seen_ids, seen_emails, batch_ids, by):
    errors = {}
    employee_id, email = row["employee_id"], row["email"]
    if employee_id in seen_ids:
        errors["employee_id"] = [
            f"Employee id “{employee_id}” appears twice in this request (rows {seen_ids[employee_id]} and {index})."
        ]
    if email in seen_emails:
        errors["email"] = [f"{email} appears twice in this request (rows {seen_emails[email]} and {index})."]
    current = lookups.by_employee_id.get(employee_id)
    owner = lookups.by_email.get(email)
    if owner is not None and owner != current and not (current is None and not owner.employee_id):
        holder = f"employee id “{owner.employee_id}”" if owner.employee_id else "an employee without an employee id"
        errors.setdefault("email", []).append(
            f"{email} already belongs to another employee ({holder}); one address cannot move to employee id “{employee_id}”."
        )
    errors.update(
        invisible_control_errors(**{name: row[name] for name in ("full_name", "title", "job_function") if name in row})
    )
    for name, known in (("division", lookups.divisions), ("location", lookups.locations)):
        code = row.get(name)
        if code and code not in known:
            errors[name] = [f"Unknown {name} code “{code}”."]
    manager_id = row.get("manager_employee_id")
    if manager_id:
        own_manager = employee_manager_problem(employee_id, manager_id)
        if own_manager:
            errors["manager_employee_id"] = [own_manager]
        elif manager_id not in lookups.by_employee_id and manager_id not in batch_ids:
            errors["manager_employee_id"] = [f"No employee has the employee id “{manager_id}”."]
    target = current or (owner if owner is not None and not owner.employee_id else None)
    if target is not None and not may_change_employee(by, target) and _would_change(target, row, lookups):
        errors["non_field_errors"] = [SUPERUSER_ONLY_MESSAGE]
    deactivating_oneself = employee_deactivation_problem(actor=by, employee=target, is_active=row.get("is_active"))
    if deactivating_oneself:
        errors["is_active"] = [deactivating_oneself]
    return errors


def _would_change(employee, row, lookups):
    """Whether applying `row` changes anything on `employee` (an unchanged row is harmless)."""
    if employee.employee_id != row["employee_id"]:
        return True
    if any(_differs(employee, name, value) for name, value in _wanted(row, lookups).items()):
        return True
    if "manager_employee_id" in row:
        current = employee.manager.employee_id if employee.manager_id else None
        return current != (row.get("manager_employee_id") or None)
    return False


def employees_check(rows, *, by=None):
    """{row index: {field: [messages]}} for every row that cannot be applied; empty when all can.

    Rows are already well-formed (types, lengths, email syntax: serializers.EmployeeRowSerializer);
    a None in place of a row (one refused for its form) is skipped but keeps the numbering.
    Refused: an employee id or email twice in one request; an email that belongs to another
    employee (an employee id cannot take over someone else's address; an existing employee without
    an employee id is adopted by the row with their email); unknown division or location codes; a
    manager that is not an employee and not in the request; oneself as manager; deactivating
    oneself; any change to a superuser unless `by` is a superuser (accounts.roles.may_change_employee;
    `by` None, the CSV import, is HR's file and changes no superuser).
    """
    lookups = _Lookups(rows)
    batch_ids = {r["employee_id"] for r in rows if r is not None}
    errors, seen_ids, seen_emails = {}, {}, {}
    for index, row in enumerate(rows):
        if row is None:  # refused earlier for its form
            continue
        row_errors = _row_errors(index, row, lookups, seen_ids, seen_emails, batch_ids, by)
        seen_ids.setdefault(row["employee_id"], index)
        seen_emails.setdefault(row["email"], index)
        if row_errors:
            errors[index] = row_errors
    return errors, lookups


# --- Writing --------------------------------------------------------------------------------------


def _label(value):
    """How a value reads in a report: codes for org units, employee ids for managers."""
    if isinstance(value, (Division, Location)):
        return value.code
    if isinstance(value, User):
        return value.employee_id or value.pk
    return value


def _current(employee, name):
    return employee.skill_names if name == "skills" else getattr(employee, name)


def _differs(employee, name, value):
    """Whether `value` changes the employee's `name`; skills compare as sets of normalised keys."""
    if name == "skills":
        return {skill_key(s) for s in employee.skill_names} != {skill_key(s) for s in value}
    return getattr(employee, name) != value


def _wanted(row, lookups):
    """The row's values as model fields; keys the row left out are left out (kept as they are)."""
    wanted = {"email": row["email"], "full_name": row["full_name"]}
    for name in ("title", "job_function", "is_active", "skills"):
        if name in row:
            wanted[name] = row[name]
    if "division" in row:
        wanted["division"] = lookups.divisions.get(row["division"]) if row["division"] else None
    if "location" in row:
        wanted["location"] = lookups.locations.get(row["location"]) if row["location"] else None
    return wanted


def employees_import(raw_rows, *, by=None):
    """Check raw rows (from JSON or CSV) for form and for the rules, then `employees_upsert` them.

    Every row is checked, so one answer lists all the problems: ProvisioningError maps each invalid
    row's index to its {field: [messages]}, and nothing is written. Returns the RowOutcomes.
    """
    from .serializers import EmployeeRowSerializer

    rows, errors = [], {}
    for index, raw in enumerate(raw_rows):
        serializer = EmployeeRowSerializer(data=raw)
        if serializer.is_valid():
            rows.append(dict(serializer.validated_data))
        else:
            rows.append(None)
            errors[index] = {
                name: [str(m) for m in messages] for name, messages in _as_field_errors(serializer.errors).items()
            }
    rule_errors, _lookups = employees_check(rows, by=by)
    for index, row_errors in rule_errors.items():
        errors.setdefault(index, {}).update(row_errors)
    if errors:
        raise ProvisioningError(dict(sorted(errors.items())))
    return employees_upsert(rows, by=by)


def _as_field_errors(errors):
    return errors if isinstance(errors, dict) else {"non_field_errors": list(errors)}


def employees_upsert(rows, *, by=None):
    """Create or update the employees in `rows` (dicts keyed by COLUMNS), all or nothing.

    Each row is matched by `employee_id` (or, for an employee who has none yet, by email). Fields a
    row leaves out keep their value on an update and their default on a create; `is_active: false`
    deactivates (tokens revoked, sessions refused). Raises ProvisioningError listing every invalid
    row, having written nothing; otherwise returns one RowOutcome per row, in order.
    """
    errors, lookups = employees_check(rows, by=by)
    if errors:
        raise ProvisioningError(errors)
    outcomes = []
    deferred_managers = []
    try:
        with transaction.atomic():
            for index, row in enumerate(rows):
                outcome = _upsert_one(index, row, lookups)
                lookups.by_employee_id[outcome.employee.employee_id] = outcome.employee
                outcomes.append(outcome)
                if "manager_employee_id" in row:
                    deferred_managers.append((outcome, row.get("manager_employee_id") or None))
            # Managers last: a row may name a manager who appears further down the same request.
            for outcome, manager_id in deferred_managers:
                manager = lookups.by_employee_id[manager_id] if manager_id else None
                if outcome.employee.manager_id != (manager.pk if manager else None):
                    old = outcome.employee.manager
                    employee_update(employee=outcome.employee, manager=manager)
                    outcome.changes["manager_employee_id"] = [
                        _label(old) if old else None,
                        _label(manager) if manager else None,
                    ]
                    if outcome.outcome == "unchanged":
                        outcome.outcome = "updated"
    except IntegrityError:
        # Another request took an email or employee id between the check and the write.
        raise ProvisioningError(
            {
                0: {
                    "non_field_errors": [
                        "Another change to the same employees happened at the same time; send the request again."
                    ]
                }
            }
        ) from None
    return outcomes


def _upsert_one(index, row, lookups):
    wanted = _wanted(row, lookups)
    employee_id = row["employee_id"]
    employee = lookups.by_employee_id.get(employee_id)
    if employee is None:
        owner = lookups.by_email.get(row["email"])
        if owner is not None and not owner.employee_id:
            employee = owner
    if employee is None:
        created = employee_create(employee_id=employee_id, **wanted)
        changes = {name: [None, _label(value)] for name, value in wanted.items()}
        return RowOutcome(index, created, "created", changes)
    changed = {name: value for name, value in wanted.items() if _differs(employee, name, value)}
    if employee.employee_id != employee_id:
        changed["employee_id"] = employee_id
    if not changed:
        return RowOutcome(index, employee, "unchanged")
    changes = {name: [_label(_current(employee, name)), _label(value)] for name, value in changed.items()}
    deactivating = changed.get("is_active") is False
    employee_update(employee=employee, **changed)
    return RowOutcome(index, employee, "deactivated" if deactivating else "updated", changes)


def org_unit_upsert(*, model, code, name):
    """Create the division or location with `code`, or give it `name`. Returns (unit, outcome, changes)
    where outcome is "created", "updated" or "unchanged"; the same call twice changes nothing."""
    with transaction.atomic():
        unit = model.objects.select_for_update().filter(code=code).first()
        if unit is None:
            try:
                with transaction.atomic():
                    unit = model.objects.create(code=code, name=name)
                return unit, "created", {"code": [None, code], "name": [None, name]}
            except IntegrityError:  # created by a concurrent call: update it instead
                unit = model.objects.select_for_update().get(code=code)
        if unit.name == name:
            return unit, "unchanged", {}
        changes = {"name": [unit.name, name]}
        unit.name = name
        unit.save(update_fields=["name", "updated_at"])
        return unit, "updated", changes


# --- The CSV export ---------------------------------------------------------------------------


class CsvFormatError(Exception):
    pass


def read_employee_csv(text):
    """Parse an HRIS export into raw rows (dicts of strings keyed by COLUMNS).

    Read as CSV (RFC 4180), not as lines: a quoted field keeps its line breaks, and characters
    such as U+0085 or U+2028 inside a field are data, never a row break. Rows end only at CR, LF
    or CRLF outside quotes. The header must name exactly COLUMNS (any order). Empty `division`,
    `location` and `manager_employee_id` mean none; empty `is_active` means active. Errors name the
    row (its first line in the file) and the column.
    """
    # newline="": the csv module sees \r\n inside quotes as data; StringIO splits rows on
    # \r and \n only, unlike str.splitlines(), which also breaks on U+0085, U+2028 and others.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        raise CsvFormatError(f"Row 1 (the header): {error}.") from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise CsvFormatError(f"The header must be {','.join(COLUMNS)} ({'; '.join(parts)}).")
    rows = []
    number, line = 1, reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise CsvFormatError(f"Row {number + 1} (line {line}): {error}.") from None
        number, first_line, line = number + 1, line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise CsvFormatError(
                f"Row {number} (line {first_line}) has {len(values)} values but the header has {len(header)} columns: "
                f"column {len(header) + 1} has no name."
            )
        # A short row leaves its last columns empty, as before (spreadsheets drop trailing commas).
        row = {
            key: value.strip() for key, value in zip(header, values + [""] * (len(header) - len(values)), strict=False)
        }
        for name in ("division", "location", "manager_employee_id"):
            row[name] = row[name] or None
        if not row["is_active"]:
            row["is_active"] = "true"
        row["_line"] = first_line
        rows.append(row)
    return rows
