"""The one place that sends email. Every message is a subject, a text and an HTML template."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def render_templated_mail(*, to, template, context, headers=None):
    """Build (not send) the message from `<template>_subject.txt`, `<template>.txt` and `.html`.

    Templates get `site_url` so every link points at the portal through SITE_URL.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def send_templated_mail(*, to, template, context, headers=None):
    return render_templated_mail(to=to, template=template, context=context, headers=headers).send()


def enqueue_after_commit(task, *args, **kwargs):
    """Enqueue a task once the surrounding transaction commits, so the worker sees the rows it
    needs and a rolled-back change never sends anything."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
