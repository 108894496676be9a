import logging

from django.conf import settings
from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from background.worker import LeasingWorker


class Command(DbWorkerCommand):
    help = (
        "Run the tasks worker (django-tasks-db's db_worker, same options) with task leases: a task a "
        "dead worker left RUNNING is queued again after TASK_LEASE_SECONDS, due outbox emails and "
        "webhooks are sent every WORKER_SWEEP_SECONDS, and a database outage is waited out instead "
        "of ending the process."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-interval", type=float, default=None, help="Seconds between sweeps (default: WORKER_SWEEP_SECONDS)."
        )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        sweep_interval=None,
        **options,
    ):
        self.configure_logging(verbosity)
        logging.getLogger("background.worker").setLevel(logging.INFO if verbosity else logging.CRITICAL)
        if reload:
            # The reloader restarts the process mid-task; leases would cope, but it is not for production.
            logging.getLogger("background.worker").warning("--reload is not supported by run_worker; ignored.")
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasingWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
            sweep_interval=settings.WORKER_SWEEP_SECONDS if sweep_interval is None else sweep_interval,
        )
        worker.configure_signals()
        worker.run()
