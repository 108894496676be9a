from django.core.management.base import BaseCommand, CommandError

from background.emails import emails_send


class Command(BaseCommand):
    help = (
        "Send the outbox emails that are due (first attempts and retries) and that no live process "
        "holds. The worker does this by itself every WORKER_SWEEP_SECONDS; this is for cron or recovery."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="At most this many emails in this run.")

    def handle(self, *args, limit=1000, **options):
        outcome = emails_send(limit=limit)
        self.stdout.write(
            f"{outcome['sent']} sent, {outcome['skipped']} with nothing to send any more, "
            f"{outcome['retrying']} to retry later, {outcome['failed']} given up."
        )
        if outcome["retrying"] or outcome["failed"]:
            raise CommandError(f"{outcome['retrying'] + outcome['failed']} email(s) could not be sent.")
