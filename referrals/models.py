import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.text import refuse_invisible_controls

DUPLICATE_MESSAGE = "This person is already being considered for this opening."


class Referral(models.Model):
    """Someone an insider vouches for, on one opening, and where the pipeline has taken them.

    Rules live in referrals/services.py (submit, move, withdraw, erase) and who sees a referral in
    referrals/selectors.py; the model holds the fields and the one rule the database must enforce
    itself: one active referral per candidate and opening, whoever submits concurrently.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        INTERVIEWING = "interviewing", "Interviewing"
        OFFERED = "offered", "Offered"
        HIRED = "hired", "Hired"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ENDED_STATUSES = (Status.HIRED, Status.DECLINED, Status.WITHDRAWN)
    ACTIVE_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.INTERVIEWING, Status.OFFERED)
    ERASED_NAME = "Erased"

    opening = models.ForeignKey("openings.Opening", on_delete=models.PROTECT, related_name="referrals")
    opening_title = models.CharField(
        max_length=200,
        blank=True,
        help_text="The opening's title when the referral was made (what an excluded referrer still sees).",
    )
    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made")
    candidate_name = models.CharField(max_length=150, validators=[refuse_invisible_controls])
    candidate_email = models.EmailField(blank=True)
    candidate_email_hash = models.CharField(
        max_length=64, editable=False, help_text="Salted SHA-256 of the lowercased email; kept after erasure."
    )
    candidate_phone = models.CharField(max_length=40, blank=True)
    candidate_profile_url = models.URLField(max_length=500, blank=True)
    candidate_employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set when the candidate already works here (an internal move or a self-referral).",
    )
    is_self_referral = models.BooleanField(default=False, help_text="“I'm interested”: the referrer is the candidate.")
    relationship = models.TextField(
        blank=True,
        validators=[refuse_invisible_controls],
        help_text="How the referrer and the candidate know each other.",
    )
    why_fit = models.TextField(
        blank=True, validators=[refuse_invisible_controls], help_text="Why the candidate fits the opening."
    )
    consent_confirmed = models.BooleanField(default=False, help_text="The candidate agreed to be referred.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    decline_reason = models.TextField(blank=True, validators=[refuse_invisible_controls])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)
    # The referrer's promise: the opening's bonus when the referral was made. Editing the opening
    # later does not change it (issue 20). Empty for a self-referral and an opening without a bonus.
    bonus_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    bonus_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_referrals", "Can see every referral, whoever made it (HR)"),
            ("manage_bonuses", "Can approve, mark paid and forfeit referral bonuses (HR, payroll)"),
        ]
        constraints = [
            # The duplicate rule. A partial unique index (SQLite and PostgreSQL): two concurrent
            # submissions of one person cannot both be inserted; ended referrals do not count.
            models.UniqueConstraint(
                fields=["opening", "candidate_email_hash"],
                condition=Q(status__in=["submitted", "in_review", "interviewing", "offered"]),
                name="referral_one_active_per_candidate",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
        ]
        indexes = [
            # The visibility rule's referrer clause probes (referrer, opening).
            models.Index(fields=["referrer", "opening"], name="referral_referrer_opening_idx"),
            models.Index(fields=["opening", "status"], name="referral_opening_status_idx"),
            models.Index(fields=["status", "status_changed_at"], name="referral_status_changed_idx"),
            models.Index(fields=["updated_at", "id"], name="referral_updated_idx"),
        ]

    def __str__(self):
        return f"{self.candidate_name} → {self.opening_id}"

    @staticmethod
    def hash_email(email):
        """Salted SHA-256 (HMAC) of the lowercased, trimmed address: equal for equal people."""
        salt = (settings.REFERRAL_EMAIL_SALT or settings.SECRET_KEY).encode()
        return hmac.new(salt, email.strip().lower().encode(), hashlib.sha256).hexdigest()

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def has_bonus_promise(self):
        return self.bonus_amount is not None and self.bonus_amount > 0

    @property
    def is_erased(self):
        return self.personal_data_erased_at is not None

    @property
    def status_badge(self):
        """The badge class for the status (display only)."""
        return {
            self.Status.HIRED: "badge-ok",
            self.Status.DECLINED: "badge-danger",
            self.Status.WITHDRAWN: "",
            self.Status.INTERVIEWING: "badge-warn",
            self.Status.OFFERED: "badge-warn",
        }.get(self.status, "badge-brand")


class ReferralEvent(models.Model):
    """One status change of a referral: append-only, never edited (only the comment is erased
    with the candidate's personal data)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=Referral.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Referral.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_service = models.CharField(
        max_length=100, blank=True, help_text="The service account, for a change made through the API."
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True, validators=[refuse_invisible_controls])

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="referral_event_referral_idx")]

    def __str__(self):
        return f"{self.referral_id}: {self.from_status or '—'} → {self.to_status}"

    @property
    def actor_label(self):
        if self.by is not None:
            return self.by.full_name or self.by.email
        if self.by_service:
            return f"{self.by_service} (HR system)"
        return "Referral Board"


