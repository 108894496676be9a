"""Turn bench/results/*.json into docs/benchmarks.md and docs/benchmarks-latency.svg."""

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs"
TARGET_MS, TARGET_RATIO = 50, 1.5
COLOURS = ["#1f5fbf", "#b42318", "#137a3e", "#8a5a00", "#6941c6", "#0e7490", "#c11574", "#475467", "#d97706"]


def load():
    runs = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.stem.isdigit():
            runs[int(path.stem)] = json.loads(path.read_text())
    return dict(sorted(runs.items()))


def chart(runs):
    """A dependency-free SVG: median latency of each scenario against company size (log scale)."""
    sizes = list(runs)
    names = list(next(iter(runs.values()))["scenarios"])
    width, height, left, right, top, bottom = 760, 380, 60, 300, 20, 50
    top_ms = max(r["scenarios"][n]["median_ms"] for r in runs.values() for n in names)
    top_ms = max(TARGET_MS * 1.2, top_ms * 1.1)
    lo, hi = math.log10(min(sizes)), math.log10(max(sizes)) if len(sizes) > 1 else math.log10(min(sizes)) + 1

    def x(size):
        return left + (math.log10(size) - lo) / ((hi - lo) or 1) * (width - left - right)

    def y(ms):
        return top + (1 - ms / top_ms) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="Arial" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0)}" stroke="#333"/>',
        f'<line x1="{left}" y1="{y(TARGET_MS)}" x2="{width - right}" y2="{y(TARGET_MS)}" stroke="#999" stroke-dasharray="4 4"/>',
        f'<text x="{width - right - 4}" y="{y(TARGET_MS) - 4}" text-anchor="end" fill="#666">target {TARGET_MS} ms</text>',
        f'<text x="14" y="{(height - bottom) / 2}" transform="rotate(-90 14 {(height - bottom) / 2})" text-anchor="middle">median latency (ms)</text>',
        f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">employees (log scale)</text>',
    ]
    for ms in range(0, int(top_ms) + 1, 10 if top_ms < 120 else 50):
        parts.append(f'<text x="{left - 6}" y="{y(ms) + 4}" text-anchor="end">{ms}</text>')
    for size in sizes:
        parts.append(f'<text x="{x(size)}" y="{y(0) + 16}" text-anchor="middle">{size:,}</text>')
    for i, name in enumerate(names):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{x(s)},{y(runs[s]['scenarios'][name]['median_ms'])}" for s in sizes)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for s in sizes:
            parts.append(
                f'<circle cx="{x(s)}" cy="{y(runs[s]["scenarios"][name]["median_ms"])}" r="3" fill="{colour}"/>'
            )
        ly = top + 14 + i * 18
        parts.append(f'<rect x="{width - right + 14}" y="{ly - 9}" width="12" height="3" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 32}" y="{ly - 4}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def table(runs):
    sizes = list(runs)
    small, big = sizes[0], sizes[-1]
    lines = [
        "| scenario | " + " | ".join(f"{s:,}: median / p95 (ms)" for s in sizes) + f" | ratio {big:,} / {small:,} |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name in runs[small]["scenarios"]:
        cells = []
        for s in sizes:
            r = runs[s]["scenarios"][name]
            cells.append(f"{r['median_ms']:.1f} / {r['p95_ms']:.1f}")
        ratio = runs[big]["scenarios"][name]["median_ms"] / runs[small]["scenarios"][name]["median_ms"]
        flag = "" if ratio <= TARGET_RATIO and runs[big]["scenarios"][name]["median_ms"] <= TARGET_MS else " ⚠"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f}{flag} |")
    return "\n".join(lines)


def analytics_markdown():
    """The analytics section (issue 19) from bench/results/analytics.json, if bench/reach_bench.py ran."""
    path = RESULTS / "analytics.json"
    if not path.exists():
        return ""
    run = json.loads(path.read_text())
    rows = "\n".join(
        f"| {int(size):,} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | {', '.join(str(x) for x in r['load_before'])} |"
        for size, r in run["snapshot_reach"].items()
    )
    text = f"""
## Analytics

`snapshot_reach` (the daily reach snapshot: the rule's `audience()` of every open hidden opening),
each size in a fresh process: wall time and the process's peak resident memory, with the machine's
load average (1, 5, 15 min) when it started.

| employees | seconds | peak memory (MB) | load average |
|---|---|---|---|
{rows}
"""
    pages = run.get("pages")
    if pages:
        lines = "\n".join(
            f"| {label} | {pages[key]['median_ms']} / {pages[key]['p95_ms']} |"
            for key, label in (
                ("hr_365", "`/hr/?period=365` (dashboard and analytics)"),
                ("hr_90", "`/hr/` (last 90 days)"),
                ("api_funnel_365", "`/api/v1/analytics/referral-funnel/?period=365`"),
                ("api_reach_365", "`/api/v1/analytics/reach/?period=365`"),
            )
        )
        text += f"""
A year of data at {pages["size"]:,} employees: {pages["referrals"]:,} referrals from {pages["from"]} to
{pages["to"]} and 365 daily snapshots; load average {", ".join(str(x) for x in pages["load_before"])}.
Target: median under 100 ms.

| page | median / p95 (ms) |
|---|---|
{lines}
"""
    return text


def main():
    runs = load()
    if not runs:
        raise SystemExit("No results in bench/results: run bench/run.py first.")
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks-latency.svg").write_text(chart(runs))
    sizes = list(runs)
    data = "\n".join(
        f"| {s:,} | {r['connections']:,} | {r['openings']:,} ({r['open_openings']:,} open) | {r['small_network']} / {r['large_network']} |"
        for s, r in runs.items()
    )
    digest = "\n".join(
        f"| {s:,} | {r['digest']['digests_per_second']} | {r['digest']['build_share']:.0%} | {r['digest']['render_share']:.0%} "
        f"| {1 - r['digest']['build_share'] - r['digest']['render_share']:.0%} | {r['digest']['emails_share']:.0%} "
        f"| {r['digest']['openings_shown']} | {r['digest']['openings_in_network']} |"
        for s, r in runs.items()
    )
    lookback = "; ".join(f"{s:,}: {r['digest'].get('equal_content_days', 7)} days" for s, r in runs.items())
    seeds = []
    for s in sizes:
        path = RESULTS / f"{s}.seed.json"
        if path.exists():
            seeds.append(f"{s:,} employees: {json.loads(path.read_text())['seconds']:.0f} s")
    notes_path = DOCS / "benchmarks-notes.md"
    notes = "\n" + notes_path.read_text() if notes_path.exists() else ""
    load_path = RESULTS / "load.json"
    load_section = ""
    if load_path.exists():
        load_run = json.loads(load_path.read_text())
        load_section = "\n## Load test\n\n" + load_run.get("markdown", "")
    analytics_section = analytics_markdown()
    text = f"""# Benchmarks

Generated by `bench/report.py` from `bench/results/`. Reproduce everything with one command:

```sh
make bench        # seeds referral_bench_<N> databases on the local PostgreSQL, measures, writes this file
```

Every figure is the median (and 95th percentile) of {next(iter(runs.values()))["scenarios"][next(iter(next(iter(runs.values()))["scenarios"]))]["n"]} requests through the whole Django stack
(middleware, session, templates, PostgreSQL) on this 2-core machine, after a short warm-up.
Targets: every median under {TARGET_MS} ms and every ratio between the largest and smallest company at most {TARGET_RATIO}
(⚠ marks a miss).

## The companies

| employees | connections | openings | network size of the small / large viewer |
|---|---|---|---|
{data}

Seeding time: {"; ".join(seeds) or "not recorded"}.

## Latency

{table(runs)}

![Median latency against company size](benchmarks-latency.svg)

## Digest

`send_weekly_digest` as it runs, in one process: batches of 200 recipients sent through Django's
SMTP backend to a sink on 127.0.0.1 (`bench/smtp_sink.py`). The time of a sent digest splits into
building the batch's content, rendering the emails, and the rest (the exactly-once claim and its
commits, MIME serialisation and the SMTP exchange). The last three columns say what the emails
held: the first two digest rows of the latency table compare like with like only where those
match, so the third compares emails of the same size.

| employees | digests sent per second | building | rendering | claims, MIME and SMTP | recipients with an email | openings shown per email | openings in their network per email |
|---|---|---|---|---|---|---|---|
{digest}

The row "ten openings in every email" builds and renders the same batches with a look-back long
enough to fill every email, as a large company's week does ({lookback}); the product's digest
always looks back 7 days.
{load_section}{analytics_section}{notes}
"""
    (DOCS / "benchmarks.md").write_text(text)
    print(f"wrote {DOCS / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
