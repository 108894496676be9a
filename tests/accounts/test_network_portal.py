"""The network in the portal: /network/, /people/, /people/<id>/ and their POST actions."""

import pytest
from django.test import Client

from accounts import network
from accounts.models import Connection, ConnectionRequest, SuggestionDismissal
from tests.factories import DivisionFactory, LocationFactory, UserFactory

Status = ConnectionRequest.Status


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def text(response):
    return response.content.decode()


@pytest.mark.parametrize("url", ["/network/", "/people/", "/people/1/"])
def test_pages_need_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_navigation_shows_network_and_people(as_user, poster):
    page = text(as_user(poster).get("/"))
    assert 'href="/network/"' in page and 'href="/people/"' in page


# --- /network/ ------------------------------------------------------------------------------


def test_network_page_shows_everything_with_its_actions(as_user, cast):
    poster = cast["poster"]
    incoming = network.connection_request_send(sender=cast["stranger"], recipient=poster, message="Hello from Stella")
    outgoing = network.connection_request_send(sender=poster, recipient=cast["hr"])
    page = text(as_user(poster).get("/network/"))
    assert "Dan Direct" in page and f'href="/people/{cast["direct"].pk}/remove/?next=' in page
    assert "Fred Former" not in page  # a leaver is in nobody's network
    assert "Hello from Stella" in page
    assert f'action="/network/requests/{incoming.pk}/accept/"' in page
    assert f'action="/network/requests/{incoming.pk}/decline/"' in page
    assert f'action="/network/requests/{outgoing.pk}/withdraw/"' in page
    # Sam is a connection of Dan: suggested, with the reason and both buttons.
    assert "Sam Second" in page and "1 mutual connection" in page
    assert f'action="/people/{cast["second"].pk}/connect/"' in page
    assert f'action="/people/{cast["second"].pk}/dismiss/"' in page


def test_network_page_empty_states(as_user, stranger):
    page = text(as_user(stranger).get("/network/"))
    for empty in ["No requests waiting", "No connections yet", "Nothing pending", "No suggestions right now"]:
        assert empty in page


def test_network_page_paginates_connections(as_user, poster):
    from tests.factories import connect

    for person in UserFactory.create_batch(31):
        connect(poster, person)
    client = as_user(poster)
    assert "Page 1 of 2" in text(client.get("/network/"))
    assert text(client.get("/network/?page=2")).count("/remove/?next=") == 1
    assert client.get("/network/?page=zzz").status_code == 200


# --- /people/ -------------------------------------------------------------------------------


def test_directory_lists_active_people_with_their_degree(as_user, cast):
    page = text(as_user(cast["poster"]).get("/people/"))
    assert "Dan Direct" in page and "Sam Second" in page and "Stella Stranger" in page
    assert "Fred Former" not in page
    assert ">1st<" in page and ">2nd<" in page


@pytest.fixture
def directory(db):
    fin = DivisionFactory(code="fin", name="Finance")
    eng = DivisionFactory(code="eng", name="Engineering")
    berlin = LocationFactory(code="berlin", name="Berlin")
    paris = LocationFactory(code="paris", name="Paris")
    UserFactory(
        full_name="Ada Analyst",
        title="Senior Data Analyst",
        division=fin,
        location=berlin,
        job_function="Data Analysis",
    )
    UserFactory(
        full_name="Bo Builder",
        title="Software Engineer",
        division=eng,
        location=paris,
        job_function="Software Engineering",
    )
    UserFactory(full_name="Cy Counter", title="Accountant", division=fin, location=paris, job_function="Accounting")
    return UserFactory(
        full_name="Viewer Person", title="Manager", division=eng, location=berlin, job_function="Management"
    )


@pytest.mark.parametrize(
    "query,expected",
    [
        ("q=ada", {"Ada Analyst"}),
        ("q=engineer", {"Bo Builder"}),  # title
        ("division=fin", {"Ada Analyst", "Cy Counter"}),
        ("location=paris", {"Bo Builder", "Cy Counter"}),
        ("job_function=Accounting", {"Cy Counter"}),
        ("division=fin&location=paris", {"Cy Counter"}),
        ("q=nobody-by-that-name", set()),
    ],
)
def test_directory_search_and_filters(as_user, directory, query, expected):
    page = text(as_user(directory).get(f"/people/?{query}"))
    shown = {name for name in ["Ada Analyst", "Bo Builder", "Cy Counter"] if name in page}
    assert shown == expected


def test_directory_refuses_an_unknown_filter_value_politely(as_user, directory):
    response = as_user(directory).get("/people/?division=no-such-division")
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)


def test_directory_has_labelled_filters(as_user, directory):
    page = text(as_user(directory).get("/people/"))
    for field in ["q", "division", "location", "job_function"]:
        assert f'<label for="id_{field}">' in page


