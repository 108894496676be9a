"""Background tasks of the outbox, run by the worker."""

from django_tasks import task


@task()
def send_emails(ids):
    """Send these outbox emails now, unless another process holds them or they are not due."""
    from .emails import emails_send

    return emails_send(ids=ids)
