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


@task()
def send_connection_request_email(request_id):
    """Tell the recipient of a new request who asked, with their note and a link to answer.

    Nothing is sent if the request is no longer pending or either side left.
    """
    request_obj = _load(request_id)
    if request_obj is None or request_obj.status != ConnectionRequest.Status.PENDING:
        return False
    if not (request_obj.sender.is_active and _wants_mail(request_obj.recipient)):
        return False
    send_templated_mail(
        to=request_obj.recipient.email,
        template="emails/connection_request",
        context={
            "request": request_obj,
            "sender": request_obj.sender,
            "recipient": request_obj.recipient,
            "network_url": settings.SITE_URL + reverse("network:home"),
            "profile_url": settings.SITE_URL + reverse("network:profile", args=[request_obj.sender_id]),
        },
    )
    return True


@task()
def send_connection_accepted_email(request_id):
    """Tell the sender that their request was accepted, with a link to their network."""
    request_obj = _load(request_id)
    if request_obj is None or request_obj.status != ConnectionRequest.Status.ACCEPTED:
        return False
    if not (request_obj.recipient.is_active and _wants_mail(request_obj.sender)):
        return False
    send_templated_mail(
        to=request_obj.sender.email,
        template="emails/connection_accepted",
        context={
            "request": request_obj,
            "sender": request_obj.sender,
            "recipient": request_obj.recipient,
            "network_url": settings.SITE_URL + reverse("network:home"),
            "profile_url": settings.SITE_URL + reverse("network:profile", args=[request_obj.recipient_id]),
        },
    )
    return True
