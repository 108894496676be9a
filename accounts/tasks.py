"""Emails about the network, sent by the tasks worker once the change that caused them commits.

Tasks take ids, never objects: the worker loads the current rows, so a request withdrawn or an
employee deactivated meanwhile sends nothing.
"""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from config.mail import render_templated_mail

from .models import ConnectionRequest
from .roles import is_employee


def _load(request_id):
    return ConnectionRequest.objects.select_related("sender", "recipient").filter(pk=request_id).first()


def _wants_mail(user):
    """Only active employees who kept `notify_connection_requests` on (/settings/) get these."""
    return bool(is_employee(user) and user.notify_connection_requests and user.email)


def _build_about(request_id, *, status, to, about, template):
    """The email to `to` (the "sender" or "recipient" side) about the other side of a request, if
    the request is still in `status`, the other side is still active and `to` wants these emails;
    otherwise None."""
    request_obj = _load(request_id)
    if request_obj is None or request_obj.status != status:
        return None
    reader, subject = getattr(request_obj, to), getattr(request_obj, about)
    if not (is_employee(subject) and _wants_mail(reader)):
        return None
    return render_templated_mail(
        to=reader.email,
        template=template,
        context={
            "request": request_obj,
            "sender": request_obj.sender,
            "recipient": request_obj.recipient,
            "network_url": settings.SITE_URL + reverse("network:home"),
            "profile_url": settings.SITE_URL + reverse("network:profile", args=[subject.pk]),
        },
    )


def build_connection_request_email(request_id):
    """The recipient's email about a new request: who asked, their note and a link to answer.

    None if the request is no longer pending or either side left.
    """
    return _build_about(
        request_id,
        status=ConnectionRequest.Status.PENDING,
        to="recipient",
        about="sender",
        template="emails/connection_request",
    )


def build_connection_accepted_email(request_id):
    """The sender's email saying their request was accepted, with a link to their network."""
    return _build_about(
        request_id,
        status=ConnectionRequest.Status.ACCEPTED,
        to="sender",
        about="recipient",
        template="emails/connection_accepted",
    )


def _send(message):
    if message is None:
        return False
    message.send()
    return True


@task()
def send_connection_request_email(request_id):
    """Send `build_connection_request_email` at once (the outbox normally does it); True if sent."""
    return _send(build_connection_request_email(request_id))


@task()
def send_connection_accepted_email(request_id):
    """Send `build_connection_accepted_email` at once (the outbox normally does it); True if sent."""
    return _send(build_connection_accepted_email(request_id))
