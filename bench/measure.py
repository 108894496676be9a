"""Latency of the pages and API lists that grow with the company, measured in-process.

Run by bench/run.py against an already seeded database (DATABASE_URL): it picks viewers with a
small and a large network, requests each page a number of times through Django's test client
(the whole stack but the socket: middleware, sessions, templates, the database) and prints JSON
with the median and 95th percentile of each, in milliseconds.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Connection, User  # noqa: E402
from accounts.services import token_issue  # noqa: E402
from openings import digest as digest_lib  # noqa: E402
from openings.models import Opening  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
WARMUP = 3


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn, n=REQUESTS):
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 0.95), 2), "n": n}


def get_ok(client, url, **extra):
    response = client.get(url, **extra)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def viewers():
    """Employees at the 10th and the 99th percentile of network size."""
    degrees = list(
        Connection.objects.filter(from_user__is_active=True)
        .values("from_user_id")
        .annotate(n=Count("to_user_id"))
        .order_by("n", "from_user_id")
        .values_list("from_user_id", "n")
    )
    small = degrees[len(degrees) // 10]
    large = degrees[min(len(degrees) - 1, int(len(degrees) * 0.99))]
    return User.objects.get(pk=small[0]), small[1], User.objects.get(pk=large[0]), large[1]


def main():
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # manifest storage, as in production
    small, small_n, large, large_n = viewers()
    results = {
        "employees": User.objects.active().count(),
        "connections": Connection.objects.count() // 2,
        "openings": Opening.objects.count(),
        "open_openings": Opening.objects.open().count(),
        "small_network": small_n,
        "large_network": large_n,
        "scenarios": {},
    }
    scenarios = results["scenarios"]
    for label, viewer in (("small network", small), ("large network", large)):
        client = Client()
        client.force_login(viewer)
        token = token_issue(user=viewer, name="bench")[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        scenarios[f"API openings list ({label})"] = timed(lambda: get_ok(client, "/api/v1/openings/", **auth))
        scenarios[f"Portal openings list ({label})"] = timed(lambda: get_ok(client, "/openings/"))

    # An opening's detail with the audience preview, seen by its poster (an extended opening of a
    # well-connected poster: the largest audience to count).
    opening = (
        Opening.objects.open()
        .filter(visibility=Opening.Visibility.EXTENDED)
        .annotate(n=Count("posted_by__connections_out"))
        .order_by("-n", "pk")
        .first()
    )
    poster = Client()
    poster.force_login(opening.posted_by)
    scenarios["Opening detail with audience preview"] = timed(lambda: get_ok(poster, f"/openings/{opening.pk}/"))

    client = Client()
    client.force_login(large)
    friend = Connection.objects.filter(from_user=large).values_list("to_user_id", flat=True).first()
    second = (
        Connection.objects.filter(from_user_id=friend, to_user__is_active=True)
        .exclude(to_user_id__in=Connection.objects.filter(from_user=large).values("to_user_id"))
        .exclude(to_user_id=large.pk)
        .values_list("to_user_id", flat=True)
        .first()
    )
    scenarios["Profile with mutual connections"] = timed(lambda: get_ok(client, f"/people/{second}/"))
    scenarios["Network page with suggestions"] = timed(lambda: get_ok(client, "/network/"))

    # The digest: build one batch of recipients and render each email.
    week = digest_lib.week_of()
    recipients = list(digest_lib.recipients()[:200])
    gather, render, built = [], [], 0
    for _ in range(3):
        started = time.perf_counter()
        digests = digest_lib.build_digests(recipients, week=week)
        gather.append(time.perf_counter() - started)
        started = time.perf_counter()
        for d in digests:
            if not d.is_empty:
                digest_lib.render_digest(d).message()
                built += 1
        render.append(time.perf_counter() - started)
    per_digest = [(g + r) * 1000 / len(recipients) for g, r in zip(gather, render)]
    scenarios["Digest (per recipient, batch of 200)"] = {
        "median_ms": round(statistics.median(per_digest), 2),
        "p95_ms": round(max(per_digest), 2),
        "n": 3,
    }
    results["digest"] = {
        "digests_per_second": round(len(recipients) / statistics.median([g + r for g, r in zip(gather, render)]), 1),
        "gather_share": round(sum(gather) / (sum(gather) + sum(render)), 3),
        "render_share": round(sum(render) / (sum(gather) + sum(render)), 3),
        "non_empty": built // 3,
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
