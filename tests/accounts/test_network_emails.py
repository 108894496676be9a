"""Emails about the network: a new request to its recipient, an acceptance to its sender."""

import pytest
from django.core import mail

from accounts import network
from accounts.models import ConnectionRequest
from accounts.services import employee_deactivate
from accounts.tasks import send_connection_accepted_email, send_connection_request_email


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what would happen after the transaction commits (tasks are enqueued then)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_a_new_request_emails_the_recipient_with_a_link_back(committed, poster, stranger):
    with committed():
        network.connection_request_send(sender=poster, recipient=stranger, message="Coffee next week?")
    [message] = mail.outbox
    assert message.to == [stranger.email]
    assert message.subject == "Paula Poster wants to connect with you"
    assert "Coffee next week?" in message.body and "http://testserver/network/" in message.body
    html = html_of(message)
    assert 'href="http://testserver/network/"' in html and "Coffee next week?" in html
    assert f'href="http://testserver/people/{poster.pk}/"' in html


def test_acceptance_emails_the_sender(committed, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    with committed():
        network.connection_request_accept(request_obj=request_obj, by=stranger)
    [message] = mail.outbox
    assert message.to == [poster.email]
    assert message.subject == "Stella Stranger accepted your connection request"
    assert "http://testserver/network/" in message.body
    assert 'href="http://testserver/network/"' in html_of(message)


def test_asking_back_emails_the_first_sender_that_they_are_connected(committed, poster, stranger):
    network.connection_request_send(sender=stranger, recipient=poster)
    with committed():
        network.connection_request_send(sender=poster, recipient=stranger)
    [message] = mail.outbox
    assert message.to == [stranger.email] and "accepted" in message.subject


def test_decline_and_withdraw_send_nothing(committed, poster, stranger, hr):
    declined = network.connection_request_send(sender=poster, recipient=stranger)
    withdrawn = network.connection_request_send(sender=poster, recipient=hr)
    with committed():
        network.connection_request_decline(request_obj=declined, by=stranger)
        network.connection_request_withdraw(request_obj=withdrawn, by=poster)
    assert mail.outbox == []


def test_the_preference_switches_request_emails_off(committed, poster, stranger):
    stranger.notify_connection_requests = False
    stranger.save()
    with committed():
        request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    assert mail.outbox == []
    poster.notify_connection_requests = False
    poster.save()
    with committed():
        network.connection_request_accept(request_obj=request_obj, by=stranger)
    assert mail.outbox == []


def test_the_preference_is_on_the_settings_page(client, poster):
    client.force_login(poster)
    assert "Connection requests" in client.get("/settings/").content.decode()
    client.post("/settings/", {"notify_referrals": "on", "digest_enabled": "on"})
    poster.refresh_from_db()
    assert poster.notify_connection_requests is False


def test_a_refused_request_sends_nothing(committed, poster, direct):
    with committed(), pytest.raises(network.NetworkError):
        network.connection_request_send(sender=poster, recipient=direct)
    assert mail.outbox == []


def test_the_task_sends_nothing_once_the_request_is_withdrawn_or_a_side_left(poster, stranger, hr):
    withdrawn = network.connection_request_send(sender=poster, recipient=stranger)
    network.connection_request_withdraw(request_obj=withdrawn, by=poster)
    assert send_connection_request_email.call(withdrawn.pk) is False
    to_leaver = network.connection_request_send(sender=poster, recipient=hr)
    employee_deactivate(employee=hr)
    assert send_connection_request_email.call(to_leaver.pk) is False
    assert send_connection_request_email.call(987654) is False
    assert send_connection_accepted_email.call(to_leaver.pk) is False  # still pending, not accepted
    assert mail.outbox == []


def test_tasks_take_ids(poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    assert send_connection_request_email.call(request_obj.pk) is True
    assert mail.outbox[0].to == [stranger.email]
    assert ConnectionRequest.objects.get().status == ConnectionRequest.Status.PENDING
