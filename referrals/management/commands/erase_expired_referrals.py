from django.conf import settings
from django.core.management.base import BaseCommand

from referrals.services import referrals_erase_expired


class Command(BaseCommand):
    help = (
        "Erase candidates' personal data on referrals that ended (hired, declined, withdrawn) more than "
        "REFERRAL_RETENTION_DAYS ago. Run it daily from the scheduler."
    )

    def handle(self, *args, **options):
        erased = referrals_erase_expired()
        self.stdout.write(
            f"Erased the personal data of {erased} referral{'s' if erased != 1 else ''} "
            f"(retention {settings.REFERRAL_RETENTION_DAYS} days)."
        )
