"""Reach snapshots: who the hidden openings reached on a day, stored as aggregates.

Counting the reach of every open hidden opening over a large company is too costly for a page
view, so `snapshot_reach` (daily) stores the day's figures here and the pages and the API read
them. Only counts are stored (by division, location and tenure band), never who was reached;
`EmployeeReach` keeps one date per employee so "reached by nothing in the last 90 days" can be
counted without keeping every day's list.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReachSnapshot(models.Model):
    """One day's company-wide reach of the open hidden (`network`, `extended`) openings."""

    day = models.DateField(unique=True, help_text="The day it describes; a second run that day replaces it.")
    taken_at = models.DateTimeField(default=timezone.now)
    employees = models.PositiveIntegerField(help_text="Active employees that day.")
    reached = models.PositiveIntegerField(help_text="Active employees who could see at least one open hidden opening.")
    unreached_90d = models.PositiveIntegerField(
        help_text="Active employees reached by no hidden opening in the 90 days up to that day."
    )
    openings = models.PositiveIntegerField(help_text="Open hidden openings counted.")
    seconds = models.FloatField(default=0, help_text="How long the snapshot took.")

    class Meta:
        ordering = ["-day"]
        get_latest_by = "day"

    def __str__(self):
        return f"reach {self.day}: {self.reached}/{self.employees}"


class ReachCell(models.Model):
    """One group of a snapshot (a division, a location or a tenure band) and its counts."""

    class Dimension(models.TextChoices):
        DIVISION = "division", "Division"
        LOCATION = "location", "Location"
        TENURE = "tenure", "Tenure"

    snapshot = models.ForeignKey(ReachSnapshot, on_delete=models.CASCADE, related_name="cells")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=64, blank=True, help_text="Division or location code, or tenure band.")
    label = models.CharField(max_length=120)
    employees = models.PositiveIntegerField()
    reached = models.PositiveIntegerField()
    unreached_90d = models.PositiveIntegerField()

    class Meta:
        ordering = ["snapshot", "dimension", "label"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "dimension", "key"], name="reach_cell_unique"),
        ]

    def __str__(self):
        return f"{self.dimension} {self.key}: {self.reached}/{self.employees}"


class EmployeeReach(models.Model):
    """The last day a hidden opening reached this employee (kept for the 90-day count only)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    last_reached_on = models.DateField()

    def __str__(self):
        return f"{self.user_id}: {self.last_reached_on}"
