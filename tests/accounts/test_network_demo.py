"""The demo network: realistic, deterministic, and valid by the network's own rules."""

import io
import random
import statistics

import pytest
from django.db import transaction

from accounts import demo, network
from accounts.demo_network import seed_network
from accounts.models import Connection, ConnectionRequest, User


class Rollback(Exception):
    pass


def build(seed, employees, **kwargs):
    """Seed a company and its network; return its connections and requests by HRIS id, then undo it."""
    out = io.StringIO()
    try:
        with transaction.atomic():
            rng = random.Random(seed)
            company = demo.seed_people(rng, employees)
            seed_network(rng, company, out, **kwargs)
            hris = dict(User.objects.values_list("id", "employee_id"))
            result = {
                "company": company,
                "connections": sorted(
                    (hris[a], hris[b]) for a, b in Connection.objects.values_list("from_user", "to_user")
                ),
                "requests": sorted(
                    (hris[s], hris[r], status)
                    for s, r, status in ConnectionRequest.objects.values_list("sender", "recipient", "status")
                ),
                "degrees": [
                    len(list(network.connections_of(u))) for u in User.objects.filter(pk__in=company.employee_ids)
                ],
                "personas": {
                    name: network.incoming_requests(User.objects.get(pk=pk)).count()
                    for name, pk in company.personas.items()
                },
                "out": out.getvalue(),
            }
            raise Rollback
    except Rollback:
        return result


@pytest.fixture(scope="module")
def default_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return build(2026, 300)


def test_the_same_seed_gives_the_same_network(db, default_demo):
    again = build(2026, 300)
    assert again["connections"] == default_demo["connections"]
    assert again["requests"] == default_demo["requests"]


def test_about_15_to_30_connections_each_for_the_default_company(default_demo):
    degrees = default_demo["degrees"]
    assert 15 <= statistics.mean(degrees) <= 30
    assert min(degrees) >= 4  # everyone has at least their team or a few colleagues
    assert "connections (about" in default_demo["out"]


def test_connections_are_stored_both_ways_and_dense_within_teams(default_demo):
    pairs = set(default_demo["connections"])
    assert all((b, a) in pairs for a, b in pairs)
    assert all(a != b for a, b in pairs)


def test_teams_are_fully_connected_and_fewer_links_cross_divisions(db):
    rng = random.Random(7)
    company = demo.seed_people(rng, 200)
    seed_network(rng, company, io.StringIO())
    linked = set(Connection.objects.values_list("from_user", "to_user"))
    for team in company.teams:
        assert all((a, b) in linked for a in team for b in team if a != b)
    across = sum(company.division_of[a] != company.division_of[b] for a, b in linked)
    assert 0 < across < len(linked) / 2


def test_every_persona_has_pending_requests_that_obey_the_rules(default_demo):
    assert all(n >= 3 for n in default_demo["personas"].values())
    pending = [(s, r) for s, r, status in default_demo["requests"] if status == "pending"]
    connected = set(default_demo["connections"])
    assert not any((s, r) in connected for s, r in pending)
    assert len({frozenset(p) for p in pending}) == len(pending)


def test_the_average_degree_is_a_parameter(db):
    result = build(11, 400, average_degree=40)
    assert 34 <= statistics.mean(result["degrees"]) <= 46


def test_seed_demo_builds_the_network(db):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", employees=60, seed=3, stdout=out)
    assert "Network:" in out.getvalue()
    assert Connection.objects.exists() and ConnectionRequest.objects.filter(status="pending").exists()
