"""Referral emails and the daily retention job, run by the tasks worker.

Tasks take ids, never objects: the worker loads the current rows, so an employee who left or
switched referral emails off on /settings/ meanwhile gets nothing.
"""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from config.mail import send_templated_mail

from .models import Referral, ReferralEvent


def _wants_mail(user):
    """Only active employees who kept `notify_referrals` on (/settings/) get referral emails."""
    return bool(user is not None and user.is_active and user.notify_referrals and user.email)


def _referral_url(referral):
    return settings.SITE_URL + reverse("referrals:detail", args=[referral.pk])


@task()
def send_new_referral_email(referral_id):
    """Tell the opening's poster about a new referral (or an "I'm interested"), with a link to it."""
    referral = (
        Referral.objects.select_related("opening", "opening__posted_by", "referrer").filter(pk=referral_id).first()
    )
    if referral is None or referral.is_erased:
        return False
    poster = referral.opening.posted_by
    if not _wants_mail(poster):
        return False
    send_templated_mail(
        to=poster.email,
        template="emails/referral_new",
        context={"referral": referral, "opening": referral.opening, "poster": poster, "url": _referral_url(referral)},
    )
    return True


@task()
def send_referral_status_email(event_id):
    """Tell the referrer that their referral moved on, with the reason when it was declined.

    Not when the referrer made the change themselves (a withdrawal): they know.
    """
    event = (
        ReferralEvent.objects.select_related("referral", "referral__opening", "referral__referrer", "by")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return False
    referral = event.referral
    referrer = referral.referrer
    if event.by_id is not None and event.by_id == referrer.pk:
        return False
    if not _wants_mail(referrer):
        return False
    send_templated_mail(
        to=referrer.email,
        template="emails/referral_status",
        context={
            "referral": referral,
            "event": event,
            "opening": referral.opening,
            "referrer": referrer,
            "to_label": Referral.Status(event.to_status).label,
            "declined": event.to_status == Referral.Status.DECLINED,
            "url": _referral_url(referral),
        },
    )
    return True


@task()
def erase_expired_referrals():
    """The daily job: erase candidates' personal data past the retention period (also
    `manage.py erase_expired_referrals`)."""
    from .services import referrals_erase_expired

    return referrals_erase_expired()
