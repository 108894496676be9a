from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.audit import json_safe
from integrations.models import AuditEvent
from integrations.provisioning import (
    COLUMNS,
    CsvFormatError,
    ProvisioningError,
    employees_import,
    read_employee_csv,
    report_of,
)


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Create or update employees from an HRIS export (CSV with the columns "
        + ",".join(COLUMNS)
        + "). Every row is checked first; if any is invalid nothing is written. Prints what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8), or - for standard input.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then roll everything back.")

    def handle(self, *args, file, dry_run=False, **options):
        text = self._read(file)
        try:
            raw_rows = read_employee_csv(text)
        except CsvFormatError as error:
            raise CommandError(str(error)) from None
        lines = [row.pop("_line") for row in raw_rows]
        report = None
        try:
            with transaction.atomic():
                outcomes = employees_import(raw_rows)
                report = report_of(outcomes)
                if dry_run:
                    raise _DryRun
                AuditEvent.objects.create(
                    actor_label="manage.py import_employees",
                    method="CLI",
                    path=f"import_employees {file}"[:500],
                    action="employee.bulk_upsert",
                    object_type="employee",
                    changes=json_safe(
                        {
                            "report": {k: report[k] for k in ("created", "updated", "unchanged", "deactivated")},
                            "changes": {r["employee_id"]: r["changes"] for r in report["rows"] if r["changes"]},
                        }
                    ),
                )
        except _DryRun:
            pass
        except ProvisioningError as error:
            for index, fields in error.errors.items():
                employee_id = raw_rows[index].get("employee_id") or "?"
                for name, messages in fields.items():
                    for message in messages:
                        self.stderr.write(f"line {lines[index]} (employee id {employee_id}): {name}: {message}")
            raise CommandError(
                f"{len(error.errors)} of {len(raw_rows)} row(s) are invalid; nothing was written."
            ) from None
        self._print(report, dry_run)

    def _read(self, file):
        try:
            if file == "-":
                import sys

                return sys.stdin.read()
            with open(file, encoding="utf-8-sig", newline="") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None

    def _print(self, report, dry_run):
        for row in report["rows"]:
            if row["outcome"] == "unchanged":
                continue
            changes = "; ".join(f"{name}: {old!r} → {new!r}" for name, (old, new) in row["changes"].items())
            self.stdout.write(f"{row['outcome']:<11} {row['employee_id']}  {changes}")
        summary = ", ".join(f"{report[k]} {k}" for k in ("created", "updated", "unchanged", "deactivated"))
        self.stdout.write(("Dry run, nothing written: would be " if dry_run else "Done: ") + summary + ".")
