"""The one place that builds email. Every message is a subject, a text and an HTML template;
notifications are sent through the outbox (background/emails.py), the digest by its own run."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