class ReferralBonus(models.Model):
    """The bonus a hired referral earns its referrer, from the start date to payroll.

    Rules live in referrals/bonuses.py: pending until BONUS_RETENTION_DAYS after the start date,
    then eligible; HR approves it; payroll marks it paid with a reference; forfeited (with a reason
    the referrer reads) when the hire leaves before the retention date. Every change moves the
    status with a guarded UPDATE and appends a BonusEvent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ELIGIBLE = "eligible", "Eligible"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        FORFEITED = "forfeited", "Forfeited"

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="bonus")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    start_date = models.DateField(help_text="The hire's first day.")
    eligible_on = models.DateField(help_text="The start date plus BONUS_RETENTION_DAYS.")
    payroll_reference = models.CharField(max_length=100, blank=True)
    forfeit_reason = models.TextField(blank=True, validators=[refuse_invisible_controls])
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "eligible_on"], name="bonus_status_eligible_idx"),
            models.Index(fields=["updated_at", "id"], name="bonus_updated_idx"),
        ]

    def __str__(self):
        return f"Bonus {self.amount} {self.currency} for referral {self.referral_id} ({self.status})"

    @property
    def status_badge(self):
        return {
            self.Status.PAID: "badge-ok",
            self.Status.APPROVED: "badge-ok",
            self.Status.ELIGIBLE: "badge-warn",
            self.Status.FORFEITED: "badge-danger",
        }.get(self.status, "badge-brand")


class BonusEvent(models.Model):
    """One change of a bonus (who, when, from, to, reference or reason): append-only."""

    bonus = models.ForeignKey(ReferralBonus, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=ReferralBonus.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReferralBonus.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_service = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)
    reference = models.CharField(max_length=100, blank=True, help_text="The payroll reference, when paid.")
    comment = models.TextField(blank=True, help_text="The reason, when forfeited; the start date, when recorded.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["bonus", "at"], name="bonus_event_bonus_idx")]

    def __str__(self):
        return f"{self.bonus_id}: {self.from_status or '—'} → {self.to_status}"

    @property
    def actor_label(self):
        if self.by is not None:
            return self.by.full_name or self.by.email
        if self.by_service:
            return f"{self.by_service} (HR system)"
        return "Referral Board"


class ReferralReminder(models.Model):
    """The marker that one reminder or escalation about a referral in one status was queued.

    Written in the same transaction as its email in the outbox; the unique constraint makes a
    second run (or a run racing this one) fail to insert it, so each is queued exactly once.
    """

    class Kind(models.TextChoices):
        RESPONSE_REMINDER = "response_reminder", "Reminder to respond"
        RESPONSE_ESCALATION = "response_escalation", "Escalated to HR: no response"
        STALE_REMINDER = "stale_reminder", "Reminder: untouched"
        STALE_ESCALATION = "stale_escalation", "Escalated to HR: untouched"

    ESCALATIONS = (Kind.RESPONSE_ESCALATION, Kind.STALE_ESCALATION)

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reminders")
    status = models.CharField(max_length=16, choices=Referral.Status.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "status", "kind"], name="referral_reminder_once"),
        ]

    def __str__(self):
        return f"{self.kind} for referral {self.referral_id} ({self.status})"
