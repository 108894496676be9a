"""The openings list's filters, one set for the portal page (/openings/) and the API (/api/v1/openings/).

The parameters and what each one matches are declared once, in `OpeningFilter`, under the API's
names (SPEC): `q` (title and description), `division` and `location` (codes), `visibility`,
`employment_type`, and for the API also `status` and `updated_since`. The portal's form is the same
filter with labels for a viewer (`PortalOpeningFilter`). Both filter a queryset that already went
through the visibility rule: a filter only ever narrows what the caller may see.
"""

import django_filters
from django.db.models import F, Q

from accounts.models import Division, Location
from config.api import IsoDateTimeFilter

from .models import Opening
from .visibility_text import viewer_choices


class OpeningFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(field_name="division__code", help_text="Division code.")
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code.")
    visibility = django_filters.ChoiceFilter(choices=Opening.Visibility.choices)
    status = django_filters.ChoiceFilter(choices=Opening.Status.choices)
    employment_type = django_filters.ChoiceFilter(choices=Opening.EmploymentType.choices)
    q = django_filters.CharFilter(method="search", help_text="Text search in title and description.")
    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time: only openings changed since then."
    )

    class Meta:
        model = Opening
        fields = ["division", "location", "visibility", "status", "employment_type", "q", "updated_since"]

    def search(self, queryset, name, value):
        """`q`: the words as typed, anywhere in the title or the description (case-insensitive)."""
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)) if value else queryset


class PortalOpeningFilter(OpeningFilter):
    """The same filter as the portal's form shows it: the same names and the same search.

    What differs is presentation only. Division and location are chosen from lists (a code not on
    them makes the form invalid, and the page then ignores the filters, as for any bad input, where
    the API simply matches nothing); visibility reads from the viewer's side. `status` is left to
    the page (only HR may pick one, and it scopes the counts too) and `updated_since` is the API's.
    """

    division = django_filters.ModelChoiceFilter(
        queryset=Division.objects.all(), to_field_name="code", empty_label="All divisions"
    )
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), to_field_name="code", empty_label="All locations"
    )
    # Labels for a viewer: "My network" would read as the viewer's own network, but it is the poster's.
    visibility = django_filters.ChoiceFilter(choices=viewer_choices, empty_label="Any visibility")
    employment_type = django_filters.ChoiceFilter(choices=Opening.EmploymentType.choices, empty_label="Any type")
    status = None
    updated_since = None

    class Meta:
        model = Opening
        fields = ["q", "division", "location", "visibility", "employment_type"]


# The portal list's orders: newest first, or the nearest closing date first (no date last). The API
# pages by id with cursors instead.
SORTS = {
    "newest": ("Newest first", ("-opened_at", "-id")),
    "closing": ("Closing soon", (F("closes_on").asc(nulls_last=True), "-opened_at", "-id")),
}


def chosen_sort(value):
    """`?sort=` as asked when it is one of SORTS, else the default (newest first)."""
    return value if value in SORTS else "newest"
