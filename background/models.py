"""Rows for work that must happen once: an email waiting to be sent, a task's lease, a rate counter.

Each unit of work carries a lease: `holder` names the process working on it and `lease_until`
says until when. A process that dies simply lets its lease run out; the next run or sweep takes
the row again (see leases.py). Nothing needs a flag.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutgoingEmail(models.Model):
    """One notification email, written in the same transaction as its cause (emails.email_queue).

    The message is built when it is sent, from the current rows (`kind` names the builder,
    `object_id` its argument), so a request withdrawn or an employee who switched emails off
    meanwhile gets nothing (`skipped`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nothing to send any more"
        FAILED = "failed", "Failed (gave up)"

    kind = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    to = models.CharField(max_length=254, blank=True, help_text="The address it went to, once built.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    holder = models.CharField(
        max_length=100, blank=True, help_text="The process sending it now (while its lease lasts)."
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outgoing_email_due_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id} ({self.status})"


class TaskLease(models.Model):
    """Who runs a django-tasks-db task and until when; past `lease_until` the task is re-queued.

    Kept beside the library's own row (which has no lease) and written in the transaction that
    claims the task, so a worker killed at any point leaves either a READY task or a lease.
    """

    task_id = models.UUIDField(unique=True)
    holder = models.CharField(max_length=100)
    lease_until = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.task_id} held by {self.holder} until {self.lease_until:%H:%M:%S}"


class RateCounter(models.Model):
    """Requests counted in one fixed window for one caller, incremented atomically by the database."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
