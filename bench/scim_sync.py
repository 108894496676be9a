"""A SCIM full sync, as an identity provider runs it: one PUT /scim/v2/Users/<id> per user.

    .venv/bin/python bench/scim_sync.py                        # 10,000 users in rb21_bench
    .venv/bin/python bench/scim_sync.py --users 2000 --database rb21_bench_small

It (re)creates the database on the server of BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, provisions N employees (bulk, with 20
divisions and a manager each for half of them), issues a `scim` token, then PUTs every user
through Django's test client (the whole stack but the socket: the SCIM auth check, django-scim2's
views, accounts/scim.py, the employee services, the audit row, one transaction a request) in two
passes: every user changed (new title, department and manager: the first sync after a
reorganisation), then the same bodies again (nothing to change: the everyday full sync). It
prints JSON with users per second and the median and 95th percentile of a PUT in milliseconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def database_url(name):
    return urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))


def fresh_database(name):
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def provision(count):
    from django.contrib.auth.hashers import make_password

    from accounts.models import Division, User

    divisions = Division.objects.bulk_create([Division(code=f"div-{n}", name=f"Division {n}") for n in range(20)])
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=f"user{n}@example.com",
                full_name=f"User Number{n}",
                employee_id=f"E{n:06d}",
                title="Analyst",
                division=divisions[n % 20],
                password=unusable,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    return list(User.objects.order_by("pk").values_list("pk", flat=True))


def body(pk, n, ids):
    manager = ids[(n // 10) * 10] if n % 10 else None  # a manager for every ten people
    enterprise = {"employeeNumber": f"E{n:06d}", "department": f"Division {(n + 1) % 20}"}
    if manager and manager != pk:
        enterprise["manager"] = {"value": str(manager)}
    return {
        "schemas": [CORE, ENTERPRISE],
        "id": str(pk),
        "userName": f"user{n}@example.com",
        "name": {"givenName": "User", "familyName": f"Number{n}"},
        "emails": [{"value": f"user{n}@example.com", "type": "work", "primary": True}],
        "title": "Senior Analyst",
        "active": True,
        ENTERPRISE: enterprise,
    }


def sync(client, headers, ids):
    samples = []
    started = time.perf_counter()
    for n, pk in enumerate(ids):
        payload = json.dumps(body(pk, n, ids))
        t0 = time.perf_counter()
        response = client.put(f"/scim/v2/Users/{pk}", payload, content_type="application/scim+json", **headers)
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"PUT {pk}: {response.status_code} {response.content[:300]!r}")
    seconds = time.perf_counter() - started
    return {
        "users": len(ids),
        "seconds": round(seconds, 1),
        "users_per_second": round(len(ids) / seconds, 1),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--database", default="rb21_bench")
    args = parser.parse_args()

    fresh_database(args.database)
    url = database_url(args.database)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts.models import ServiceAccount
    from accounts.services import token_issue

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    ids = provision(args.users)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    provisioned = round(time.perf_counter() - started, 1)
    _, plain = token_issue(service_account=ServiceAccount.objects.create(name="okta"), scope="scim")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    changed = sync(client, headers, ids)
    unchanged = sync(client, headers, ids)
    print(json.dumps({"provisioned_seconds": provisioned, "changed": changed, "unchanged": unchanged}, indent=2))


if __name__ == "__main__":
    main()
