"""The fixed cast every test shares.

    poster ── direct ── second        stranger (no links)      hr (HR group)
       └──── (deactivated) former ─── stranger_via_leaver

`direct` is the poster's connection, `second` is connected to `direct` only (second degree to the
poster), `stranger` has no link to anyone, `hr` is in the HR group, and `former` is a deactivated
employee connected to the poster and to `stranger_via_leaver`, who must therefore not count as
second degree.
"""

import pytest
from rest_framework.test import APIClient

from accounts.roles import sync_hr_group
from accounts.services import token_issue
from tests.factories import UserFactory, connect


@pytest.fixture
def poster(db):
    return UserFactory(email="poster@example.com", full_name="Paula Poster", title="Engineering Manager")


@pytest.fixture
def direct(db, poster):
    user = UserFactory(email="direct@example.com", full_name="Dan Direct")
    connect(poster, user)
    return user


@pytest.fixture
def second(db, direct):
    user = UserFactory(email="second@example.com", full_name="Sam Second")
    connect(direct, user)
    return user


@pytest.fixture
def stranger(db):
    return UserFactory(email="stranger@example.com", full_name="Stella Stranger")


@pytest.fixture
def hr(db):
    user = UserFactory(email="hr@example.com", full_name="Hana HR", title="HR Business Partner", is_staff=True)
    user.groups.add(sync_hr_group())
    return user


@pytest.fixture
def former(db, poster):
    user = UserFactory(email="former@example.com", full_name="Fred Former", is_active=False)
    connect(poster, user)
    return user


@pytest.fixture
def stranger_via_leaver(db, former):
    user = UserFactory(email="via-leaver@example.com", full_name="Vic ViaLeaver")
    connect(former, user)
    return user


@pytest.fixture
def cast(poster, direct, second, stranger, hr, former, stranger_via_leaver):
    return {
        "poster": poster,
        "direct": direct,
        "second": second,
        "stranger": stranger,
        "hr": hr,
        "former": former,
        "stranger_via_leaver": stranger_via_leaver,
    }


@pytest.fixture
def api():
    return APIClient()


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_as():
    """api_as(user) gives an API client authenticated with a fresh personal token of `user`."""

    def make(user):
        _, plain = token_issue(user=user)
        return bearer(APIClient(), plain)

    return make


@pytest.fixture
def hr_service_api(db):
    from accounts.models import ServiceAccount

    account = ServiceAccount.objects.create(name="HRIS")
    _, plain = token_issue(service_account=account, scope="hr")
    return bearer(APIClient(), plain)
