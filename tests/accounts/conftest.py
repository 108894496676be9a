import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth keeps its rate-limit counters in the cache, which outlives a test; every test starts
    with none, so that one test's failed logins never lock another test out."""
    cache.clear()
    yield
    cache.clear()
