from django.core.management.base import BaseCommand

from integrations.idempotency import idempotency_prune
from integrations.webhooks import deliver_due


class Command(BaseCommand):
    help = (
        "Send every webhook delivery that is due (first attempts the worker missed, and retries). "
        "Safe to run from cron every minute beside the worker: a delivery is claimed before it is sent, "
        "so nothing is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many deliveries in this run.")
        parser.add_argument("--prune", action="store_true", help="Also forget idempotency keys past their 24 hours.")

    def handle(self, *args, limit=None, prune=False, **options):
        outcome = deliver_due(limit=limit)
        self.stdout.write(
            f"{outcome['succeeded']} delivered, {outcome['retrying']} to retry later, "
            f"{outcome['failed']} given up, {outcome['skipped']} taken by another process."
        )
        if prune:
            self.stdout.write(f"{idempotency_prune()} expired idempotency key(s) forgotten.")
