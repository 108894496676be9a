"""The network's reads: connections, degree, mutual connections, suggestions; leavers link nobody."""

import pytest

from accounts import network
from accounts.models import ConnectionRequest, User
from accounts.services import employee_deactivate
from tests.factories import DivisionFactory, LocationFactory, UserFactory, connect

# degree(viewer, other) over the cast: poster ─ direct ─ second, poster ─ (former) ─ stranger_via_leaver.
DEGREES = [
    ("poster", "direct", 1),
    ("direct", "poster", 1),
    ("poster", "second", 2),
    ("second", "poster", 2),
    ("direct", "second", 1),
    ("poster", "stranger", None),
    ("poster", "hr", None),
    ("poster", "former", None),
    ("former", "poster", None),
    ("poster", "stranger_via_leaver", None),
    ("stranger_via_leaver", "poster", None),
    ("poster", "poster", None),
]


@pytest.mark.parametrize("viewer,other,expected", DEGREES)
def test_degree(cast, viewer, other, expected):
    assert network.degree(cast[viewer], cast[other]) == expected


def test_degrees_in_bulk_match_one_by_one(cast):
    others = [cast[name] for name in cast]
    bulk = network.degrees(cast["poster"], [o.pk for o in others])
    assert {o.pk: network.degree(cast["poster"], o) for o in others} == {o.pk: bulk.get(o.pk) for o in others}


def test_connections_of_lists_active_connections_only(cast):
    assert list(network.connections_of(cast["poster"])) == [cast["direct"]]
    assert set(network.connections_of(cast["direct"])) == {cast["poster"], cast["second"]}
    assert list(network.connections_of(cast["stranger_via_leaver"])) == []
    assert list(network.connections_of(cast["former"])) == []


def test_are_connected_needs_both_ends_active(cast):
    assert network.are_connected(cast["poster"], cast["direct"])
    assert not network.are_connected(cast["poster"], cast["second"])
    assert not network.are_connected(cast["poster"], cast["former"])
    assert not network.are_connected(cast["former"], cast["stranger_via_leaver"])


def test_mutual_connections_go_through_active_people_only(cast):
    assert list(network.mutual_connections(cast["poster"], cast["second"])) == [cast["direct"]]
    assert list(network.mutual_connections(cast["poster"], cast["stranger_via_leaver"])) == []


def test_deactivating_someone_drops_them_from_lists_at_once(cast):
    employee_deactivate(employee=cast["direct"])
    poster = User.objects.get(pk=cast["poster"].pk)
    assert list(network.connections_of(poster)) == []
    assert network.degree(poster, cast["second"]) is None
    assert list(network.mutual_connections(poster, cast["second"])) == []


def test_requests_from_and_to_leavers_drop_out_of_the_lists(poster, stranger, hr):
    to_poster = network.connection_request_send(sender=stranger, recipient=poster)
    from_poster = network.connection_request_send(sender=poster, recipient=hr)
    assert list(network.incoming_requests(poster)) == [to_poster]
    assert list(network.outgoing_requests(poster)) == [from_poster]
    employee_deactivate(employee=stranger)
    employee_deactivate(employee=hr)
    assert list(network.incoming_requests(poster)) == []
    assert list(network.outgoing_requests(poster)) == []
    assert list(network.requests_of(poster)) == []


def test_relationships_say_who_asked_whom(poster, direct, stranger, hr):
    asked = network.connection_request_send(sender=poster, recipient=stranger)
    asked_me = network.connection_request_send(sender=hr, recipient=poster)
    found = network.relationships(poster, [direct, stranger, hr])
    assert found[direct.pk].connected and not found[direct.pk].outgoing
    assert found[stranger.pk].outgoing == asked and found[stranger.pk].degree is None
    assert found[hr.pk].incoming == asked_me


# --- Suggestions ------------------------------------------------------------------------------


@pytest.fixture
def org(db):
    """A viewer in Engineering, London, a Data Analyst; counterparts elsewhere."""
    eng = DivisionFactory(code="eng", name="Engineering")
    fin = DivisionFactory(code="fin", name="Finance")
    london = LocationFactory(code="london", name="London")
    berlin = LocationFactory(code="berlin", name="Berlin")

    def person(name, division, location, function="Data Analysis"):
        return UserFactory(full_name=name, division=division, location=location, job_function=function)

    viewer = person("Vera Viewer", eng, london)
    return {
        "viewer": viewer,
        "person": person,
        "eng": eng,
        "fin": fin,
        "london": london,
        "berlin": berlin,
    }


def names(suggestions):
    return [s.person.full_name for s in suggestions]


