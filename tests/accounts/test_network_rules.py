"""The network's write rules: requests, answers, removal, cooldown, daily limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Connection, ConnectionRequest, SuggestionDismissal
from accounts.network import NetworkError, NetworkNotFound
from accounts.network import services as network
from accounts.services import employee_deactivate
from tests.factories import UserFactory

Status = ConnectionRequest.Status


def pair_rows(a, b):
    return Connection.objects.filter(from_user__in=[a, b], to_user__in=[a, b]).count()


def test_send_creates_one_pending_request_with_its_message(poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger, message="  Met at the offsite.  ")
    assert request_obj.status == Status.PENDING
    assert request_obj.message == "Met at the offsite."
    assert ConnectionRequest.objects.get().pk == request_obj.pk
    assert not network.are_connected(poster, stranger)


def test_accept_connects_both_ways_in_one_step(poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    network.connection_request_accept(request_obj=request_obj, by=stranger)
    request_obj.refresh_from_db()
    assert request_obj.status == Status.ACCEPTED and request_obj.responded_at is not None
    assert pair_rows(poster, stranger) == 2
    assert network.are_connected(poster, stranger) and network.are_connected(stranger, poster)


def test_accept_writes_nothing_if_the_connection_rows_fail(poster, stranger, monkeypatch):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(network, "_connect", broken)
    with pytest.raises(RuntimeError):
        network.connection_request_accept(request_obj=request_obj, by=stranger)
    assert ConnectionRequest.objects.get().status == Status.PENDING
    assert pair_rows(poster, stranger) == 0


def test_decline_and_withdraw_close_the_request_without_connecting(poster, stranger, hr):
    declined = network.connection_request_send(sender=poster, recipient=stranger)
    network.connection_request_decline(request_obj=declined, by=stranger)
    withdrawn = network.connection_request_send(sender=poster, recipient=hr)
    network.connection_request_withdraw(request_obj=withdrawn, by=poster)
    assert dict(ConnectionRequest.objects.values_list("pk", "status")) == {
        declined.pk: Status.DECLINED,
        withdrawn.pk: Status.WITHDRAWN,
    }
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "action,allowed",
    [
        (network.connection_request_accept, "recipient"),
        (network.connection_request_decline, "recipient"),
        (network.connection_request_withdraw, "sender"),
    ],
)
@pytest.mark.parametrize("actor", ["sender", "recipient", "third"])
def test_only_the_right_party_may_act_others_get_not_found(poster, stranger, hr, action, allowed, actor):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    by = {"sender": poster, "recipient": stranger, "third": hr}[actor]
    if actor == allowed:
        action(request_obj=request_obj, by=by)
        assert ConnectionRequest.objects.get().status != Status.PENDING
    else:
        with pytest.raises(NetworkNotFound):
            action(request_obj=request_obj, by=by)
        assert ConnectionRequest.objects.get().status == Status.PENDING
        assert pair_rows(poster, stranger) == 0


@pytest.mark.parametrize("first", ["accept", "decline", "withdraw"])
def test_a_request_is_answered_once(poster, stranger, first):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    {
        "accept": lambda: network.connection_request_accept(request_obj=request_obj, by=stranger),
        "decline": lambda: network.connection_request_decline(request_obj=request_obj, by=stranger),
        "withdraw": lambda: network.connection_request_withdraw(request_obj=request_obj, by=poster),
    }[first]()
    stale = ConnectionRequest.objects.get(pk=request_obj.pk)
    with pytest.raises(NetworkError, match="already") as error:
        network.connection_request_accept(request_obj=stale, by=stranger)
    assert error.value.status_code == 409
    with pytest.raises(NetworkError, match="already"):
        network.connection_request_withdraw(request_obj=stale, by=poster)


def test_no_request_to_yourself(poster):
    with pytest.raises(NetworkError, match="yourself") as error:
        network.connection_request_send(sender=poster, recipient=poster)
    assert error.value.field == "to" and error.value.status_code == 400
    assert not ConnectionRequest.objects.exists()


def test_no_request_to_a_deactivated_employee(poster, former):
    with pytest.raises(NetworkNotFound):
        network.connection_request_send(sender=poster, recipient=former)
    assert not ConnectionRequest.objects.exists()


def test_no_request_to_an_existing_connection(poster, direct):
    with pytest.raises(NetworkError, match="already connected") as error:
        network.connection_request_send(sender=direct, recipient=poster)
    assert error.value.status_code == 409
    assert not ConnectionRequest.objects.exists()


def test_one_pending_request_per_pair(poster, stranger):
    network.connection_request_send(sender=poster, recipient=stranger)
    with pytest.raises(NetworkError, match="pending") as error:
        network.connection_request_send(sender=poster, recipient=stranger)
    assert error.value.status_code == 409
    assert ConnectionRequest.objects.count() == 1


def test_asking_someone_who_already_asked_you_accepts_theirs(poster, stranger):
    theirs = network.connection_request_send(sender=stranger, recipient=poster)
    answer = network.connection_request_send(sender=poster, recipient=stranger, message="Yes!")
    assert answer.pk == theirs.pk and answer.status == Status.ACCEPTED
    assert ConnectionRequest.objects.count() == 1
    assert network.are_connected(poster, stranger)


def test_the_database_refuses_a_second_pending_request_for_a_pair(poster, stranger):
    from django.db import IntegrityError, transaction

    ConnectionRequest.objects.create(sender=poster, recipient=stranger)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectionRequest.objects.create(sender=stranger, recipient=poster)


def test_a_lost_race_is_answered_as_if_it_came_second(poster, stranger, monkeypatch):
    """When the check passes but the insert hits the constraint, the answer is the same as for a
    request that came second (here: theirs is accepted)."""
    theirs = ConnectionRequest.objects.create(sender=stranger, recipient=poster)
    real = network._pending_between
    calls = []

    def blind_first_time(a, b):
        calls.append((a, b))
        return real(a, b) if len(calls) > 1 else ConnectionRequest.objects.none()

    monkeypatch.setattr(network, "_pending_between", blind_first_time)
    answer = network.connection_request_send(sender=poster, recipient=stranger)
    assert answer.pk == theirs.pk and answer.status == Status.ACCEPTED
    assert ConnectionRequest.objects.count() == 1
    assert network.are_connected(poster, stranger)


def test_a_message_longer_than_allowed_is_refused(poster, stranger):
    with pytest.raises(NetworkError) as error:
        network.connection_request_send(sender=poster, recipient=stranger, message="x" * 301)
    assert error.value.field == "message"
    assert not ConnectionRequest.objects.exists()


# --- Cooldown ---------------------------------------------------------------------------------


def declined_days_ago(sender, recipient, days):
    return ConnectionRequest.objects.create(
        sender=sender,
        recipient=recipient,
        status=Status.DECLINED,
        created_at=timezone.now() - timedelta(days=days + 1),
        responded_at=timezone.now() - timedelta(days=days),
    )


def test_after_a_decline_the_sender_waits_the_cooldown(poster, stranger, settings):
    settings.CONNECTION_REQUEST_COOLDOWN_DAYS = 21
    declined_days_ago(poster, stranger, 20)
    with pytest.raises(NetworkError, match="declined your last request. You can ask again from") as error:
        network.connection_request_send(sender=poster, recipient=stranger)
    assert error.value.code == "cooldown"
    assert not ConnectionRequest.objects.filter(status=Status.PENDING).exists()


def test_after_the_cooldown_the_sender_may_ask_again(poster, stranger, settings):
    settings.CONNECTION_REQUEST_COOLDOWN_DAYS = 21
    declined_days_ago(poster, stranger, 22)
    assert network.connection_request_send(sender=poster, recipient=stranger).status == Status.PENDING


def test_the_cooldown_is_a_setting(poster, stranger, settings):
    settings.CONNECTION_REQUEST_COOLDOWN_DAYS = 3
    declined_days_ago(poster, stranger, 4)
    assert network.connection_request_send(sender=poster, recipient=stranger).status == Status.PENDING


def test_the_declined_person_may_still_ask_the_one_they_declined(poster, stranger):
    declined_days_ago(poster, stranger, 1)
    assert network.connection_request_send(sender=stranger, recipient=poster).status == Status.PENDING


def test_a_withdrawal_has_no_cooldown(poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    network.connection_request_withdraw(request_obj=request_obj, by=poster)
    assert network.connection_request_send(sender=poster, recipient=stranger).status == Status.PENDING


# --- Daily limit ------------------------------------------------------------------------------


def test_the_daily_limit_stops_the_next_request_with_a_clear_message(poster, settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 3
    people = UserFactory.create_batch(4)
    for person in people[:3]:
        network.connection_request_send(sender=poster, recipient=person)
    with pytest.raises(NetworkError, match="3 connection requests in the last 24 hours, the daily limit") as error:
        network.connection_request_send(sender=poster, recipient=people[3])
    assert error.value.status_code == 429 and error.value.code == "limit_reached"
    assert ConnectionRequest.objects.count() == 3


def test_withdrawn_requests_count_toward_the_limit(poster, settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 2
    a, b, c = UserFactory.create_batch(3)
    for person in (a, b):
        network.connection_request_withdraw(
            request_obj=network.connection_request_send(sender=poster, recipient=person), by=poster
        )
    with pytest.raises(NetworkError, match="daily limit"):
        network.connection_request_send(sender=poster, recipient=c)


def test_the_limit_counts_the_last_24_hours_only(poster, settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 1
    old, new = UserFactory.create_batch(2)
    ConnectionRequest.objects.create(sender=poster, recipient=old, created_at=timezone.now() - timedelta(hours=25))
    assert network.connection_request_send(sender=poster, recipient=new).status == Status.PENDING


def test_accepting_theirs_is_not_a_new_request_and_passes_the_limit(poster, stranger, settings):
    settings.CONNECTION_REQUESTS_PER_DAY = 1
    network.connection_request_send(sender=poster, recipient=UserFactory())
    network.connection_request_send(sender=stranger, recipient=poster)
    assert network.connection_request_send(sender=poster, recipient=stranger).status == Status.ACCEPTED


# --- Removing and dismissing ------------------------------------------------------------------


def test_either_side_removes_a_connection_both_rows_go(poster, direct):
    network.connection_remove(user=direct, other=poster)
    assert pair_rows(poster, direct) == 0
    assert not network.are_connected(poster, direct)


def test_removing_someone_you_are_not_connected_with_is_not_found(poster, stranger, former):
    with pytest.raises(NetworkNotFound):
        network.connection_remove(user=poster, other=stranger)
    # A leaver is connected to nobody, even though the rows are still there.
    with pytest.raises(NetworkNotFound):
        network.connection_remove(user=poster, other=former)
    assert pair_rows(poster, former) == 2


def test_after_removal_they_may_connect_again(poster, direct):
    network.connection_remove(user=poster, other=direct)
    assert network.connection_request_send(sender=direct, recipient=poster).status == Status.PENDING


def test_dismiss_is_stored_once(poster, stranger):
    network.suggestion_dismiss(user=poster, dismissed=stranger)
    network.suggestion_dismiss(user=poster, dismissed=stranger)
    assert SuggestionDismissal.objects.filter(user=poster, dismissed=stranger).count() == 1
    with pytest.raises(NetworkError):
        network.suggestion_dismiss(user=poster, dismissed=poster)


# --- Leavers ----------------------------------------------------------------------------------


def test_requests_from_or_to_a_leaver_cannot_be_answered(poster, stranger):
    incoming = network.connection_request_send(sender=stranger, recipient=poster)
    employee_deactivate(employee=stranger)
    with pytest.raises(NetworkNotFound):
        network.connection_request_accept(request_obj=incoming, by=poster)
    assert pair_rows(poster, stranger) == 0


def test_a_leaver_cannot_send(former, stranger):
    with pytest.raises(NetworkNotFound):
        network.connection_request_send(sender=former, recipient=stranger)
