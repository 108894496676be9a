"""Emails about the network, sent by the tasks worker once the change that caused them commits.

Tasks take ids, never objects: the worker loads the current rows, so a request withdrawn or an
employee deactivated meanwhile sends nothing.
"""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from config.mail import send_templated_mail

from .models import ConnectionRequest


def _load(request_id):
    return ConnectionRequest.objects.select_related("sender", "recipient").filter(pk=request_id).first()


def _wants_mail(user):
    """Only active employees who kept `notify_connection_requests` on (/settings/) get these."""
    return bool(user.is_active and user.notify_connection_requests and user.email)


def _send_about(request_id, *, status, to, about, template):
    """Mail `to` (the "sender" or "recipient" side) about the other side of a request, if the
    request is still in `status`, the other side is still active and `to` wants these emails."""
    request_obj = _load(request_id)
    if request_obj is None or request_obj.status != status:
        return False
    reader, subject = getattr(request_obj, to), getattr(request_obj, about)
    if not (subject.is_active and _wants_mail(reader)):
        return False
    send_templated_mail(
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
    return True


@task()
def send_connection_request_email(request_id):
    """Tell the recipient of a new request who asked, with their note and a link to answer.

    Nothing is sent if the request is no longer pending or either side left.
    """
    return _send_about(
        request_id, status=ConnectionRequest.Status.PENDING, to="recipient", about="sender", template="emails/connection_request"
    )


@task()
def send_connection_accepted_email(request_id):
    """Tell the sender that their request was accepted, with a link to their network."""
    return _send_about(
        request_id, status=ConnectionRequest.Status.ACCEPTED, to="sender", about="recipient", template="emails/connection_accepted"
    )
