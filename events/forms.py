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
