"""Referral emails and the daily retention job, run by the tasks worker.

Tasks take ids, never objects: the worker loads the current rows, so an employee who left or
switched referral emails off on /settings/ meanwhile gets nothing.
"""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from accounts.roles import is_employee
from config.mail import render_templated_mail

from .models import Referral, ReferralEvent, ReferralReminder


def _wants_mail(user):
    """Only active employees who kept `notify_referrals` on (/settings/) get referral emails."""
    return bool(is_employee(user) and user.notify_referrals and user.email)


def _referral_url(referral):
    return settings.SITE_URL + reverse("referrals:detail", args=[referral.pk])


def _send(message):
    if message is None:
        return False
    message.send()
    return True


def build_new_referral_email(referral_id):
    """The poster's email about a new referral (or an "I'm interested"), with a link to it; None
    when the referral is gone or erased or the poster does not want it."""
    referral = (
        Referral.objects.select_related("opening", "opening__posted_by", "referrer").filter(pk=referral_id).first()
    )
    if referral is None or referral.is_erased:
        return None
    poster = referral.opening.posted_by
    if not _wants_mail(poster):
        return None
    return render_templated_mail(
        to=poster.email,
        template="emails/referral_new",
        context={"referral": referral, "opening": referral.opening, "poster": poster, "url": _referral_url(referral)},
    )


@task()
def send_new_referral_email(referral_id):
    """Send `build_new_referral_email` at once (the outbox normally does it); True if sent."""
    return _send(build_new_referral_email(referral_id))


def build_referral_status_email(event_id):
    """The referrer's email about their referral moving on, with the reason when it was declined.

    None when the referrer made the change themselves (a withdrawal: they know) or does not want it.
    """
    event = (
        ReferralEvent.objects.select_related("referral", "referral__opening", "referral__referrer", "by")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return None
    referral = event.referral
    referrer = referral.referrer
    if event.by_id is not None and event.by_id == referrer.pk:
        return None
    if not _wants_mail(referrer):
        return None
    return render_templated_mail(
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


@task()
def send_referral_status_email(event_id):
    """Send `build_referral_status_email` at once (the outbox normally does it); True if sent."""
    return _send(build_referral_status_email(event_id))


@task()
def erase_expired_referrals():
    """The daily job: erase candidates' personal data past the retention period (also
    `manage.py erase_expired_referrals`)."""
    from .services import referrals_erase_expired

    return referrals_erase_expired()


def build_referral_reminder_email(reminder_id):
    """A reminder to the poster, or an escalation to HR, about a referral left waiting.

    None once the referral moved on from the status it was about (nothing to remind), or for a
    reminder the poster does not want (/settings/). An escalation goes to every active member of
    the HR group, whatever their settings: HR is always told.
    """
    from accounts.roles import HR_GROUP_NAME

    from .reminders import waiting_info

    reminder = (
        ReferralReminder.objects.select_related(
            "referral", "referral__referrer", "referral__opening", "referral__opening__posted_by__location"
        )
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None or reminder.referral.status != reminder.status or reminder.referral.is_erased:
        return None
    referral = reminder.referral
    poster = referral.opening.posted_by
    context = {
        "referral": referral,
        "opening": referral.opening,
        "poster": poster,
        "waiting": waiting_info(referral),
        "status_label": Referral.Status(reminder.status).label,
        "url": _referral_url(referral),
    }
    if reminder.kind in ReferralReminder.ESCALATIONS:
        from accounts.models import User

        hr = list(
            User.objects.active()
            .filter(groups__name=HR_GROUP_NAME)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)
            .distinct()
        )
        if not hr:
            return None
        message = render_templated_mail(to=hr[0], template="emails/referral_escalation", context=context)
        message.to = hr
        return message
    if not _wants_mail(poster):
        return None
    return render_templated_mail(to=poster.email, template="emails/referral_reminder", context=context)


@task()
def send_referral_reminders():
    """The daily job (also `manage.py send_referral_reminders`): queue the reminders and
    escalations that are due, and make the bonuses whose retention date has come eligible."""
    from .bonuses import bonuses_make_eligible
    from .reminders import reminders_send

    queued = reminders_send()
    return {"queued": queued, "bonuses_eligible": bonuses_make_eligible()}
