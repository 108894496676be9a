"""A bounded load test: 50 employees browsing, connecting and referring for 60 seconds.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/referral_bench_10000

Starts gunicorn on 127.0.0.1 only (production settings, several workers) against a seeded
PostgreSQL database, runs the virtual employees from threads in this process (standard library
HTTP client: nothing leaves the machine), then loads a bare view (/healthz/, one SELECT 1) with the
same concurrency as the ceiling to compare with. Writes bench/results/load.json, which
bench/report.py adds to docs/benchmarks.md.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r'href="/openings/(\d+)/"')


def setup(database_url, users, secret_key):
    """Sessions and tokens for `users` active employees with a network (run through Django)."""
    code = f"""
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from accounts.models import User
from accounts.services import token_issue
people = list(User.objects.active().annotate(n=Count("connections_out")).filter(n__gte=5).order_by("pk")[:{users}])
out = []
for user in people:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out.append({{"id": user.pk, "session": session.session_key, "token": token_issue(user=user, name="load")[1]}})
print("JSON" + json.dumps(out))
"""
    # The sessions are signed with the server's SECRET_KEY, so both sides must share it.
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.split("JSON", 1)[1])


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (name, ms, status)

    def add(self, name, ms, status):
        with self.lock:
            self.samples.append((name, ms, status))


class Employee(threading.Thread):
    """One virtual employee: browse openings and a detail page, the network, the directory,
    now and then ask someone to connect or refer a candidate."""

    def __init__(self, port, person, recorder, deadline, rng):
        super().__init__(daemon=True)
        self.port, self.person, self.recorder, self.deadline, self.rng = port, person, recorder, deadline, rng
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, name, method, path, body=None, api=False):
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if api:
            headers["Authorization"] = f"Bearer {self.person['token']}"
            headers["Content-Type"] = "application/json"
        else:
            headers["Cookie"] = f"sessionid={self.person['session']}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            data, status = b"", 599
        self.recorder.add(name, (time.perf_counter() - started) * 1000, status)
        return status, data

    def run(self):
        while time.monotonic() < self.deadline:
            status, page = self.request("GET /openings/", "GET", "/openings/")
            ids = LINK.findall(page.decode(errors="replace"))
            if ids:
                self.request("GET /openings/<id>/", "GET", f"/openings/{self.rng.choice(ids)}/")
            self.request("GET /network/", "GET", "/network/")
            self.request("GET /people/?q=", "GET", f"/people/?q={self.rng.choice('aeiou')}")
            self.request("GET /api/v1/openings/", "GET", "/api/v1/openings/", api=True)
            roll = self.rng.random()
            if roll < 0.15:
                status, data = self.request("GET /api/v1/suggestions/", "GET", "/api/v1/suggestions/", api=True)
                results = json.loads(data or b"{}").get("results", []) if status == 200 else []
                if results:
                    target = self.rng.choice(results)
                    target_id = target["employee"]["id"]
                    self.request(
                        "POST /api/v1/connection-requests/",
                        "POST",
                        "/api/v1/connection-requests/",
                        {"to": target_id},
                        api=True,
                    )
            elif roll < 0.25 and ids:
                self.request(
                    "POST /api/v1/referrals/",
                    "POST",
                    "/api/v1/referrals/",
                    {
                        "opening": int(self.rng.choice(ids)),
                        "candidate_name": "Load Test Candidate",
                        "candidate_email": f"candidate-{secrets.token_hex(6)}@example.org",
                        "relationship": "We worked together.",
                        "why_fit": "Strong fit.",
                        "consent_confirmed": True,
                    },
                    api=True,
                )


class Bare(Employee):
    def run(self):
        while time.monotonic() < self.deadline:
            self.request("GET /healthz/", "GET", "/healthz/")


def summarise(recorder, seconds):
    samples = recorder.samples
    latencies = sorted(ms for _, ms, _ in samples)

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))], 1) if latencies else None

    errors = sum(1 for _, _, status in samples if status >= 500)
    refused = sum(1 for _, _, status in samples if 400 <= status < 500)
    return {
        "requests": len(samples),
        "throughput_rps": round(len(samples) / seconds, 1),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors_5xx_or_network": errors,
        "answered_4xx": refused,
        "by_request": {
            name: {
                "count": len(ms),
                "median_ms": round(statistics.median(ms), 1),
            }
            for name, ms in _group(samples).items()
        },
    }


def _group(samples):
    grouped = {}
    for name, ms, _ in samples:
        grouped.setdefault(name, []).append(ms)
    return grouped


def drive(cls, port, people, seconds, seed):
    recorder = Recorder()
    deadline = time.monotonic() + seconds
    threads = [cls(port, person, recorder, deadline, random.Random(seed + i)) for i, person in enumerate(people)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summarise(recorder, time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    secret_key = secrets.token_urlsafe(50)
    people = setup(args.database_url, args.users, secret_key)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "SECURE_SSL_REDIRECT": "false",
        "API_RATE_PER_MINUTE": "100000",
        "CONNECTION_REQUESTS_PER_DAY": "100000",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], env=env, check=True)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/healthz/")
                break
            except OSError:
                time.sleep(0.2)
        product = drive(Employee, args.port, people, args.seconds, seed=1)
        bare = drive(Bare, args.port, people, max(10, args.seconds // 3), seed=2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"users": args.users, "seconds": args.seconds, "workers": args.workers, "product": product, "bare": bare}
    p, b = product, bare
    result["markdown"] = (
        f"{args.users} concurrent employees for {args.seconds} s against gunicorn with {args.workers} workers on "
        f"127.0.0.1 and PostgreSQL, on the same 2-core machine as the load generator "
        f"(`{' '.join(['bench/load.py', '--database-url', '…'])}`).\n\n"
        "| | requests | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | errors (5xx or network) | answered 4xx |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| product mix | {p['requests']} | {p['throughput_rps']} | {p['p50_ms']} | {p['p95_ms']} | {p['p99_ms']} | {p['errors_5xx_or_network']} | {p['answered_4xx']} |\n"
        f"| bare view (`/healthz/`, ceiling) | {b['requests']} | {b['throughput_rps']} | {b['p50_ms']} | {b['p95_ms']} | {b['p99_ms']} | {b['errors_5xx_or_network']} | {b['answered_4xx']} |\n\n"
        "Median by request: "
        + ", ".join(f"{name} {v['median_ms']} ms ({v['count']})" for name, v in sorted(p["by_request"].items()))
        + ".\n"
    )
    (ROOT / "bench" / "results" / "load.json").write_text(json.dumps(result, indent=2))
    print(result["markdown"])


if __name__ == "__main__":
    main()
