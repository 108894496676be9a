"""Charts as small inline SVG, drawn on the server from a figure's table (no JavaScript, no CDN).

Each function turns a `Table` into a `Chart`: plain shapes (bars, texts, a polyline) with their
coordinates, which templates/analytics/_chart.html writes out as <svg role="img"> with a
<title>, a <desc> and the table itself underneath for screen readers. A value hidden by the
small-cell rule draws no bar; its label says "fewer than 5".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .privacy import Cell
from .tables import Table

WIDTH = 640
LABEL_W = 170
VALUE_W = 90
BAR_H = 14
GAP = 8
PALETTE = ["chart-a", "chart-b"]


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    width: int
    height: int
    table: Table
    rects: list[dict] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    polylines: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)

    @property
    def title_id(self) -> str:
        return f"chart-{self.key}-title"

    @property
    def desc_id(self) -> str:
        return f"chart-{self.key}-desc"


def _number(value) -> float | None:
    if isinstance(value, Cell):
        return None if value.value is None else float(value.value)
    if isinstance(value, str):  # "nearly 100%": a hidden value draws no bar
        return None
    return None if value is None else float(value)


def _legend(series: list[tuple[str, str]]) -> list[dict]:
    return [{"name": name, "cls": PALETTE[i % len(PALETTE)]} for i, (_key, name) in enumerate(series)]


def bars(table: Table, *, label: str, series: list[tuple[str, str]], maximum: float | None = None) -> Chart:
    """Horizontal bars, one group per row of `table` and one bar per column of `series`
    ([(column key, legend name)]). `maximum` fixes the scale (100 for percentages)."""
    columns = {c.key: c for c in table.columns}
    values = [_number(row.get(key)) for row in table.rows for key, _name in series]
    top = maximum or max([v for v in values if v is not None] or [1]) or 1
    plot_w = WIDTH - LABEL_W - VALUE_W
    group_h = len(series) * (BAR_H + 2) + GAP
    chart = Chart(
        table.key,
        table.title,
        table.description,
        WIDTH,
        max(group_h * len(table.rows) + GAP, 30),
        table,
        legend=_legend(series) if len(series) > 1 else [],
    )
    for r, row in enumerate(table.rows):
        y0 = GAP + r * group_h
        chart.texts.append({"x": LABEL_W - 6, "y": y0 + group_h / 2, "anchor": "end", "text": str(row.get(label))})
        for s, (key, _name) in enumerate(series):
            y = y0 + s * (BAR_H + 2)
            value = _number(row.get(key))
            width = 0 if value is None else max(1.0, plot_w * value / top) if value else 0
            if width:
                chart.rects.append(
                    {"x": LABEL_W, "y": y, "w": round(width, 1), "h": BAR_H, "cls": PALETTE[s % len(PALETTE)]}
                )
            chart.texts.append(
                {"x": LABEL_W + width + 4, "y": y + BAR_H - 3, "anchor": "start", "text": table.text(row, columns[key])}
            )
    return chart


def columns(table: Table, *, label: str, series: list[tuple[str, str]]) -> Chart:
    """Vertical columns over time (months), one per column of `series` in each row of `table`."""
    height, bottom, left = 220, 190, 40
    values = [_number(row.get(key)) for row in table.rows for key, _name in series]
    top = max([v for v in values if v is not None] or [1]) or 1
    n = max(len(table.rows), 1)
    slot = (WIDTH - left - 10) / n
    bar_w = max(2.0, (slot - 4) / len(series))
    chart = Chart(table.key, table.title, table.description, WIDTH, height, table, legend=_legend(series))
    chart.lines.append({"x1": left, "y1": bottom, "x2": WIDTH - 10, "y2": bottom})
    chart.texts.append({"x": left - 4, "y": 16, "anchor": "end", "text": f"{top:,.0f}"})
    chart.texts.append({"x": left - 4, "y": bottom, "anchor": "end", "text": "0"})
    every = max(1, n // 12)
    for r, row in enumerate(table.rows):
        x0 = left + r * slot + 2
        for s, (key, _name) in enumerate(series):
            value = _number(row.get(key))
            h = 0 if not value else max(1.0, (bottom - 12) * value / top)
            if h:
                chart.rects.append(
                    {
                        "x": round(x0 + s * bar_w, 1),
                        "y": round(bottom - h, 1),
                        "w": round(bar_w - 1, 1),
                        "h": round(h, 1),
                        "cls": PALETTE[s % len(PALETTE)],
                    }
                )
        if r % every == 0:
            chart.texts.append(
                {"x": round(x0 + slot / 2, 1), "y": bottom + 16, "anchor": "middle", "text": str(row.get(label))}
            )
    return chart


def line(table: Table, *, label: str, key: str, maximum: float = 100) -> Chart:
    """A line of one percentage column over time (one point per row)."""
    height, bottom, left = 200, 170, 40
    n = len(table.rows)
    chart = Chart(table.key, table.title, table.description, WIDTH, height, table)
    chart.lines.append({"x1": left, "y1": bottom, "x2": WIDTH - 10, "y2": bottom})
    chart.texts.append({"x": left - 4, "y": 16, "anchor": "end", "text": f"{maximum:g}%"})
    chart.texts.append({"x": left - 4, "y": bottom, "anchor": "end", "text": "0%"})
    points = []
    step = (WIDTH - left - 20) / max(n - 1, 1)
    for r, row in enumerate(table.rows):
        value = _number(row.get(key))
        if value is None:
            continue
        points.append(f"{left + r * step:.1f},{bottom - (bottom - 12) * value / maximum:.1f}")
    if points:
        chart.polylines.append({"points": " ".join(points), "cls": "chart-line"})
    for r in {0, n - 1} if n else ():
        chart.texts.append(
            {
                "x": round(left + r * step, 1),
                "y": bottom + 16,
                "anchor": "middle",
                "text": table.text(table.rows[r], table.columns[0]),
            }
        )
    return chart
