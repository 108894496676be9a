"""Benchmark the product at several company sizes on PostgreSQL, in one command.

    .venv/bin/python bench/run.py                    # 1,000, 10,000 and 100,000 employees
    .venv/bin/python bench/run.py --sizes 1000 10000 --reuse

For each size it creates (or, with --reuse, keeps) a database `referral_bench_<N>` on the server
of BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres), seeds a
deterministic company with `seed_demo --employees N --seed 7`, measures it with bench/measure.py
and writes bench/results/<N>.json. bench/report.py then turns the results into
docs/benchmarks.md and its chart.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def database_url(name):
    parts = urlsplit(SERVER)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(name, fresh):
    with psycopg.connect(SERVER, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh:
            return False
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def manage(url, *args, capture=False):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, text=True, capture_output=capture
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--reuse", action="store_true", help="Keep an existing seeded database of a size.")
    parser.add_argument("--requests", type=int, default=30, help="Measured requests per scenario.")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for size in args.sizes:
        name = f"referral_bench_{size}"
        url = database_url(name)
        if ensure_database(name, fresh=not args.reuse):
            print(f"== seeding {size:,} employees into {name}", flush=True)
            started = time.monotonic()
            manage(url, "migrate", "--noinput", "-v0")
            manage(url, "seed_demo", "--employees", str(size), "--seed", "7")
            seconds = time.monotonic() - started
            print(f"   seeded in {seconds:.0f}s", flush=True)
            (RESULTS / f"{size}.seed.json").write_text(json.dumps({"seconds": round(seconds, 1)}))
        else:
            manage(url, "migrate", "--noinput", "-v0")  # a kept database gets any newer migration
        # The state autovacuum keeps a production database in: fresh statistics (a load test that
        # just added rows to a small table otherwise leaves the planner with a plan for the empty
        # table) and a visibility map, without which no index-only scan is possible on freshly
        # bulk-loaded tables such as the connections.
        # CHECKPOINT then writes what the vacuum dirtied now rather than during the measurements.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            conn.execute("CHECKPOINT")
        print(f"== measuring {size:,}", flush=True)
        env = {**os.environ, "DATABASE_URL": url, "BENCH_REQUESTS": str(args.requests)}
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "measure.py")], env=env, check=True, text=True, capture_output=True
        ).stdout
        (RESULTS / f"{size}.json").write_text(out)
        print(out)
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py")], check=True)


if __name__ == "__main__":
    main()
