"""Exact rate limits: one counter per caller and fixed window, incremented atomically.

With REDIS_URL set the counter is a Redis key (Django's Redis cache: INCR is atomic across every
process). Otherwise it is a RateCounter row, counted by one `INSERT ... ON CONFLICT DO UPDATE SET count =
count + 1 RETURNING count` whose row lock makes concurrent requests count one after the other. On PostgreSQL the row is
written through its own connection (the `counters` alias, the same database) so that the lock is
held for a moment, not for the whole of a write request's transaction. Either way a budget of N
per window lets exactly N requests through in that window, however many processes serve them.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from .models import RateCounter


def _database():
    return getattr(settings, "RATE_COUNTER_DATABASE", "default")


def _window(seconds, now):
    start = int(now // seconds) * seconds
    return start, start + seconds


def _redis_hit(key, seconds):
    # The key names its window, so it cannot expire while its window lasts.
    cache.add(key, 0, timeout=seconds * 2)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: count afresh
        cache.add(key, 1, timeout=seconds * 2)
        return 1


def _database_hit(key, ends_at):
    # One statement, so it is atomic on its own: the row lock lasts this statement only (on its
    # own connection, in autocommit), and RETURNING gives this request's own count.
    using = _database()
    table = connections[using].ops.quote_name(RateCounter._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, ends_at],
        )
        return cursor.fetchone()[0]


def rate_hit(ident, *, limit, seconds=60):
    """Count one request of `ident`; returns (allowed, seconds until the window resets).

    Windows are fixed (e.g. each calendar minute): at most `limit` requests are let through in
    each, across every process.
    """
    now = time.time()
    start, end = _window(seconds, now)
    key = f"rate:{ident}:{start}"
    if settings.REDIS_URL:
        count = _redis_hit(key, seconds)
    else:
        count = _database_hit(key, timezone.now() + timedelta(seconds=end - now))
    return count <= limit, max(1, int(end - now + 0.999))


def rate_counters_prune():
    """Forget the database counters of windows that are over (the worker's sweep calls this)."""
    return RateCounter.objects.using(_database()).filter(expires_at__lt=timezone.now()).delete()[0]