def test_same_function_elsewhere_is_suggested_with_its_reason(org):
    counterpart = org["person"]("Cora Counterpart", org["fin"], org["berlin"])
    for i in range(3):
        friend = org["person"](f"Friend {i}", org["eng"], org["london"], function="Design")
        connect(org["viewer"], friend)
        connect(friend, counterpart)
    [top] = [s for s in network.suggestions_for(org["viewer"]) if s.person == counterpart]
    assert top.reason == "Same function, Finance, in Berlin · 3 mutual connections"
    assert top.mutual_count == 3 and top.same_function


def test_reason_without_mutual_connections_and_singular(org):
    _lonely = org["person"]("Lone Counterpart", org["fin"], org["berlin"])
    one = org["person"]("One Mutual", org["eng"], org["london"], function="Design")
    friend = org["person"]("Friend", org["eng"], org["london"], function="Design")
    connect(org["viewer"], friend)
    connect(friend, one)
    reasons = {s.person.full_name: s.reason for s in network.suggestions_for(org["viewer"])}
    assert reasons["Lone Counterpart"] == "Same function, Finance, in Berlin"
    assert reasons["One Mutual"] == "1 mutual connection"


def test_same_function_in_the_same_division_and_location_is_not_a_counterpart(org):
    org["person"]("Desk Neighbour", org["eng"], org["london"])
    assert names(network.suggestions_for(org["viewer"])) == []


def test_ranking_boosts_crossing_divisions_and_locations(org):
    org["person"]("Across Location", org["eng"], org["berlin"])
    org["person"]("Across Division", org["fin"], org["london"])
    org["person"]("Across Both", org["fin"], org["berlin"])
    assert names(network.suggestions_for(org["viewer"])) == ["Across Both", "Across Division", "Across Location"]


def test_many_mutual_connections_rank_higher(org):
    few = org["person"]("Few Mutuals", org["eng"], org["london"], function="Design")
    many = org["person"]("Many Mutuals", org["eng"], org["london"], function="Design")
    for i in range(4):
        friend = org["person"](f"Friend {i}", org["eng"], org["london"], function="Design")
        connect(org["viewer"], friend)
        connect(friend, many)
        if i == 0:
            connect(friend, few)
    ranked = names(network.suggestions_for(org["viewer"]))
    assert ranked.index("Many Mutuals") < ranked.index("Few Mutuals")


def test_exclusions(org):
    viewer, person = org["viewer"], org["person"]
    connected = person("Already Connected", org["fin"], org["berlin"])
    connect(viewer, connected)
    asked = person("Asked By Me", org["fin"], org["berlin"])
    network.connection_request_send(sender=viewer, recipient=asked)
    asking = person("Asking Me", org["fin"], org["berlin"])
    network.connection_request_send(sender=asking, recipient=viewer)
    dismissed = person("Dismissed", org["fin"], org["berlin"])
    network.suggestion_dismiss(user=viewer, dismissed=dismissed)
    employee_deactivate(employee=person("Gone", org["fin"], org["berlin"]))
    declined = person("Declined Me", org["fin"], org["berlin"])
    network.connection_request_decline(
        request_obj=network.connection_request_send(sender=viewer, recipient=declined), by=declined
    )
    still = person("Still Suggested", org["fin"], org["berlin"])
    # A connection of a connection who is not connected to the viewer is still suggested.
    connect(connected, still)
    assert names(network.suggestions_for(viewer)) == ["Still Suggested"]


def test_not_now_hides_a_suggestion_for_good(org):
    counterpart = org["person"]("Cora Counterpart", org["fin"], org["berlin"])
    assert names(network.suggestions_for(org["viewer"])) == ["Cora Counterpart"]
    network.suggestion_dismiss(user=org["viewer"], dismissed=counterpart)
    assert network.suggestions_for(org["viewer"]) == []
    # They can still connect if they meet: dismissing is not blocking.
    assert (
        network.connection_request_send(sender=counterpart, recipient=org["viewer"]).status
        == ConnectionRequest.Status.PENDING
    )


def test_a_leaver_links_nobody_in_suggestions(org):
    leaver = org["person"]("Leaving Soon", org["eng"], org["london"], function="Design")
    beyond = org["person"]("Beyond The Leaver", org["eng"], org["london"], function="Design")
    connect(org["viewer"], leaver)
    connect(leaver, beyond)
    assert "Beyond The Leaver" in names(network.suggestions_for(org["viewer"]))
    employee_deactivate(employee=leaver)
    assert names(network.suggestions_for(org["viewer"])) == []


def test_suggestions_for_a_leaver_or_nobody_are_empty(cast):
    assert network.suggestions_for(cast["former"]) == []
    assert network.suggestions_for(None) == []


def test_suggestions_follow_the_limit(org):
    for i in range(5):
        org["person"](f"Counterpart {i}", org["fin"], org["berlin"])
    assert len(network.suggestions_for(org["viewer"], limit=3)) == 3
