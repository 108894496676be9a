"""Compare two company sizes in alternating rounds, pair by pair, on an already seeded pair of databases.

    .venv/bin/python bench/alternate.py --databases referral_bench_1000 referral_bench_100000 --rounds 5

This machine is shared and its speed drifts by more than the differences measured (see
docs/benchmarks.md), so measuring one size after the other compares two machine states as much as
two sizes. Here each round runs bench/measure.py (without the digest, BENCH_SCENARIOS=events) on
the small database and then on the large one, in a fresh process each, and the ratio large : small
is taken round by round: a drift slower than a round cancels out of it. It prints, per scenario,
the median over the rounds of each size's median and 95th percentile, and the median, minimum and
maximum of the rounds' ratios; with --out it also writes every round's figures as JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import database_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def measure(name, requests):
    env = {**os.environ, "DATABASE_URL": database_url(name), "BENCH_REQUESTS": str(requests)}
    env["BENCH_SCENARIOS"] = "events"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "measure.py")], env=env, check=True, text=True, capture_output=True
    ).stdout
    return json.loads(out)


def summarise(rounds, small, large):
    rows = {}
    for scenario in rounds[0][small]["scenarios"]:
        pairs = [(r[small]["scenarios"][scenario], r[large]["scenarios"][scenario]) for r in rounds]
        ratios = [b["median_ms"] / a["median_ms"] for a, b in pairs]
        rows[scenario] = {
            "small_median_ms": round(statistics.median(a["median_ms"] for a, _ in pairs), 1),
            "small_p95_ms": round(statistics.median(a["p95_ms"] for a, _ in pairs), 1),
            "large_median_ms": round(statistics.median(b["median_ms"] for _, b in pairs), 1),
            "large_p95_ms": round(statistics.median(b["p95_ms"] for _, b in pairs), 1),
            "ratio": round(statistics.median(ratios), 2),
            "ratio_min": round(min(ratios), 2),
            "ratio_max": round(max(ratios), 2),
            "rounds": len(pairs),
        }
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs=2, required=True, metavar=("SMALL", "LARGE"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30, help="Measured requests per scenario and round.")
    parser.add_argument("--out", type=Path, help="Write every round's figures and the summary here (JSON).")
    args = parser.parse_args()
    small, large = args.databases
    rounds = []
    for number in range(args.rounds):
        result = {}
        for name in (small, large):
            started = time.monotonic()
            result[name] = measure(name, args.requests)
            print(f"round {number + 1}: {name} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        rounds.append(result)
    summary = summarise(rounds, small, large)
    for scenario, row in summary.items():
        print(
            f"{scenario}: {row['small_median_ms']} / {row['small_p95_ms']} ms against "
            f"{row['large_median_ms']} / {row['large_p95_ms']} ms, ratio {row['ratio']} "
            f"({row['ratio_min']}–{row['ratio_max']}, {row['rounds']} rounds)"
        )
    if args.out:
        args.out.write_text(json.dumps({"rounds": rounds, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