def test_directory_paginates(as_user, poster):
    UserFactory.create_batch(30)
    client = as_user(poster)
    assert "Page 1 of 2" in text(client.get("/people/"))
    assert "Page 2 of 2" in text(client.get("/people/?page=2"))


# --- /people/<id>/ --------------------------------------------------------------------------


def test_profile_of_a_connection(as_user, cast):
    page = text(as_user(cast["poster"]).get(f"/people/{cast['direct'].pk}/"))
    assert ">1st<" in page and "Remove connection" in page


def test_profile_of_second_degree_shows_mutual_connections_and_connect_form(as_user, cast):
    page = text(as_user(cast["poster"]).get(f"/people/{cast['second'].pk}/"))
    assert ">2nd<" in page
    assert 'Mutual connections <span class="filter-count">(1)</span>' in page and "Dan Direct" in page
    assert '<label for="id_message">Add a note (optional):</label>' in page
    assert f'action="/people/{cast["second"].pk}/connect/"' in page


def test_profile_of_a_stranger_has_no_degree(as_user, cast):
    page = text(as_user(cast["poster"]).get(f"/people/{cast['stranger_via_leaver'].pk}/"))
    assert ">1st<" not in page and ">2nd<" not in page and "None yet." in page
    assert "Fred Former" not in page  # the leaver is no mutual connection


def test_profile_shows_pending_and_respond(as_user, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger, message="Coffee?")
    mine = text(as_user(poster).get(f"/people/{stranger.pk}/"))
    assert "Withdraw request" in mine and f"/network/requests/{request_obj.pk}/withdraw/" in mine
    theirs = text(as_user(stranger).get(f"/people/{poster.pk}/"))
    assert "Respond" in theirs and "Coffee?" in theirs
    assert (
        f"/network/requests/{request_obj.pk}/accept/" in theirs
        and f"/network/requests/{request_obj.pk}/decline/" in theirs
    )


def test_own_profile_has_no_action(as_user, poster):
    page = text(as_user(poster).get(f"/people/{poster.pk}/"))
    assert "This is you." in page and "/connect/" not in page


def test_profile_of_a_leaver_or_nobody_is_not_found(as_user, poster, former):
    client = as_user(poster)
    assert client.get(f"/people/{former.pk}/").status_code == 404
    assert client.get("/people/987654321/").status_code == 404
    assert client.get("/people/99999999999999999999999/").status_code == 404


# --- POST actions -----------------------------------------------------------------------------


def test_connect_sends_the_request_and_goes_back(as_user, poster, stranger):
    response = as_user(poster).post(f"/people/{stranger.pk}/connect/", {"message": "Hi!", "next": "/network/"})
    assert response.status_code == 302 and response["Location"] == "/network/"
    assert ConnectionRequest.objects.get().message == "Hi!"
    page = text(as_user(poster).get("/network/"))
    assert f"Request sent to {stranger.full_name}." in page


def test_connect_ignores_a_next_to_another_site(as_user, poster, stranger):
    response = as_user(poster).post(f"/people/{stranger.pk}/connect/", {"next": "https://evil.example.net/"})
    assert response["Location"] == f"/people/{stranger.pk}/"


def test_connect_back_accepts_their_request(as_user, poster, stranger):
    network.connection_request_send(sender=stranger, recipient=poster)
    response = as_user(poster).post(f"/people/{stranger.pk}/connect/", follow=True)
    assert "had already asked you: you are now connected" in text(response)
    assert network.are_connected(poster, stranger)


@pytest.mark.parametrize(
    "setup,message",
    [
        ("self", "You cannot send a connection request to yourself."),
        ("connected", "You are already connected with"),
        ("pending", "the request is pending"),
        ("too_long", "Ensure this value has at most 300 characters"),
        ("limit", "the daily limit"),
    ],
)
def test_connect_refusals_show_the_message_and_change_nothing(
    as_user, poster, direct, stranger, settings, setup, message
):
    target, data = stranger, {}
    if setup == "self":
        target = poster
    elif setup == "connected":
        target = direct
    elif setup == "pending":
        network.connection_request_send(sender=poster, recipient=stranger)
    elif setup == "too_long":
        data = {"message": "x" * 301}
    elif setup == "limit":
        settings.CONNECTION_REQUESTS_PER_DAY = 0
    before = list(ConnectionRequest.objects.values_list("pk", "status"))
    response = as_user(poster).post(f"/people/{target.pk}/connect/", data, follow=True)
    assert response.status_code == 200
    assert message in text(response)
    assert list(ConnectionRequest.objects.values_list("pk", "status")) == before


def test_connect_to_a_leaver_is_not_found(as_user, poster, former):
    assert as_user(poster).post(f"/people/{former.pk}/connect/").status_code == 404
    assert not ConnectionRequest.objects.exists()


