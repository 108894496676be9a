"""Benchmark the analytics (issue 19) on seeded PostgreSQL databases, and write bench/results/analytics.json.

    .venv/bin/python bench/reach_bench.py --databases 1000=referral_bench_1000 10000=referral_bench_10000 \\
        100000=referral_bench_100000 --page-size 100000

For each size: `snapshot_reach` run in a fresh process (wall time, and the process's peak resident
memory). For `--page-size`: the database is given a year of data first (the seed's 50 days of
referrals copied back six times, 50 days apart, with their history; the day's snapshot copied to
each of the 364 days before it), then /hr/?period=365 (and the analytics API) are requested
through Django's test client as an HR employee: median and 95th percentile in ms. The machine's
load average is recorded next to the figures. The year of data is written into the database
given: use a copy, never a database someone else measures.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
COPIES = 6
SPACING_DAYS = 50


def database_url(name):
    return urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))


def env_for(url):
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}


def snapshot_once(url):
    """`manage.py snapshot_reach` in its own process: (seconds, peak RSS in MB, its output)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "snapshot_reach"],
        env=env_for(url),
        check=True,
        text=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(seconds, 1), round(peak_mb, 1), done.stdout.strip()


def snapshot_in_child(url):
    # RUSAGE_CHILDREN is the peak of all children so far: each size is measured by a fresh child.
    done = subprocess.run(
        [sys.executable, __file__, "--snapshot-only", url], env=env_for(url), check=True, text=True, capture_output=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


YEAR_SQL = [
    # The seed's referrals copied back in time, each copy with its history (candidate_phone marks the source).
    """
    WITH src AS (SELECT * FROM referrals_referral WHERE candidate_phone NOT LIKE 'src:%%'),
    ins AS (
        INSERT INTO referrals_referral (opening_id, opening_title, referrer_id, candidate_name, candidate_email,
            candidate_email_hash, candidate_phone, candidate_profile_url, candidate_employee_id, is_self_referral,
            relationship, why_fit, consent_confirmed, status, decline_reason, created_at, updated_at,
            status_changed_at, personal_data_erased_at)
        SELECT opening_id, opening_title, referrer_id, candidate_name, candidate_email,
            left(candidate_email_hash, 62) || '-' || %(k)s, 'src:' || id, candidate_profile_url, candidate_employee_id,
            is_self_referral, relationship, why_fit, consent_confirmed, status, decline_reason,
            created_at - %(shift)s::interval, updated_at - %(shift)s::interval, status_changed_at - %(shift)s::interval, personal_data_erased_at
        FROM src ORDER BY id
        RETURNING id, candidate_phone
    )
    INSERT INTO referrals_referralevent (referral_id, from_status, to_status, by_id, by_service, at, comment)
    SELECT ins.id, e.from_status, e.to_status, e.by_id, e.by_service, e.at - %(shift)s::interval, e.comment
    FROM ins JOIN referrals_referralevent e ON e.referral_id = substr(ins.candidate_phone, 5)::bigint
    """,
]


def add_a_year(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        done = conn.execute("SELECT count(*) FROM referrals_referral WHERE candidate_phone LIKE 'src:%%'").fetchone()
        if done[0] == 0:
            for k in range(1, COPIES + 1):
                conn.execute(YEAR_SQL[0], {"k": str(k), "shift": f"{k * SPACING_DAYS} days"})
        snapshot = conn.execute("SELECT id, day FROM analytics_reachsnapshot ORDER BY day DESC LIMIT 1").fetchone()
        have = conn.execute("SELECT count(*) FROM analytics_reachsnapshot").fetchone()[0]
        if snapshot and have < 365:
            conn.execute(
                """
                INSERT INTO analytics_reachsnapshot (day, taken_at, employees, reached, unreached_90d, openings, seconds)
                SELECT s.day - g, s.taken_at - g * interval '1 day', s.employees,
                       s.reached - (g %% 37) * 3, s.unreached_90d, s.openings, s.seconds
                FROM analytics_reachsnapshot s, generate_series(1, 364) g WHERE s.id = %(id)s
                ON CONFLICT (day) DO NOTHING
                """,
                {"id": snapshot[0]},
            )
            conn.execute(
                """
                INSERT INTO analytics_reachcell (snapshot_id, dimension, key, label, employees, reached, unreached_90d)
                SELECT o.id, c.dimension, c.key, c.label, c.employees, c.reached, c.unreached_90d
                FROM analytics_reachsnapshot o, analytics_reachcell c
                WHERE c.snapshot_id = %(id)s AND o.id <> %(id)s
                ON CONFLICT DO NOTHING
                """,
                {"id": snapshot[0]},
            )
        conn.execute("ANALYZE")
        return conn.execute(
            "SELECT count(*), min(created_at)::date, max(created_at)::date FROM referrals_referral"
        ).fetchone()


def measure_pages(url, requests):
    done = subprocess.run(
        [sys.executable, __file__, "--pages-only", url, "--requests", str(requests)],
        env=env_for(url),
        check=True,
        text=True,
        capture_output=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def pages_here(requests):
    """In this process (DATABASE_URL set): /hr/ and the analytics API as an HR employee."""
    sys.path.insert(0, str(ROOT))
    sys.path.append(str(ROOT / "bench"))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from measure import timed

    from accounts.models import User
    from accounts.roles import HR_GROUP_NAME

    settings.ALLOWED_HOSTS = ["*"]
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # manifest storage, as in production
    hr = User.objects.filter(groups__name=HR_GROUP_NAME, is_active=True).order_by("pk").first()
    client = Client()
    client.force_login(hr)

    def get(path):
        def fn():
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")

        return fn

    return {
        "hr_365": timed(get("/hr/?period=365"), requests),
        "hr_90": timed(get("/hr/"), requests),
        "api_funnel_365": timed(get("/api/v1/analytics/referral-funnel/?period=365"), requests),
        "api_reach_365": timed(get("/api/v1/analytics/reach/?period=365"), requests),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="*", default=[], help="SIZE=DBNAME pairs")
    parser.add_argument(
        "--page-size", type=int, help="The size whose database gets a year of data and the page timings."
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--snapshot-only", metavar="URL")
    parser.add_argument("--pages-only", metavar="URL")
    parser.add_argument("--year-only", metavar="URL", help="Only give this database a year of data.")
    args = parser.parse_args()
    if args.year_only:
        print(add_a_year(args.year_only))
        return
    if args.snapshot_only:
        print(
            json.dumps(dict(zip(["seconds", "peak_rss_mb", "output"], snapshot_once(args.snapshot_only), strict=True)))
        )
        return
    if args.pages_only:
        print(json.dumps(pages_here(args.requests)))
        return
    RESULTS.mkdir(exist_ok=True)
    out = {"snapshot_reach": {}, "pages": None}
    for pair in args.databases:
        size, name = pair.split("=")
        url = database_url(name)
        load = os.getloadavg()
        result = snapshot_in_child(url)
        result["load_before"] = [round(x, 2) for x in load]
        result["load_after"] = [round(x, 2) for x in os.getloadavg()]
        out["snapshot_reach"][size] = result
        print(size, result, flush=True)
        if args.page_size and int(size) == args.page_size:
            referrals = add_a_year(url)
            load = os.getloadavg()
            pages = measure_pages(url, args.requests)
            out["pages"] = {
                "size": int(size),
                "referrals": referrals[0],
                "from": str(referrals[1]),
                "to": str(referrals[2]),
                "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()],
                **pages,
            }
            print(out["pages"], flush=True)
    (RESULTS / "analytics.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
