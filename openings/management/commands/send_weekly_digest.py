import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from openings import digest as digest_lib


class Command(BaseCommand):
    help = (
        "Send this ISO week's digest to every active employee who has it on and something new to read. "
        "Run it as often as hourly: each employee gets at most one digest a week, and every run also "
        "retries what failed or what a dead run left, until the week is over."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week such as 2026-W48 (default: the current week).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; send and record nothing.")
        parser.add_argument("--user", metavar="EMAIL", help="Only this employee.")
        parser.add_argument("--batch-size", type=int, default=500, help="Recipients built together (default 500).")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue one task per batch for the db_worker processes instead of sending here.",
        )
        # Kept so that old crontabs keep working: expired leases are now taken again by every run.
        parser.add_argument("--retry-stale", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, week=None, dry_run=False, user=None, batch_size=500, enqueue=False, **options):
        week = week or digest_lib.week_of()
        try:
            digest_lib.parse_week(week)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if digest_lib.week_is_over(week) and not dry_run:
            raise CommandError(f"{week} is over: its digest is no longer sent (--dry-run still shows it).")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            ids = list(digest_lib.recipients_for(user).values_list("pk", flat=True))
            batches = digest_lib.batches_of(ids, batch_size)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if enqueue:
            queued = digest_lib.enqueue_batches(batches, week=week, dry_run=dry_run)
            self.stdout.write(f"{queued} batch(es) of up to {batch_size} recipients queued for {week}.")
            self._report_week(week)
            return

        self.stdout.write(f"Weekly digest {week}: {len(ids)} recipient(s){' (dry run)' if dry_run else ''}.")
        stats = digest_lib.RunStats()
        started = time.monotonic()
        for batch in batches:
            digest_lib.send_batch(batch, week=week, dry_run=dry_run, stats=stats, out=self.stdout.write)
            elapsed = time.monotonic() - started
            rate = stats.considered / elapsed if elapsed else 0
            left = (len(ids) - stats.considered) / rate if rate else 0
            self.stderr.write(
                f"  {stats.considered}/{len(ids)} done · {rate:.0f}/s · about {left:.0f}s left "
                f"({stats.sent} sent, {stats.empty} with nothing new, {stats.skipped} already sent, "
                f"{stats.held} held by another run, {stats.failed} failed)"
            )
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(
            self.style.SUCCESS(
                f"{stats.sent} digest(s) {verb}, {stats.empty} employee(s) had nothing new, "
                f"{stats.skipped} already had theirs, {stats.held} held by another run, {stats.failed} failed, "
                f"in {time.monotonic() - started:.1f}s."
            )
        )
        for email, error in stats.failures:
            self.stderr.write(f"  failed: {email}: {error} (retried by the next run this week)")
        if stats.failed:
            raise CommandError(f"{stats.failed} digest(s) could not be sent; the next run this week retries them.")

    def _report_week(self, week):
        """What the week looks like so far, so that failures of earlier runs are not silent."""
        counts = digest_lib.week_counts(week)
        self.stdout.write(
            f"{week} so far: {counts.get('sent', 0)} sent, {counts.get('failed', 0)} failed "
            f"(these batches retry them), {counts.get('claimed', 0)} being sent."
        )
