import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import demo
from accounts.demo_network import seed_network


class Command(BaseCommand):
    help = "Build the demo company (deterministic for a --seed; does nothing if it is already there)."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=300, help="How many employees (default 300).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed gives the same company.")
        parser.add_argument(
            "--connections",
            type=int,
            help="Average connections per employee (default 60, or fewer in a company under 1,000 people).",
        )

    def handle(self, *args, employees, seed, connections=None, **options):
        if employees < len(demo.PERSONAS) + 5:
            raise CommandError(f"--employees must be at least {len(demo.PERSONAS) + 5}.")
        # About 60 each in a large company; a small demo company stays sparser so that network
        # visibility still means something (everyone would be second degree of everyone).
        connections = connections if connections is not None else min(60, max(8, employees // 12))
        if not 0 <= connections < employees:
            raise CommandError("--connections must be between 0 and the number of employees.")
        if demo.demo_present():
            self.stdout.write("The demo company is already there; nothing changed.")
        else:
            started = time.monotonic()
            rng = random.Random(seed)
            with transaction.atomic():
                company = demo.seed_people(rng, employees)
                seed_network(rng, company, self.stdout, average_degree=connections)
                for step in self._later_steps():
                    step(rng, company, self.stdout)
            if connection.vendor == "postgresql":
                # Fresh statistics: without them the planner guesses badly on bulk-loaded tables.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo company ready: {len(company.employee_ids)} employees in {time.monotonic() - started:.1f}s."
                )
            )
        self._print_sign_in()

    def _later_steps(self):
        """Openings, referrals and events add their demo data once the people and the network exist;
        the analytics go last (their snapshot counts everything before them)."""
        from analytics.demo import seed_analytics
        from events.demo import seed_events
        from openings.demo import seed_openings
        from referrals.demo import seed_bonuses, seed_referrals

        return [seed_openings, seed_referrals, seed_bonuses, seed_events, seed_analytics]

    def _print_sign_in(self):
        self.stdout.write("")
        self.stdout.write(f"Sign in at /accounts/login/ with any of these (password: {demo.DEMO_PASSWORD}):")
        for local, name, title, *_ in demo.PERSONAS:
            self.stdout.write(f"  {local + '@' + demo.DEMO_DOMAIN:<30} {name}, {title}")
        self.stdout.write(f"  {demo.ADMIN_EMAIL:<30} administrator (admin site at /admin/)")
