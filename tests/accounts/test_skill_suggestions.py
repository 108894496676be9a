"""Skills bring candidates of their own (issue 18): a colleague who shares the viewer's rare skills
is suggested even with no other link (another job function, no mutual connection, no event),
ranked with the other reasons and named "3 skills in common: forecasting, Python, SQL"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts import network
from accounts.models import ConnectionRequest, SuggestionDismissal, User
from accounts.network import suggestions as suggestions_module
from accounts.services import employee_set_skills, skill_key
from tests.factories import UserFactory, connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(poster):
    employee_set_skills(poster, ["SQL", "forecasting", "Python", "Leadership"])
    return poster


def colleague(skills, **fields):
    """Someone with nothing but skills in common: another job function, division and location."""
    person = UserFactory(job_function="Procurement", **fields)
    employee_set_skills(person, skills)
    return person


def test_a_colleague_sharing_skills_is_found_without_any_other_link(analyst):
    sharing = colleague(["Python", "sql", "Forecasting", "Negotiation"])
    colleague(["Negotiation", "SAP"])  # nothing in common: not suggested
    found = network.suggestions_for(analyst, limit=10)
    assert [s.person for s in found] == [sharing]
    place = f"{sharing.division.name}, in {sharing.location.name}"
    assert found[0].reason == f"{place} · 3 skills in common: forecasting, Python, SQL"
    assert found[0].shared_skills == ("forecasting", "Python", "SQL")


def test_skills_rank_with_the_other_reasons(analyst):
    one_skill = colleague(["SQL"])
    three_skills = colleague(["SQL", "Python", "Forecasting"])
    counterpart = UserFactory(job_function=analyst.job_function)  # same function elsewhere: 3 points
    found = network.suggestions_for(analyst, limit=10)
    # 3 shared skills + division + location (5.5) > same function + division + location (5.5, then
    # fewer mutual, then the spread) or one skill (3.5): the order is by score.
    scores = {s.person.pk: s.score for s in found}
    assert scores[three_skills.pk] > scores[one_skill.pk]
    assert scores[counterpart.pk] > scores[one_skill.pk]
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_mutual_connections_of_a_skills_candidate_are_counted(analyst):
    sharing = colleague(["SQL", "Python"])
    friend = UserFactory()
    connect(analyst, friend)
    connect(friend, sharing)
    # A pool of one mutual candidate keeps `sharing` out of the mutual pool: the skills pool
    # brings them and their mutual connections are still counted.
    for _ in range(3):
        hub = UserFactory()
        connect(analyst, hub)
        for other in UserFactory.create_batch(2):
            connect(hub, other)
    found = {s.person.pk: s for s in network.suggestions_for(analyst, limit=20)}
    assert found[sharing.pk].mutual_count == 1
    assert found[sharing.pk].reason.endswith("1 mutual connection · 2 skills in common: Python, SQL")


def test_only_rare_skills_bring_candidates(analyst, monkeypatch):
    """A skill held by more than RARE_SKILL_HOLDERS employees brings nobody (it still counts as a
    skill in common for candidates found otherwise)."""
    monkeypatch.setattr(suggestions_module, "RARE_SKILL_HOLDERS", 3)
    common = [colleague(["Leadership"]) for _ in range(3)]  # 4 holders with the analyst: common
    rare = colleague(["Forecasting"])  # 2 holders: rare
    counterpart = UserFactory(job_function=analyst.job_function)
    employee_set_skills(counterpart, ["Leadership"])
    found = {s.person.pk: s for s in network.suggestions_for(analyst, limit=20)}
    assert rare.pk in found
    assert not {p.pk for p in common} & set(found)
    assert found[counterpart.pk].shared_skills == ("Leadership",)


def test_the_pool_keeps_those_sharing_the_most(analyst, monkeypatch):
    monkeypatch.setattr(suggestions_module, "SKILL_POOL", 2)
    most = colleague(["SQL", "Python", "Forecasting"])
    more = colleague(["SQL", "Python"])
    fewer = [colleague(["SQL"]) for _ in range(3)]
    found = [s.person.pk for s in network.suggestions_for(analyst, limit=20)]
    assert found == [most.pk, more.pk]
    assert not set(found) & {p.pk for p in fewer}


@pytest.mark.parametrize("left_out", ["connected", "pending_out", "pending_in", "declined", "dismissed", "deactivated"])
def test_skills_candidates_left_out(analyst, left_out):
    person = colleague(["SQL", "Python"])
    if left_out == "connected":
        connect(analyst, person)
    elif left_out == "pending_out":
        ConnectionRequest.objects.create(sender=analyst, recipient=person)
    elif left_out == "pending_in":
        ConnectionRequest.objects.create(sender=person, recipient=analyst)
    elif left_out == "declined":
        ConnectionRequest.objects.create(sender=person, recipient=analyst, status=ConnectionRequest.Status.DECLINED)
    elif left_out == "dismissed":
        SuggestionDismissal.objects.create(user=analyst, dismissed=person)
    else:
        User.objects.filter(pk=person.pk).update(is_active=False)
    assert person.pk not in [s.person.pk for s in network.suggestions_for(analyst, limit=20)]


def test_the_digest_counterparts_take_nobody_from_the_skills_pool(analyst):
    colleague(["SQL", "Python"])
    found = network.suggestions_for_many([analyst], limit=3, counterparts_only=True)
    assert found[analyst.pk] == []


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured), result


def test_queries_are_constant_whatever_the_number_sharing_skills(analyst, client, django_assert_max_num_queries):
    client.force_login(analyst)
    counts = []
    for size in (5, 50):
        while User.objects.filter(job_function="Procurement").count() < size:
            person = colleague(["SQL", "Python"])
            friend = UserFactory()
            connect(analyst, friend)
            connect(friend, person)
        n, found = queries(lambda: network.suggestions_for(analyst, limit=10))
        assert len(found) == min(size, 10) and all(s.shared_skills for s in found)
        client.get("/network/")  # warm caches, as tests/accounts/test_network_queries.py does
        page, response = queries(lambda: client.get("/network/"))
        assert response.status_code == 200 and "2 skills in common: Python, SQL" in response.content.decode()
        counts.append((n, page))
    assert counts[0] == counts[1]
    assert counts[1][0] <= 9  # the suggestions' budget (tests/accounts/test_network_queries.py)
    assert counts[1][1] <= 20  # /network/'s budget


VOCABULARY = ["SQL", "Python", "Go", "Excel", "SAP"]


class SkillsInCommonAreExactlyShared(TestCase):
    """Whatever the skills of a small company, everyone active and unconnected who shares a skill
    with the viewer is suggested (the pool is far from full), and every reason names exactly the
    skills both have, no more and no fewer."""

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        skills=st.lists(st.sets(st.sampled_from(VOCABULARY), max_size=4), min_size=2, max_size=7),
        connected=st.integers(min_value=1, max_value=7),
        leaver=st.integers(min_value=1, max_value=7),
    )
    def test_the_skills_reason_is_the_intersection(self, skills, connected, leaver):
        people = [UserFactory(job_function=f"Function {i}") for i in range(len(skills))]
        for person, names in zip(people, skills, strict=True):
            employee_set_skills(person, sorted(names))
        viewer = people[0]
        if connected < len(people):
            connect(viewer, people[connected])
        if leaver < len(people):
            User.objects.filter(pk=people[leaver].pk).update(is_active=False)
        found = network.suggestions_for(User.objects.get(pk=viewer.pk), limit=20)
        mine = {skill_key(n) for n in skills[0]}
        for s in found:
            theirs = skills[people.index(s.person)]
            assert {skill_key(n) for n in s.shared_skills} == mine & {skill_key(n) for n in theirs}
        expected = {
            p.pk
            for i, p in enumerate(people[1:], start=1)
            if i not in (connected, leaver) and mine & {skill_key(n) for n in skills[i]}
        }
        assert expected <= {s.person.pk for s in found}
