"""The event page's attendee pages (`RankedAttendees`) are the ranked attendee list
(`attendees_of`) cut into pages, whatever the mix of places, leavers and page size, and a page
of a large event costs a fixed number of queries."""

import pytest
from django.core.paginator import Paginator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User
from events.models import Attendance
from events.selectors import RankedAttendees, attendees_of
from tests.events.factories import EventFactory, attend
from tests.factories import DivisionFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def pages(event, viewer, per_page):
    paginator = Paginator(RankedAttendees(event, viewer=viewer), per_page)
    return paginator, [list(paginator.page(n)) for n in paginator.page_range]


class PagesAreTheRankedList(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        places=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=0, max_size=12),
        leavers=st.sets(st.integers(0, 11), max_size=3),
        per_page=st.integers(1, 5),
        viewer_attends=st.booleans(),
    )
    def test_every_page_is_its_slice_of_the_ranked_list(self, places, leavers, per_page, viewer_attends):
        divisions, locations = [DivisionFactory(), DivisionFactory()], [LocationFactory(), LocationFactory()]
        viewer = UserFactory(division=divisions[0], location=locations[0])
        event = EventFactory()
        people = [UserFactory(division=divisions[d], location=locations[loc]) for d, loc in places]
        attend(event, *people, *([viewer] if viewer_attends else []))
        User.objects.filter(pk__in=[p.pk for i, p in enumerate(people) if i in leavers]).update(is_active=False)
        ranked = list(attendees_of(event, viewer=viewer))
        paginator, cut = pages(event, viewer, per_page)
        assert paginator.count == len(ranked)
        assert [p for page in cut for p in page] == ranked
        assert all(p.is_active and p.pk != viewer.pk for p in ranked)


def test_other_places_first_then_the_viewers_own(poster):
    event = EventFactory()
    same = [UserFactory(division=poster.division, location=poster.location) for _ in range(3)]
    elsewhere = [UserFactory() for _ in range(4)]
    attend(event, poster, *same, *elsewhere)
    _paginator, cut = pages(event, poster, 3)
    assert cut == [elsewhere[:3], [elsewhere[3], *same[:2]], [same[2]]]


def test_an_employee_without_division_or_location_is_ranked_too(poster):
    event = EventFactory()
    placeless = UserFactory(division=None, location=None)
    same = UserFactory(division=poster.division, location=poster.location)
    attend(event, poster, same, placeless)
    assert [p for page in pages(event, poster, 1)[1] for p in page] == [placeless, same]


@pytest.mark.parametrize("page", [1, 20, 40])
def test_any_page_of_a_large_event_costs_at_most_four_queries(poster, django_assert_max_num_queries, page):
    event = EventFactory()
    division, location = DivisionFactory(), LocationFactory()
    people = User.objects.bulk_create(
        [User(email=f"r{i}@example.com", full_name=f"R {i}", division=division, location=location) for i in range(2000)]
    )
    # The last 500 share the viewer's place: the last pages cross into them.
    User.objects.filter(pk__in=[p.pk for p in people[1500:]]).update(division=poster.division, location=poster.location)
    Attendance.objects.bulk_create([Attendance(event=event, employee=p, how="imported") for p in people])
    paginator = Paginator(RankedAttendees(event, viewer=poster), 50)
    # The count, then at most three for the page (the others, their count past them, the same place).
    with django_assert_max_num_queries(4):
        rows = list(paginator.page(page))
    assert len(rows) == 50
    assert all((p.division_id, p.location_id) != (poster.division_id, poster.location_id) for p in rows) == (page <= 30)
