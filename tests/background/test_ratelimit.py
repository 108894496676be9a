"""Exact rate limits: 16 concurrent clients on one budget never get more than the budget through."""

import threading

import pytest
from django.db import connection, connections

from background.ratelimit import rate_hit

CLIENTS = 16
EACH = 25
LIMIT = 150


def hammer(ident):
    """16 threads, each with its own connection, 25 requests each (400 against a budget of 150)."""
    barrier = threading.Barrier(CLIENTS)
    allowed = []
    lock = threading.Lock()

    def client():
        try:
            barrier.wait(timeout=10)
            mine = sum(rate_hit(ident, limit=LIMIT, seconds=3600)[0] for _ in range(EACH))
            with lock:
                allowed.append(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(allowed) == CLIENTS
    return sum(allowed)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises every write")
def test_sixteen_concurrent_clients_get_exactly_the_budget_through_the_database(settings):
    settings.REDIS_URL = ""
    assert hammer("test:db") == LIMIT


def _redis_up():
    try:
        import redis

        return redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (REDIS_URL)")
def test_sixteen_concurrent_clients_get_exactly_the_budget_through_redis(settings):
    import uuid

    from django.core.cache import caches

    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    try:
        assert hammer(f"test:redis:{uuid.uuid4().hex}") == LIMIT
    finally:
        caches["default"].close()


@pytest.mark.django_db
def test_a_new_window_starts_a_new_budget(settings):
    import time_machine

    settings.REDIS_URL = ""
    with time_machine.travel("2026-12-01 10:00:10", tick=False):
        assert [rate_hit("w", limit=2)[0] for _ in range(3)] == [True, True, False]
        assert rate_hit("w", limit=2)[1] == 50  # seconds until the minute ends
    with time_machine.travel("2026-12-01 10:01:00", tick=False):
        assert rate_hit("w", limit=2)[0] is True
