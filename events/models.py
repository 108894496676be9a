"""Events where colleagues meet (trainings, conferences, meetups, offsites) and who attended them.

Fields and small derived values only: the rules (who may create, add attendees, check in, and who
sees an attendee list) live in services.py and selectors.py.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from config.text import refuse_invisible_controls


def new_check_in_code():
    # Random, so the signed check-in link says nothing about the event (not even its id).
    return secrets.token_urlsafe(16)


class Event(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        CONFERENCE = "conference", "Conference"
        MEETUP = "meetup", "Meetup"
        OFFSITE = "offsite", "Offsite"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200, validators=[refuse_invisible_controls])
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETUP)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    location = models.ForeignKey(
        "accounts.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text="Where it takes place; empty for an online, company-wide event.",
    )
    online = models.BooleanField(default=False, help_text="Held online (with or without a room at a location).")
    description = models.TextField(blank=True, max_length=5000)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_events",
        help_text="Empty for an event an HR system sent.",
    )
    external_id = models.CharField(
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text="The HR system's identifier (LMS, events tool): PUT by it is idempotent.",
    )
    source = models.CharField(max_length=64, blank=True, help_text='"portal", or the HR system that sent it.')
    check_in_code = models.CharField(max_length=32, unique=True, default=new_check_in_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(online=True) | Q(location__isnull=False), name="event_has_place"),
        ]

    def __str__(self):
        return self.title

    @property
    def place_label(self):
        if self.location_id and self.online:
            return f"{self.location} and online"
        return str(self.location) if self.location_id else "Online"

    @property
    def is_past(self):
        return self.ends_at < timezone.now()


class Attendance(models.Model):
    class How(models.TextChoices):
        IMPORTED = "imported", "Imported from an HR system"
        ORGANISER = "organiser", "Added by the organiser"
        CHECK_IN = "check_in", "Checked in"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendances")
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_attendances")
    how = models.CharField(max_length=20, choices=How.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "employee"], name="attendance_once_per_event")]
        # "Events I attended" and "may I see this list" read by employee.
        indexes = [models.Index(fields=["employee", "event"], name="attendance_employee_idx")]

    def __str__(self):
        return f"{self.employee_id} at {self.event_id}"
