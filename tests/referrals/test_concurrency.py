"""The duplicate rule under two concurrent submissions: the database constraint decides."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import User
from referrals import services
from referrals.models import DUPLICATE_MESSAGE, Referral
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Needs PostgreSQL: SQLite serialises writers, so two submissions can never overlap there.",
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_two_concurrent_submissions_of_one_person_create_one_referral(round_):
    poster = UserFactory()
    first, second = UserFactory(), UserFactory()
    connect(poster, first)
    connect(poster, second)
    opening = OpeningFactory(posted_by=poster)
    barrier = threading.Barrier(2)
    outcomes = {}

    def submit(referrer_id, email):
        try:
            referrer = User.objects.get(pk=referrer_id)
            barrier.wait(timeout=10)
            referral = services.referral_submit(
                referrer=referrer,
                opening=opening.pk,
                candidate_name="Ada",
                candidate_email=email,
                consent_confirmed=True,
            )
            outcomes[referrer_id] = ("created", referral.pk)
        except ValidationError as error:
            outcomes[referrer_id] = ("refused", error.message_dict)
        except Exception as error:  # pragma: no cover - reported by the assertion below
            outcomes[referrer_id] = ("error", repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=(first.pk, "ada@example.org")),
        threading.Thread(target=submit, args=(second.pk, "ADA@Example.ORG")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    kinds = sorted(kind for kind, _ in outcomes.values())
    assert kinds == ["created", "refused"], outcomes
    refused = next(detail for kind, detail in outcomes.values() if kind == "refused")
    assert refused == {"candidate_email": [DUPLICATE_MESSAGE]}
    [referral] = Referral.objects.filter(opening=opening)
    winner = next(pk for pk, (kind, _) in outcomes.items() if kind == "created")
    assert referral.referrer_id == winner  # credit stays with the one who got there first
    assert referral.events.count() == 1
