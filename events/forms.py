from django import forms

from accounts.models import Location, User

from .models import Event


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetupForm(forms.Form):
    """An employee's meetup. The rules (end after start, a place) are checked by the service, whose
    messages land on these fields."""

    title = forms.CharField(max_length=200)
    starts_at = forms.DateTimeField(label="Starts", widget=DateTimeInput())
    ends_at = forms.DateTimeField(label="Ends", widget=DateTimeInput())
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(),
        required=False,
        empty_label="No location (online)",
        help_text="Where you meet; leave empty for an online meetup.",
    )
    online = forms.BooleanField(required=False, label="Online", help_text="People can join online.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=5000)

    def event_fields(self):
        return {**self.cleaned_data, "kind": Event.Kind.MEETUP}


class AddAttendeeForm(forms.Form):
    email = forms.EmailField(label="Add an attendee by email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        employee = User.objects.active().filter(email__iexact=email).first()
        if employee is None:
            raise forms.ValidationError("No active employee has this address.")
        self.employee = employee
        return email


class EventEditForm(MeetupForm):
    """Changing an event in the portal: a meetup's fields; HR may also change its kind (the form
    leaves `kind` out for everyone else, so an organiser's meetup stays a meetup)."""

    kind = forms.ChoiceField(choices=Event.Kind.choices)

    field_order = ["title", "kind", "starts_at", "ends_at", "location", "online", "description"]

    def __init__(self, *args, event, can_change_kind=False, **kwargs):
        initial = {
            "title": event.title,
            "kind": event.kind,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "location": event.location_id,
            "online": event.online,
            "description": event.description,
        }
        super().__init__(*args, initial=initial, **kwargs)
        if not can_change_kind:
            del self.fields["kind"]

    def _unchanged_minute(self, name):
        # The input shows minutes only: a time left as it was keeps its seconds, so saving the
        # form after changing the title does not also "change" the start and the end.
        value, before = self.cleaned_data.get(name), self.initial.get(name)
        if value and before and value == before.replace(second=0, microsecond=0):
            return before
        return value

    def clean_starts_at(self):
        return self._unchanged_minute("starts_at")

    def clean_ends_at(self):
        return self._unchanged_minute("ends_at")

    def event_fields(self):
        return dict(self.cleaned_data)
