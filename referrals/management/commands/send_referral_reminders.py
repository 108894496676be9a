from django.conf import settings
from django.core.management.base import BaseCommand

from referrals.bonuses import bonuses_make_eligible
from referrals.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Queue the reminders to posters and escalations to HR for referrals left waiting "
        "(REFERRAL_RESPONSE_DAYS, REFERRAL_ESCALATION_DAYS, REFERRAL_STALE_DAYS), each exactly once per referral, "
        "status and kind, and make referral bonuses eligible after BONUS_RETENTION_DAYS. Run it daily; running it "
        "again, or after a run that was killed, queues only what is missing."
    )

    def handle(self, *args, **options):
        queued = reminders_send()
        eligible = bonuses_make_eligible()
        parts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in queued.items())
        self.stdout.write(f"Queued {parts}; {eligible} bonus(es) became eligible.")
        self.stdout.write(
            f"(response {settings.REFERRAL_RESPONSE_DAYS} / escalation {settings.REFERRAL_ESCALATION_DAYS} working days, "
            f"stale {settings.REFERRAL_STALE_DAYS} days, retention {settings.BONUS_RETENTION_DAYS} days)"
        )
