from django.core.management.base import BaseCommand

from openings.services import openings_close_expired


class Command(BaseCommand):
    help = "Close every open opening whose closing date has passed. Schedule it daily."

    def handle(self, *args, **options):
        closed = openings_close_expired()
        self.stdout.write(f"{closed} opening(s) closed.")
