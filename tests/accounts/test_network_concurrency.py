"""Two simultaneous requests for one pair: the database's constraint lets exactly one through.

Runs on PostgreSQL only: each thread needs its own connection and real concurrent transactions.
"""

import threading

import pytest
from django.db import connection, connections

from accounts.models import Connection, ConnectionRequest
from accounts.network import services as network
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every write, so two requests can never race",
    ),
]


def race(*calls):
    """Start every call at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except network.NetworkError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = ("crashed", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def pair():
    return UserFactory(), UserFactory()


def test_the_same_request_twice_at_once_makes_one(pair):
    a, b = pair
    outcomes = race(
        lambda: network.connection_request_send(sender=a, recipient=b),
        lambda: network.connection_request_send(sender=a, recipient=b),
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    assert ConnectionRequest.objects.filter(status="pending").count() == 1


def test_two_people_asking_each_other_at_once_end_up_connected(pair):
    a, b = pair
    outcomes = race(
        lambda: network.connection_request_send(sender=a, recipient=b),
        lambda: network.connection_request_send(sender=b, recipient=a),
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert ConnectionRequest.objects.count() == 1
    assert ConnectionRequest.objects.get().status == "accepted"
    assert Connection.objects.filter(from_user__in=pair, to_user__in=pair).count() == 2


def test_the_constraint_holds_even_when_both_checks_pass(pair, monkeypatch):
    """Blind the application's own check so that both transactions reach the INSERT: the partial
    unique index must refuse the second, and the loser gets a clear answer, not an error page."""
    a, b = pair
    real = network._pending_between
    checks = threading.local()

    def blind_first_check(x, y):
        checks.n = getattr(checks, "n", 0) + 1
        return ConnectionRequest.objects.none() if checks.n == 1 else real(x, y)

    monkeypatch.setattr(network, "_pending_between", blind_first_check)
    # With the check blinded, only the IntegrityError handler can reach _answer_existing.
    real_answer = network._answer_existing
    answered_after_conflict = []

    def record(*args):
        answered_after_conflict.append(args)
        return real_answer(*args)

    monkeypatch.setattr(network, "_answer_existing", record)
    outcomes = race(
        lambda: network.connection_request_send(sender=a, recipient=b),
        lambda: network.connection_request_send(sender=b, recipient=a),
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len(answered_after_conflict) == 1
    assert ConnectionRequest.objects.count() == 1
    assert ConnectionRequest.objects.get().status == "accepted"


def test_raw_inserts_race_and_one_fails(pair):
    from django.db import IntegrityError

    a, b = pair
    outcomes = race(
        lambda: ConnectionRequest.objects.create(sender=a, recipient=b),
        lambda: ConnectionRequest.objects.create(sender=b, recipient=a),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["crashed", "ok"], outcomes
    assert isinstance([error for kind, error in outcomes if kind == "crashed"][0], IntegrityError)
    assert ConnectionRequest.objects.count() == 1


def test_the_daily_limit_holds_for_simultaneous_requests(settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 1
    sender, b, c = UserFactory(), UserFactory(), UserFactory()
    outcomes = race(
        lambda: network.connection_request_send(sender=sender, recipient=b),
        lambda: network.connection_request_send(sender=sender, recipient=c),
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    assert ConnectionRequest.objects.filter(sender=sender).count() == 1


def test_twenty_crossing_pairs_end_connected_with_no_stray_request_and_no_needless_email(settings):
    """A→B and B→A at the same moment, twenty times: each pair ends with one accepted request,
    both connection rows, no pending row, and (once the outbox is sent) one email per pair: the
    acceptance to whoever asked first. The crossing request's own email is never sent."""
    from django.core import mail

    from background.emails import emails_send

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # the outbox waits
    pairs = [(UserFactory(), UserFactory()) for _ in range(20)]
    for a, b in pairs:
        outcomes = race(
            lambda a=a, b=b: network.connection_request_send(sender=a, recipient=b),
            lambda a=a, b=b: network.connection_request_send(sender=b, recipient=a),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert not ConnectionRequest.objects.filter(status="pending").exists()
    assert ConnectionRequest.objects.filter(status="accepted").count() == 20
    assert ConnectionRequest.objects.count() == 20
    emails_send(limit=1000)
    for a, b in pairs:
        request_obj = ConnectionRequest.objects.get(sender__in=(a, b), recipient__in=(a, b))
        assert Connection.objects.filter(from_user__in=(a, b), to_user__in=(a, b)).count() == 2
        to_pair = [m for m in mail.outbox if m.to[0] in (a.email, b.email)]
        assert [m.to for m in to_pair] == [[request_obj.sender.email]], [m.subject for m in to_pair]
