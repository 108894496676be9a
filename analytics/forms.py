"""The date range (and division) every figure of the analytics follows, for /hr/, CSV and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from accounts.models import Division

PERIODS = [("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 365 days"), ("custom", "Custom")]
DEFAULT_PERIOD = "90"
MAX_YEARS = 5
# Days far outside any company's history are refused rather than overflow the date arithmetic.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Range:
    """Days `start` to `end`, both included, and the division the referral figures narrow to."""

    start: date
    end: date
    division: Division | None = None
    period: str = DEFAULT_PERIOD

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the range (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_params(self) -> dict[str, str]:
        params = {"period": self.period}
        if self.period == "custom":
            params |= {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.division is not None:
            params["division"] = self.division.code
        return params


class RangeForm(forms.Form):
    """`?period=30|90|365|custom&start=YYYY-MM-DD&end=YYYY-MM-DD&division=<code>`.

    The rule: a period counts back from today (today included); custom needs both days, the end
    not before the start, and at most five years between them; `division` must be a known code.
    Dates alone without a period mean custom.
    """

    period = forms.ChoiceField(choices=PERIODS, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    division = forms.CharField(required=False, max_length=32, help_text="A division code.")

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise forms.ValidationError(f"Give a day between {EARLIEST.year} and {LATEST.year}.")
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean_division(self):
        code = self.cleaned_data.get("division") or ""
        if not code:
            return None
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise forms.ValidationError(f"No division has the code “{code}”.")
        return division

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        period = data.get("period") or ("custom" if data.get("start") or data.get("end") else DEFAULT_PERIOD)
        data["period"] = period
        if period != "custom":
            data["end"] = self.today
            data["start"] = self.today - timedelta(days=int(period) - 1)
            return data
        start, end = data.get("start"), data.get("end")
        if start is None:
            self.add_error("start", "Give the first day of the range.")
        if end is None:
            self.add_error("end", "Give the last day of the range.")
        if start is None or end is None:
            return data
        if end < start:
            self.add_error("end", "The end of the range is before its start.")
        elif end > _years_after(start, MAX_YEARS):
            self.add_error("end", f"A range may cover at most {MAX_YEARS} years.")
        return data

    @property
    def range(self) -> Range:
        data = self.cleaned_data
        return Range(start=data["start"], end=data["end"], division=data.get("division"), period=data["period"])


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def range_from(params, *, today: date | None = None) -> RangeForm:
    """A bound `RangeForm` for a request's query parameters (valid with none given: the default)."""
    return RangeForm(params or {}, today=today)
