"""A figure as a table: what the page shows under each chart, the CSV file and the API's rows.

One shape for all three, so the CSV and the API cannot drift from the page: `Table.columns` names
each column, `Table.rows` holds Cells (counts, already through the small-cell rule), percentages,
day counts and labels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from .privacy import FEWER, Cell


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    unit: str = ""  # "%" for shares, " days" for durations


@dataclass
class Table:
    key: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    def text(self, row: dict, column: Column) -> str:
        """How a value reads on the page."""
        value = row.get(column.key)
        if isinstance(value, Cell):
            return value.text
        if value is None:
            return FEWER if column.unit else "—"
        if isinstance(value, float):
            return f"{value:g}{column.unit}"
        if isinstance(value, int):
            return f"{value:,}{column.unit}"
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def public(self, row: dict, column: Column):
        """How a value reads in CSV and JSON: a number, a string, or "fewer than 5"."""
        value = row.get(column.key)
        if isinstance(value, Cell):
            return value.public
        if value is None and column.unit:
            return FEWER
        if isinstance(value, date):
            return value.isoformat()
        return value

    def text_rows(self) -> list[list[str]]:
        return [[self.text(row, c) for c in self.columns] for row in self.rows]

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "columns": [{"key": c.key, "header": c.header} for c in self.columns],
            "rows": [{c.key: self.public(row, c) for c in self.columns} for row in self.rows],
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.header for c in self.columns])
        for row in self.rows:
            writer.writerow(["" if (v := self.public(row, c)) is None else _csv_safe(v) for c in self.columns])
        return out.getvalue()


def _csv_safe(value):
    # A label that a spreadsheet would run as a formula (=, +, -, @) is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
