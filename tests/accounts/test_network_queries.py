"""The network's pages and API run a constant number of queries when the data grows tenfold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import network
from accounts.models import ConnectionRequest
from tests.factories import UserFactory, connect

# Generous ceilings; the real check is that 5 and 50 of everything cost the same.
MAX_QUERIES = {
    "/network/": 20,
    "/people/": 16,
    "profile": 16,
    "/api/v1/suggestions/": 12,
    "/api/v1/connections/": 8,
    "/api/v1/connection-requests/": 8,
}


class Network:
    """A viewer whose network grows: connections, people beyond them, requests both ways, and a
    colleague with whom every connection is shared."""

    def __init__(self, viewer):
        self.viewer = viewer
        self.friends = []
        self.mutual_target = UserFactory(full_name="Mo Mutual")

    def grow_to(self, size):
        while len(self.friends) < size:
            friend = UserFactory()
            connect(self.viewer, friend)
            connect(friend, self.mutual_target)
            connect(friend, UserFactory())  # second degree, a suggestion with a mutual connection
            UserFactory()  # a counterpart: same function, another division and location
            ConnectionRequest.objects.create(sender=UserFactory(), recipient=self.viewer, message="Hello")
            ConnectionRequest.objects.create(sender=self.viewer, recipient=UserFactory())
            self.friends.append(friend)


def count(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def measure(client, api_as, poster):
    grown = Network(poster)
    client.force_login(poster)
    api = api_as(poster)
    calls = {
        "/network/": lambda: client.get("/network/"),
        "/people/": lambda: client.get("/people/"),
        "profile": lambda: client.get(f"/people/{grown.mutual_target.pk}/"),
        "/api/v1/suggestions/": lambda: api.get("/api/v1/suggestions/"),
        "/api/v1/connections/": lambda: api.get("/api/v1/connections/"),
        "/api/v1/connection-requests/": lambda: api.get("/api/v1/connection-requests/"),
    }

    def at(size, name):
        grown.grow_to(size)
        calls[name]()  # warm caches (content types, permissions) so both sizes are measured alike
        return count(calls[name])

    return at


@pytest.mark.parametrize("name", list(MAX_QUERIES))
def test_query_count_is_constant_when_data_grows_tenfold(measure, django_assert_max_num_queries, name, capsys):
    small = measure(5, name)
    large = measure(50, name)
    with capsys.disabled():
        print(f"\n{name}: {small} queries with 5, {large} with 50")
    assert small == large
    assert large <= MAX_QUERIES[name]


def test_suggestions_run_at_most_nine_queries(poster, django_assert_max_num_queries):
    # Nine since issue 18: the fellow-attendee pool ("Both at <event>"), the pool of people sharing
    # rare skills and the candidates' skills (skills in common) are one query each per batch; the
    # counterparts' two index walks became one query to make room for the skills pool.
    grown = Network(poster)
    grown.grow_to(30)
    with django_assert_max_num_queries(9):
        suggestions = network.suggestions_for(poster, limit=10)
    assert len(suggestions) == 10


@pytest.mark.parametrize("size", [5, 50])
def test_suggestions_for_a_batch_cost_the_same_for_5_or_50_people(db, django_assert_num_queries, size):
    """The digest asks for a whole batch at once: eight queries plus one per job function (since
    issue 18, the fellow-attendee pool, the pool of people sharing skills and the candidates'
    skills are one query each; the two walks of a function's counterparts are one query)."""
    hub = UserFactory()
    people = []
    for i in range(size):
        person = UserFactory(job_function="Data Analysis" if i % 2 else "Design")
        connect(hub, person)
        people.append(person)
    UserFactory.create_batch(3, job_function="Design")
    with django_assert_num_queries(8 + 1 * 2):
        found = network.suggestions_for_many(people, limit=3)
    assert all(len(found[p.pk]) == 3 for p in people)


def test_a_batch_suggests_what_each_would_be_suggested_alone(poster):
    grown = Network(poster)
    grown.grow_to(8)
    people = [poster, *grown.friends[:4], grown.mutual_target]
    batch = network.suggestions_for_many(people, limit=5)
    for person in people:
        alone = network.suggestions_for(person, limit=5)
        assert [(s.person.pk, s.reason) for s in batch[person.pk]] == [(s.person.pk, s.reason) for s in alone]


def test_pages_show_the_grown_data(client, poster):
    grown = Network(poster)
    grown.grow_to(50)
    client.force_login(poster)
    page = client.get("/network/").content.decode()
    assert page.count("/accept/") == 50 and page.count("/withdraw/") == 50
    assert "Page 1 of 2" in page
    profile = client.get(f"/people/{grown.mutual_target.pk}/").content.decode()
    assert "(50)" in profile and "Showing 12 of 50." in profile
