"""Task leases: a task a dead worker left RUNNING is queued again once its lease runs out."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background.models import TaskLease
from background.worker import LeasingWorker, tasks_requeue_expired

# transaction=True: the worker runs in autocommit like the real process (it closes connections that
# are not, as django-tasks-db does between tasks).
pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def worker(worker_id="w1"):
    return LeasingWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        sweep_interval=3600,
    )


@pytest.fixture
def queued(settings):
    from openings.tasks import close_expired_openings

    settings.TASKS = DB_TASKS
    return close_expired_openings.enqueue()


def test_a_claimed_task_carries_a_lease_that_ends_with_the_task(queued, settings):
    first = worker()
    taken = first.take()
    assert str(taken.pk) == queued.id and taken.status == "RUNNING"
    lease = TaskLease.objects.get(task_id=taken.pk)
    assert lease.holder == "w1"
    assert abs((lease.lease_until - timezone.now()) - timedelta(seconds=settings.TASK_LEASE_SECONDS)) < timedelta(
        seconds=5
    )
    first.run_task(taken)
    TaskLease.objects.filter(task_id=taken.pk).delete()  # what turn() does after run_task
    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"


def test_a_task_left_running_is_requeued_after_its_lease_and_never_before(queued, settings):
    dead = worker("dead")
    taken = dead.take()  # ...and the worker dies here
    assert tasks_requeue_expired() == 0  # a live lease is never taken away
    assert DBTaskResult.objects.get(pk=taken.pk).status == "RUNNING"
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS + 1), tick=False):
        assert tasks_requeue_expired() == 1
    assert DBTaskResult.objects.get(pk=taken.pk).status == "READY"
    assert not TaskLease.objects.exists()
    second = worker("second")
    second.run()  # batch mode: runs what is ready, then stops
    row = DBTaskResult.objects.get(pk=taken.pk)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["dead", "second"]
    assert not TaskLease.objects.exists()


def test_a_task_started_by_a_worker_without_leases_counts_from_its_start(queued, settings):
    DBTaskResult.objects.filter(pk=queued.id).update(status="RUNNING", started_at=timezone.now())
    assert tasks_requeue_expired() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS + 1), tick=False):
        assert tasks_requeue_expired() == 1


def test_a_stalled_worker_does_not_overwrite_the_run_that_took_its_task_over(queued, settings):
    stalled = worker("stalled")
    mine = stalled.take()  # ...and the worker hangs here, past its lease
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS + 1), tick=False):
        assert tasks_requeue_expired() == 1
        fresh = worker("fresh")
        theirs = fresh.take()
        assert theirs.pk == mine.pk
        stalled.run_task(mine)  # wakes up and finishes late
        row = DBTaskResult.objects.get(pk=mine.pk)
        assert row.status == "RUNNING" and row.finished_at is None  # the late outcome was dropped
        assert TaskLease.objects.get(task_id=mine.pk).holder == "fresh"
        fresh.run_task(theirs)
    row = DBTaskResult.objects.get(pk=mine.pk)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["stalled", "fresh"]
