"""The tasks worker that survives: django-tasks-db's loop with task leases, a sweep and reconnects.

- A task is claimed together with a TaskLease (holder = the worker id, lease_until = now +
  TASK_LEASE_SECONDS) in one transaction, and the lease is dropped when the task finishes. A worker
  killed mid-task leaves the task RUNNING with a lease that runs out; every worker's sweep puts
  such tasks back to READY. The work inside a task (digest rows, outbox emails, webhook
  deliveries) carries its own leases, so a task run twice still sends nothing twice.
- Every WORKER_SWEEP_SECONDS the worker also sends due outbox emails and webhook deliveries, so
  retries happen without cron.
- A database error (outage, restart, failover) never ends the process: the worker closes its
  connections and tries again with a backoff from half a second up to 30 seconds.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import TaskLease

logger = logging.getLogger("background.worker")

MAX_BACKOFF = 30.0


def _task_lease():
    return timedelta(seconds=settings.TASK_LEASE_SECONDS)


def tasks_requeue_expired(*, now=None):
    """Put back to READY every RUNNING task whose lease ran out (its worker died or hangs).

    Tasks started by a worker without leases (plain `db_worker`) count from `started_at`.
    Returns how many were re-queued.
    """
    now = now or timezone.now()
    leased = TaskLease.objects.filter(task_id=OuterRef("pk"))
    expired = DBTaskResult.objects.filter(status="RUNNING").filter(
        Q(Exists(leased.filter(lease_until__lt=now))) | (~Exists(leased) & Q(started_at__lt=now - _task_lease()))
    )
    with transaction.atomic():
        ids = list(expired.select_for_update(skip_locked=True).values_list("pk", flat=True)[:500])
        if ids:
            DBTaskResult.objects.filter(pk__in=ids, status="RUNNING").update(status="READY")
            TaskLease.objects.filter(task_id__in=ids).delete()
    for task_id in ids:
        logger.warning("Task %s outlived its lease (its worker died or hangs): queued again.", task_id)
    return len(ids)


def sweep():
    """The worker's periodic duties: re-queue expired tasks, send due emails and webhooks."""
    from integrations.webhooks import deliver_due

    from .emails import emails_send
    from .ratelimit import rate_counters_prune

    requeued = tasks_requeue_expired()
    emails = emails_send(limit=200)
    webhooks = deliver_due(limit=100)
    rate_counters_prune()
    return {"requeued": requeued, "emails": emails, "webhooks": webhooks}


class LeasingWorker(Worker):
    """django-tasks-db's Worker, one loop turn at a time, with leases, a sweep and reconnects."""

    def __init__(self, *, sweep_interval, **kwargs):
        super().__init__(**kwargs)
        self.sweep_interval = sweep_interval
        self.next_sweep = 0.0
        self.failures = 0

    def run(self):
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        while self.running:
            try:
                outcome = self.turn()
                self.failures = 0
            except (OperationalError, InterfaceError) as error:
                self.wait_for_database(error)
                continue
            if outcome == "stop":
                return
            if outcome == "idle" and self.running:
                time.sleep(self.interval)

    def wait_for_database(self, error):
        """Close the broken connections and wait, longer each time, before trying again."""
        self.failures += 1
        delay = min(MAX_BACKOFF, 0.5 * 2 ** (self.failures - 1))
        logger.warning(
            "Database unavailable (%s); retrying in %.1fs.",
            str(error).strip().splitlines()[0] if str(error) else type(error).__name__,
            delay,
        )
        for connection in connections.all():
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is dropped anyway
                connection.connection = None
        time.sleep(delay)

    def turn(self):
        """One pass: maybe sweep, then take and run one task. Returns "ran", "idle" or "stop"."""
        close_old_connections()
        if time.monotonic() >= self.next_sweep:
            sweep()
            self.next_sweep = time.monotonic() + self.sweep_interval
        task_result = self.take()
        if task_result is not None:
            try:
                self.run_task(task_result)
            finally:
                # Only our own lease: after a stall another worker may hold the task now.
                TaskLease.objects.filter(task_id=task_result.pk, holder=self.worker_id).delete()
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            return "stop"
        if task_result is None:
            return "stop" if self.batch else "idle"
        return "ran"

    def run_task(self, db_task_result):
        """Run the task; record its outcome only while this worker still holds the task's lease.

        A worker that stalls past its lease (a hung SMTP server, a paused VM) finds, when it wakes
        up, that the sweep has queued the task again and another worker has taken it. Its late
        outcome must not overwrite the status of that newer run, so it is dropped with a warning.
        """
        for name in ("set_successful", "set_failed"):
            setattr(db_task_result, name, self._fenced(db_task_result, getattr(db_task_result, name)))
        super().run_task(db_task_result)

    def _fenced(self, db_task_result, record):
        def fenced(outcome):
            # The task row is locked first, in the order the sweep locks it, so the check and the
            # write cannot interleave with a re-queue.
            with transaction.atomic():
                DBTaskResult.objects.select_for_update().filter(pk=db_task_result.pk).first()
                held = TaskLease.objects.filter(task_id=db_task_result.pk, holder=self.worker_id).exists()
                if held:
                    record(outcome)
            if not held:
                logger.warning(
                    "Task %s finished after its lease ran out and was queued again: this late outcome is dropped.",
                    db_task_result.pk,
                )

        return fenced

    def take(self):
        """Claim the next ready task and its lease in one transaction."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is None:
                    return None
                task_result.claim(self.worker_id)
                TaskLease.objects.update_or_create(
                    task_id=task_result.pk,
                    defaults={"holder": self.worker_id, "lease_until": timezone.now() + _task_lease()},
                )
                return task_result
        except OperationalError as error:
            if is_locked_database_exception(error):
                return None
            raise