def test_accept_and_decline_by_the_recipient(as_user, poster, stranger, hr):
    first = network.connection_request_send(sender=stranger, recipient=poster)
    second = network.connection_request_send(sender=hr, recipient=poster)
    client = as_user(poster)
    page = text(client.post(f"/network/requests/{first.pk}/accept/", follow=True))
    assert f"You are now connected with {stranger.full_name}." in page
    assert network.are_connected(poster, stranger)
    page = text(client.post(f"/network/requests/{second.pk}/decline/", follow=True))
    assert f"Request from {hr.full_name} declined." in page
    assert ConnectionRequest.objects.get(pk=second.pk).status == Status.DECLINED


def test_withdraw_by_the_sender(as_user, poster, stranger):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    page = text(as_user(poster).post(f"/network/requests/{request_obj.pk}/withdraw/", follow=True))
    assert f"Request to {stranger.full_name} withdrawn." in page
    assert ConnectionRequest.objects.get().status == Status.WITHDRAWN


@pytest.mark.parametrize(
    "action,actor",
    [
        ("accept", "sender"),
        ("accept", "third"),
        ("decline", "sender"),
        ("decline", "third"),
        ("withdraw", "recipient"),
        ("withdraw", "third"),
    ],
)
def test_someone_elses_request_is_not_found(as_user, poster, stranger, hr, action, actor):
    request_obj = network.connection_request_send(sender=poster, recipient=stranger)
    by = {"sender": poster, "recipient": stranger, "third": hr}[actor]
    response = as_user(by).post(f"/network/requests/{request_obj.pk}/{action}/")
    assert response.status_code == 404
    assert ConnectionRequest.objects.get().status == Status.PENDING
    assert not network.are_connected(poster, stranger)


def test_acting_on_a_missing_request_is_not_found(as_user, poster):
    assert as_user(poster).post("/network/requests/424242/accept/").status_code == 404


def test_answering_twice_shows_a_message(as_user, poster, stranger):
    request_obj = network.connection_request_send(sender=stranger, recipient=poster)
    client = as_user(poster)
    client.post(f"/network/requests/{request_obj.pk}/accept/")
    response = client.post(f"/network/requests/{request_obj.pk}/decline/", follow=True)
    assert response.status_code == 200 and "it was already accepted" in text(response)


def test_remove_a_connection(as_user, poster, direct):
    page = text(as_user(poster).post(f"/people/{direct.pk}/remove/", {"next": "/network/"}, follow=True))
    assert f"You are no longer connected with {direct.full_name}." in page
    assert not Connection.objects.filter(from_user=poster).exists()


def test_remove_someone_not_connected_is_not_found(as_user, poster, stranger):
    assert as_user(poster).post(f"/people/{stranger.pk}/remove/").status_code == 404


def test_not_now(as_user, poster, second, direct):
    client = as_user(direct)
    stranger = UserFactory(full_name="Zed Suggested")
    from tests.factories import connect

    connect(second, stranger)
    assert "Zed Suggested" in text(client.get("/network/"))
    page = text(client.post(f"/people/{stranger.pk}/dismiss/", {"next": "/network/"}, follow=True))
    assert "Zed Suggested will not be suggested again." in page
    suggestions = page[page.index('id="suggestions-h"') : page.index('id="dismissed-h"')]
    assert "Zed Suggested</strong>" not in suggestions
    assert SuggestionDismissal.objects.filter(user=direct, dismissed=stranger).exists()


@pytest.mark.parametrize(
    "url", ["/people/{pk}/connect/", "/people/{pk}/dismiss/", "/people/{pk}/restore/", "/network/requests/{pk}/accept/"]
)
def test_actions_are_post_only(as_user, poster, stranger, url):
    assert as_user(poster).get(url.format(pk=stranger.pk)).status_code == 405


def test_actions_need_the_csrf_token(poster, stranger):
    client = Client(enforce_csrf_checks=True)
    client.force_login(poster)
    assert client.post(f"/people/{stranger.pk}/connect/").status_code == 403
    assert not ConnectionRequest.objects.exists()


def test_dashboard_shows_pending_connection_requests(as_user, poster, stranger, former):
    network.connection_request_send(sender=stranger, recipient=poster)
    ConnectionRequest.objects.create(sender=former, recipient=poster)
    page = text(as_user(poster).get("/"))
    assert "Connection requests" in page and f'href="/people/{stranger.pk}/"' in page
    assert "Fred Former" not in page


def test_directory_counts_stop_at_a_cap(client, poster, monkeypatch):
    from accounts.network.views import CappedPaginator
    from tests.factories import UserFactory

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 5)
    for i in range(8):
        UserFactory(full_name=f"Zed Capped {i}")
    client.force_login(poster)
    page = client.get("/people/?q=Zed").content.decode()
    assert "More than 5 people match" in page
    page = client.get("/people/?q=Zed Capped 1").content.decode()
    assert "1 person" in page
