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

    def handle(self, *args, employees, seed, **options):
        if employees < len(demo.PERSONAS) + 5:
            raise CommandError(f"--employees must be at least {len(demo.PERSONAS) + 5}.")
        if demo.demo_present():
            self.stdout.write("The demo company is already there; nothing changed.")
        else:
            started = time.monotonic()
            rng = random.Random(seed)
            with transaction.atomic():
                company = demo.seed_people(rng, employees)
                for step in self._later_steps():
                    step(rng, company, self.stdout)
            if connection.vendor == "postgresql":
                # Fresh statistics: without them the planner guesses badly on bulk-loaded tables.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            self.stdout.write(
                self.style.SUCCESS(f"Demo company ready: {len(company.employee_ids)} employees in {time.monotonic() - started:.1f}s.")
            )
        self._print_sign_in()

    def _later_steps(self):
        """Network, openings and referrals add their demo data once the people exist, in order."""
        from openings.demo import seed_openings
        from referrals.demo import seed_referrals

        return [seed_network, seed_openings, seed_referrals]

    def _print_sign_in(self):
        self.stdout.write("")
        self.stdout.write("Sign in at /accounts/login/ with any of these (password: %s):" % demo.DEMO_PASSWORD)
        for local, name, title, *_ in demo.PERSONAS:
            self.stdout.write(f"  {local + '@' + demo.DEMO_DOMAIN:<30} {name}, {title}")
        self.stdout.write(f"  {demo.ADMIN_EMAIL:<30} administrator (admin site at /admin/)")
