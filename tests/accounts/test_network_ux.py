"""Network pages: confirmation before removing, "Not now" undone, search with mutuals and Connect."""

import re

import pytest

from accounts.models import Connection, ConnectionRequest, SuggestionDismissal
from tests.factories import UserFactory, connect


def text(response):
    return response.content.decode()


def test_remove_asks_first_and_changes_nothing_until_confirmed(client, poster, direct):
    client.force_login(poster)
    page = text(client.get(f"/people/{direct.pk}/remove/?next=/network/"))
    assert "Remove your connection with Dan Direct?" in page
    assert Connection.objects.filter(from_user=poster, to_user=direct).exists()
    done = client.post(f"/people/{direct.pk}/remove/", {"next": "/network/"}, follow=True)
    assert "You are no longer connected with Dan Direct." in text(done)
    assert not Connection.objects.filter(from_user=poster, to_user=direct).exists()


def test_remove_confirmation_for_someone_not_connected_is_a_404(client, poster, stranger):
    client.force_login(poster)
    assert client.get(f"/people/{stranger.pk}/remove/").status_code == 404


def test_not_now_can_be_undone(client, direct, second):
    stranger = UserFactory(full_name="Zed Suggested")
    connect(second, stranger)
    client.force_login(direct)
    client.post(f"/people/{stranger.pk}/dismiss/")
    page = text(client.get("/network/"))
    dismissed = page[page.index('id="dismissed-h"') :]
    assert "Zed Suggested" in dismissed and f'action="/people/{stranger.pk}/restore/"' in dismissed
    back = text(client.post(f"/people/{stranger.pk}/restore/", {"next": "/network/#dismissed"}, follow=True))
    assert "Zed Suggested may be suggested to you again." in back
    assert not SuggestionDismissal.objects.filter(user=direct, dismissed=stranger).exists()
    suggestions = back[back.index('id="suggestions-h"') : back.index('id="connections-h"')]
    assert "Zed Suggested" in suggestions


def test_restore_of_an_unknown_person_is_a_404(client, direct):
    client.force_login(direct)
    assert client.post("/people/999999/restore/").status_code == 404


def test_search_results_show_mutuals_and_connect(client, poster, direct):
    target = UserFactory(full_name="Quinn Target")
    connect(direct, target)
    client.force_login(poster)
    page = text(client.get("/people/?q=Quinn"))
    assert "1 mutual connection" in page
    assert re.search(rf'action="/people/{target.pk}/connect/".*?>Connect</button>', page, re.S)
    client.post(f"/people/{target.pk}/connect/", {"next": "/people/?q=Quinn"})
    assert ConnectionRequest.objects.filter(sender=poster, recipient=target).exists()
    assert "Request pending" in text(client.get("/people/?q=Quinn"))


@pytest.mark.parametrize("size", [3, 24])
def test_search_with_mutuals_runs_constant_queries(client, poster, django_assert_max_num_queries, size):
    friends = UserFactory.create_batch(3)
    for friend in friends:
        connect(poster, friend)
    for n in range(size):
        person = UserFactory(full_name=f"Searchable Person {n}")
        for friend in friends[: 1 + n % 3]:
            connect(friend, person)
    client.force_login(poster)
    # The same at both sizes: the directory page, its filters, the navigation counts, relationships,
    # and (issue 18) one prefetch of the page's skills.
    with django_assert_max_num_queries(16):
        page = text(client.get("/people/?q=Searchable"))
    assert page.count("mutual connection") == size
