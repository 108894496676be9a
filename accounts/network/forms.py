"""Forms of the network pages: the people directory's filters and the note on a request."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from ..models import ConnectionRequest, Division, EmployeeSkill, Location, User
from ..services import skill_key


def job_function_choices():
    # Evaluated when the form is built: the HRIS may add a function at any time.
    functions = (
        User.objects.active()
        .exclude(job_function="")
        .order_by("job_function")
        .values_list("job_function", flat=True)
        .distinct()
    )
    return [(f, f) for f in functions]


class PeopleFilter(django_filters.FilterSet):
    """Search by name, title or skill; filter by skill, division, location (codes) and job function."""

    q = django_filters.CharFilter(method="search", label="Name, title or skill")
    skill = django_filters.CharFilter(method="with_skill", label="Skill")
    division = django_filters.ModelChoiceFilter(
        queryset=Division.objects.all(), to_field_name="code", empty_label="All divisions"
    )
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), to_field_name="code", empty_label="All locations"
    )
    job_function = django_filters.ChoiceFilter(
        choices=job_function_choices, empty_label="All functions", label="Job function"
    )

    class Meta:
        model = User
        fields = ["q", "skill", "division", "location", "job_function"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Skills compare in their normalised form, so "machine  Learning" finds "Machine learning".
        has_skill = EmployeeSkill.objects.filter(employee=OuterRef("pk"), skill__key__contains=skill_key(value))
        return queryset.filter(Q(full_name__icontains=value) | Q(title__icontains=value) | Exists(has_skill))

    def with_skill(self, queryset, name, value):
        key = skill_key(value)
        if not key:
            return queryset
        return queryset.filter(Exists(EmployeeSkill.objects.filter(employee=OuterRef("pk"), skill__key=key)))


class ConnectForm(forms.Form):
    message = forms.CharField(
        label="Add a note (optional)",
        required=False,
        max_length=ConnectionRequest._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Where you met, or why you would like to connect"}),
        help_text="Up to 300 characters. They see it with your request.",
    )
    # The event page's Connect (or a profile opened from it) names the event where the two met;
    # the service checks that both attended.
    met_at = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_met_at(self):
        from events.models import Event

        pk = self.cleaned_data.get("met_at")
        if pk is None:
            return None
        event = Event.objects.filter(pk=pk).first()
        if event is None:
            raise forms.ValidationError("That event does not exist.")
        return event


def met_at_note(event):
    """The note a request from an event starts with."""
    return f"We met at {event.title}"
