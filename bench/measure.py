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
from smtp_sink import SmtpSink  # noqa: E402

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


def summary(samples):
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "n": len(samples),
    }


def timed(fn, n=REQUESTS):
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return summary(samples)


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


def event_viewer(most=None):
    """The largest past event (the 2,000-person training from 10,000 employees on, about fifty
    people in a smaller company), or the largest of at most `most` attendees, and one of its
    attendees with unconnected fellow attendees."""
    from django.utils import timezone

    from events.models import Event

    events = Event.objects.filter(starts_at__lte=timezone.now()).annotate(n=Count("attendances"))
    if most is not None:
        events = events.filter(n__lte=most)
    event = events.order_by("-n", "pk").first()
    attendee = User.objects.filter(is_active=True, event_attendances__event=event).order_by("pk").first()
    return event, event.attendances.count(), attendee


def events(results):
    """The event page an attendee sees (attendee list paginated, ranked for meeting people) and
    the network page of an attendee whose suggestions carry event reasons ("Both at …"). The
    viewer's suggestions are checked first, so the row measures what its name says."""
    from accounts.network.suggestions import suggestions_for
    from events.models import Attendance, Event

    event, size, viewer = event_viewer()
    reasons = [s.reason for s in suggestions_for(viewer)]
    if not any(reason.startswith("Both at") for reason in reasons):
        raise SystemExit(f"no event reason among the suggestions of {viewer.pk}: {reasons}")
    client = Client()
    client.force_login(viewer)
    page = get_ok(client, f"/events/{event.pk}/").content.decode()
    if "Both at" not in get_ok(client, "/network/").content.decode():
        raise SystemExit("the network page shows no event reason")
    results["events"] = {
        "events": Event.objects.count(),
        "attendances": Attendance.objects.count(),
        "measured_event_attendees": size,
        "event_page_paginated": "?page=2" in page,
        "event_reasons_shown": sum(reason.startswith("Both at") for reason in reasons),
    }
    scenarios = results["scenarios"]
    scenarios["Event page (attendee, paginated)"] = timed(lambda: get_ok(client, f"/events/{event.pk}/"))
    scenarios["Network page with event suggestions"] = timed(lambda: get_ok(client, "/network/"))
    # The same page at an event of the same size in every company (the generated events have 10
    # to 51 attendees): what the company's size alone costs.
    typical, typical_size, typical_viewer = event_viewer(most=51)
    other = Client()
    other.force_login(typical_viewer)
    results["events"]["typical_event_attendees"] = typical_size
    scenarios["Event page (attendee, event of at most 51)"] = timed(lambda: get_ok(other, f"/events/{typical.pk}/"))


BATCH = 200


def digest(results):
    """The weekly digest per recipient, as `send_weekly_digest` runs it.

    Three batches of 200 consecutive recipients (a quarter, half and three quarters into the
    company, clear of the demo personas at the start), each sent three times after a warm-up
    through Django's SMTP backend to a sink on 127.0.0.1: claims, content, rendering, MIME and
    the SMTP exchange. The week's claim rows are deleted between runs so every run sends again.
    Build and render are also timed on their own, and the content of the emails is recorded:
    the figures only compare like with like when the emails are alike.
    """
    from openings.models import DigestDelivery

    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    week = digest_lib.week_of()
    everyone = list(digest_lib.recipients().values_list("pk", flat=True))
    batches = [everyone[int(len(everyone) * f) :][:BATCH] for f in (0.25, 0.5, 0.75)]
    sent, built, rendered, shown, reach, emails = [], [], [], [], [], 0
    for ids in batches:
        for run in range(4):  # the first run warms up
            DigestDelivery.objects.filter(week=week, user_id__in=ids).delete()
            started = time.perf_counter()
            stats = digest_lib.send_batch(ids, week=week)
            elapsed = time.perf_counter() - started
            if stats.failed:
                raise SystemExit(f"digest sends failed: {stats.failures[:3]}")
            users = list(digest_lib.recipients().filter(pk__in=ids).select_related("division", "location"))
            digests, build, render = build_and_render(users, week)
            if run:
                sent.append(elapsed * 1000 / len(ids))
                built.append(build * 1000 / len(ids))
                rendered.append(render * 1000 / len(ids))
                emails += stats.sent
                full = [d for d in digests if not d.is_empty]
                shown += [len(d.openings) for d in full]
                reach += [d.total_openings for d in full]
        DigestDelivery.objects.filter(week=week, user_id__in=ids).delete()
    sink.shutdown()
    full_emails = equal_content(batches, week)
    runs = len(sent)
    scenarios = results["scenarios"]
    scenarios["Digest sent (per recipient, batches of 200)"] = summary(sent)
    scenarios["Digest built and rendered (per recipient)"] = summary(
        [b + r for b, r in zip(built, rendered, strict=True)]
    )
    scenarios["Digest built and rendered, ten openings in every email"] = full_emails.pop("scenario")
    total = sum(sent)
    results["digest"] = {
        "digests_per_second": round(1000 / statistics.median(sent), 1),
        "build_share": round(sum(built) / total, 3),
        "render_share": round(sum(rendered) / total, 3),
        "emails_share": round(emails / (runs * BATCH), 3),
        "openings_shown": round(statistics.mean(shown), 1) if shown else 0,
        "openings_in_network": round(statistics.mean(reach), 1) if reach else 0,
        "smtp_received": sink.received,
        **full_emails,
    }


def build_and_render(users, week):
    """One batch's digests, and the seconds spent building them and rendering the non-empty ones."""
    started = time.perf_counter()
    digests = digest_lib.build_digests(users, week=week)
    built = time.perf_counter()
    for d in digests:
        if not d.is_empty:
            digest_lib.render_digest(d).message()
    return digests, built - started, time.perf_counter() - built


def equal_content(batches, week):
    """Build and render per recipient with emails as full as a large company's (ten openings).

    A small company opens a handful of openings a week (about five at 1,000 employees), so its
    digests hold one opening where a large company's hold ten, and cost less to render for that
    reason alone. To compare like with like, this looks back 7 days, or 14, 28 or 56 where a
    week does not fill the emails (at 1,000 employees), and measures the same batches again.
    Only the benchmark changes the look-back; the product's digest is always the last 7 days.
    """
    import datetime as dt

    weekly = digest_lib.WINDOW
    users = [list(digest_lib.recipients().filter(pk__in=ids).select_related("division", "location")) for ids in batches]
    try:
        for days in (7, 14, 28, 56):
            digest_lib.WINDOW = dt.timedelta(days=days)
            digests = digest_lib.build_digests(users[0], week=week)
            if statistics.mean(len(d.openings) for d in digests) >= 9.5:
                break
        samples = []
        for batch in users:
            for run in range(4):
                _digests, build, render = build_and_render(batch, week)
                if run:
                    samples.append((build + render) * 1000 / len(batch))
    finally:
        digest_lib.WINDOW = weekly
    return {"scenario": summary(samples), "equal_content_days": days}


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
        scenarios[f"API openings list ({label})"] = timed(
            lambda client=client, auth=auth: get_ok(client, "/api/v1/openings/", **auth)
        )
        scenarios[f"Portal openings list ({label})"] = timed(lambda client=client: get_ok(client, "/openings/"))

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

    events(results)
    if os.environ.get("BENCH_SCENARIOS") != "events":  # bench/alternate.py skips the digest
        digest(results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
