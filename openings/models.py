from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models

from config.text import OPENING_DESCRIPTION_MAX_LENGTH, refuse_invisible_controls

from .visibility import OpeningQuerySet
from .visibility_text import LEVELS


class Opening(models.Model):
    class Visibility(models.TextChoices):
        # The labels and every other word for a level: `visibility_text.LEVELS`, one row per level.
        NETWORK = "network", LEVELS["network"].label
        EXTENDED = "extended", LEVELS["extended"].label
        COMPANY = "company", LEVELS["company"].label

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class EmploymentType(models.TextChoices):
        FULL_TIME = "full_time", "Full-time"
        PART_TIME = "part_time", "Part-time"
        CONTRACT = "contract", "Contract"
        TEMPORARY = "temporary", "Temporary"
        INTERNSHIP = "internship", "Internship"

    class WorkArrangement(models.TextChoices):
        ON_SITE = "on_site", "On-site"
        HYBRID = "hybrid", "Hybrid"
        REMOTE = "remote", "Remote"

    title = models.CharField(max_length=200, validators=[refuse_invisible_controls])
    description = models.TextField(
        max_length=OPENING_DESCRIPTION_MAX_LENGTH,
        validators=[refuse_invisible_controls, MaxLengthValidator(OPENING_DESCRIPTION_MAX_LENGTH)],
        help_text="Plain text. Blank lines separate paragraphs; links become clickable.",
    )
    division = models.ForeignKey("accounts.Division", on_delete=models.PROTECT, related_name="openings")
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="openings")
    employment_type = models.CharField(max_length=16, choices=EmploymentType.choices, default=EmploymentType.FULL_TIME)
    work_arrangement = models.CharField(max_length=16, choices=WorkArrangement.choices, default=WorkArrangement.HYBRID)
    referral_bonus_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    referral_bonus_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, e.g. EUR.")
    closes_on = models.DateField(null=True, blank=True, help_text="The opening closes by itself after this day.")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.NETWORK)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="openings")
    opened_at = models.DateTimeField(null=True, blank=True, help_text="When it was first opened.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    excluded = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="OpeningExclusion", related_name="+", blank=True
    )

    objects = OpeningQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [("view_all_openings", "Can see every opening, whatever its visibility (HR)")]
        indexes = [
            # The visibility rule filters open openings by poster: (status, posted_by) serves the
            # network and extended branches, (status, visibility) the company branch.
            models.Index(fields=["status", "posted_by"], name="opening_status_poster_idx"),
            models.Index(fields=["status", "visibility"], name="opening_status_vis_idx"),
            models.Index(fields=["posted_by", "status"], name="opening_poster_status_idx"),
            models.Index(fields=["updated_at", "id"], name="opening_updated_idx"),
            models.Index(fields=["status", "opened_at"], name="opening_status_opened_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def has_bonus(self):
        return self.referral_bonus_amount is not None and self.referral_bonus_amount > 0


class OpeningExclusion(models.Model):
    """An employee the poster hid the opening from: they never see it, whatever their connections."""

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="exclusions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opening", "user"], name="opening_exclusion_unique")]
        indexes = [models.Index(fields=["user", "opening"], name="opening_exclusion_user_idx")]

    def __str__(self):
        return f"opening {self.opening_id} hidden from {self.user_id}"


class DigestDelivery(models.Model):
    """One weekly digest for one employee: leased before sending, so each week sends it once.

    The unique (user, week) row is the unit of work. A run takes it with a lease (`holder`,
    `lease_until`; see background/leases.py), sends, and marks it sent while still holding it.
    A failed send is released for the next run to retry; a run that died leaves a lease that
    expires, and the next run takes the row again. Sent rows are never taken again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Due (not yet sent)"
        CLAIMED = "claimed", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retried by the next run this week)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    week = models.CharField(max_length=8, help_text="ISO week, e.g. 2026-W48.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    holder = models.CharField(
        max_length=100, blank=True, help_text="The process sending it now (while its lease lasts)."
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    openings_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_delivery_once_per_week")]
        indexes = [models.Index(fields=["week", "status"], name="digest_week_status_idx")]
        verbose_name_plural = "digest deliveries"

    def __str__(self):
        return f"{self.week} → {self.user_id} ({self.status})"
