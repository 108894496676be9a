from django.core.management.base import BaseCommand

from analytics.reach import snapshot_take


class Command(BaseCommand):
    help = (
        "Store today's reach of the open hidden openings (by division, location and tenure) for the "
        "analytics on /hr/ and the API. Schedule it daily; a second run the same day replaces the first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the task for the worker instead.")

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            from analytics.tasks import snapshot_reach

            result = snapshot_reach.enqueue()
            self.stdout.write(f"Queued the reach snapshot (task {result.id}).")
            return
        snapshot = snapshot_take()
        share = 100 * snapshot.reached / snapshot.employees if snapshot.employees else 0
        self.stdout.write(
            f"Reach on {snapshot.day}: {snapshot.reached:,} of {snapshot.employees:,} active employees "
            f"({share:.1f}%) could see at least one of {snapshot.openings:,} open hidden openings; "
            f"{snapshot.unreached_90d:,} reached by none in 90 days. Took {snapshot.seconds:.1f}s."
        )
