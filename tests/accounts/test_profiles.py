"""Profiles that introduce a person (issue 18): what I do, skills, happy to talk about my role.

Every rule of accounts.services.skills_clean through every channel: the profile page, /people/,
the employee API (read for everyone, written by HR), the HRIS push and the suggestions.
"""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts import network
from accounts.models import EmployeeSkill, Skill
from accounts.services import (
    SKILLS_MAX,
    employee_set_skills,
    profile_update,
    skill_key,
    skills_clean,
)
from tests.factories import DivisionFactory, LocationFactory, UserFactory, connect

EMPLOYEES = "/api/v1/employees/"


@pytest.fixture
def service_api(db):
    """service_api(scope) gives an API client holding a fresh HRIS service token with that scope."""
    from accounts.models import ServiceAccount
    from accounts.services import token_issue
    from tests.conftest import bearer

    def make(scope):
        account, _ = ServiceAccount.objects.get_or_create(name="HRIS")
        _, plain = token_issue(service_account=account, scope=scope)
        return bearer(APIClient(), plain)

    return make


EDIT = "/settings/profile/"
TWENTY_ONE = [f"Skill {n}" for n in range(SKILLS_MAX + 1)]


def names(user):
    user.refresh_from_db()
    return sorted(user.skill_names, key=str.casefold)


# --- The rule -------------------------------------------------------------------------------------


def test_skills_are_trimmed_collapsed_and_deduplicated_case_insensitively():
    assert skills_clean(["  SQL ", "sql", "machine \t  learning", "", "Machine Learning", "Python"]) == [
        "SQL",
        "machine learning",
        "Python",
    ]
    assert skills_clean("SQL, forecasting ,, Python") == ["SQL", "forecasting", "Python"]
    assert skill_key("  Machine   LEARNING ") == "machine learning"


def test_twenty_skills_are_allowed_and_twenty_one_refused():
    assert len(skills_clean(TWENTY_ONE[:SKILLS_MAX])) == SKILLS_MAX
    # Repeats do not count twice towards the cap.
    assert len(skills_clean(TWENTY_ONE[:SKILLS_MAX] + ["skill 0", "SKILL 1"])) == SKILLS_MAX
    with pytest.raises(ValidationError) as refused:
        skills_clean(TWENTY_ONE)
    assert "Up to 20 skills" in refused.value.message_dict["skills"][0]


@pytest.mark.parametrize("bad", ["x" * 41, "ß" * 21, "SQL\u202e", "Py\u200bthon"])
def test_long_or_invisible_skills_are_refused(bad):
    with pytest.raises(ValidationError) as refused:
        skills_clean(["SQL", bad])
    assert list(refused.value.message_dict) == ["skills"]


def test_a_skill_keeps_the_display_form_of_whoever_used_it_first(db):
    first, second = UserFactory(), UserFactory()
    employee_set_skills(first, ["SQL", "Forecasting"])
    employee_set_skills(second, ["sql ", "forecasting", "Python"])
    assert names(second) == ["Forecasting", "Python", "SQL"]
    assert Skill.objects.count() == 3
    employee_set_skills(second, ["Python"])
    assert names(second) == ["Python"] and names(first) == ["Forecasting", "SQL"]


def test_profile_update_writes_nothing_when_one_field_is_refused(db):
    person = UserFactory(what_i_do="Before")
    with pytest.raises(ValidationError) as refused:
        profile_update(employee=person, what_i_do="x" * 601, skills=TWENTY_ONE, open_to_talk=True)
    assert set(refused.value.message_dict) == {"what_i_do", "skills"}
    person.refresh_from_db()
    assert person.what_i_do == "Before" and not person.open_to_talk and not EmployeeSkill.objects.exists()


# --- The profile page -------------------------------------------------------------------------------


def test_an_employee_edits_their_own_profile(client, poster, stranger):
    employee_set_skills(stranger, ["Forecasting", "SQL"])
    client.force_login(poster)
    page = client.get(EDIT).content.decode()
    # Skills already in use are offered as the employee types.
    assert '<datalist id="skill-options">' in page and '<option value="Forecasting">' in page
    response = client.post(
        EDIT, {"what_i_do": "I build the forecasts.", "skills": " sql, Python ,python", "open_to_talk": "on"}
    )
    assert response.status_code == 302 and response.url == f"/people/{poster.pk}/"
    poster.refresh_from_db()
    assert poster.what_i_do == "I build the forecasts." and poster.open_to_talk
    assert names(poster) == ["Python", "SQL"]
    assert client.get(EDIT).context["form"].initial["skills"] == "Python, SQL"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"skills": ", ".join(TWENTY_ONE)}, "skills"),
        ({"skills": "SQL, " + "y" * 41}, "skills"),
        ({"what_i_do": "x" * 601}, "what_i_do"),
        ({"what_i_do": "Payroll\u202e lead"}, "what_i_do"),
    ],
)
def test_bad_profile_input_is_shown_and_nothing_is_written(client, poster, data, field):
    client.force_login(poster)
    response = client.post(EDIT, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" in page and f'href="#id_{field}"' in page
    poster.refresh_from_db()
    assert poster.what_i_do == "" and not EmployeeSkill.objects.filter(employee=poster).exists()


def test_the_profile_page_needs_a_signed_in_employee(client):
    assert client.get(EDIT).status_code == 302


def test_profiles_show_what_i_do_skills_and_the_flag(client, poster, stranger):
    profile_update(employee=stranger, what_i_do="I run the Berlin data team.", skills=["SQL"], open_to_talk=True)
    client.force_login(poster)
    page = client.get(f"/people/{stranger.pk}/").content.decode()
    assert "What I do" in page and "I run the Berlin data team." in page
    assert "Happy to talk about my role" in page and 'href="/people/?skill=SQL"' in page
    assert "Edit your profile" not in page
    assert "Edit your profile" in client.get(f"/people/{poster.pk}/").content.decode()


# --- /people/ ----------------------------------------------------------------------------------------


def test_people_search_finds_skills_and_filters_by_skill(client, poster):
    sql = UserFactory(full_name="Quentin Query")
    employee_set_skills(sql, ["SQL", "Machine Learning"])
    python = UserFactory(full_name="Pia Python")
    employee_set_skills(python, ["Python"])
    UserFactory(full_name="Nina Nothing")
    client.force_login(poster)

    def found(query):
        return {person.full_name for person, _ in client.get("/people/" + query).context["people"]}

    assert found("?q=machine%20%20learning") == {"Quentin Query"}
    assert found("?q=pyth") == {"Pia Python"}
    assert found("?skill=%20sql") == {"Quentin Query"}
    assert found("?skill=Python&q=Pia") == {"Pia Python"}
    assert found("?skill=Cobol") == set()
    assert "SQL" in client.get("/people/?q=Quentin").content.decode()


@pytest.mark.parametrize("size", [3, 24])
def test_people_with_skills_runs_constant_queries(client, poster, django_assert_max_num_queries, size):
    for n in range(size):
        person = UserFactory(full_name=f"Skilled Person {n}")
        employee_set_skills(person, ["SQL", f"Tool {n}", f"Tool {n + 1}"])
    client.force_login(poster)
    with django_assert_max_num_queries(16):
        response = client.get("/people/?q=sql")
    assert len(response.context["people"]) == size
    assert response.content.decode().count('href="?skill=SQL"') == size
    with django_assert_max_num_queries(16):
        assert client.get("/people/?skill=SQL").status_code == 200


# --- The API -----------------------------------------------------------------------------------------


def test_everyone_who_reads_employees_reads_the_profile(api_as, service_api, poster, stranger):
    profile_update(employee=stranger, what_i_do="Forecasts.", skills=["SQL", "Python"], open_to_talk=True)
    for client in (api_as(poster), service_api("hr:read"), service_api("hr")):
        body = client.get(f"{EMPLOYEES}{stranger.pk}/").json()
        assert body["skills"] == ["Python", "SQL"]
        assert body["what_i_do"] == "Forecasts." and body["open_to_talk"] is True
    assert api_as(stranger).get("/api/v1/me/").json()["skills"] == ["Python", "SQL"]


def test_hr_pushes_skills_by_patch_normalised(service_api, stranger):
    response = service_api("hr").patch(
        f"{EMPLOYEES}{stranger.pk}/", {"skills": [" sql", "SQL", "Data  Modelling"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["skills"] == ["Data Modelling", "sql"]
    assert names(stranger) == ["Data Modelling", "sql"]


@pytest.mark.parametrize("scope", ["hr:read", None])
def test_skills_are_not_written_without_hr(api_as, service_api, stranger, scope):
    client = service_api(scope) if scope else api_as(stranger)
    response = client.patch(f"{EMPLOYEES}{stranger.pk}/", {"skills": ["SQL"]}, format="json")
    assert response.status_code == 403
    assert not EmployeeSkill.objects.exists()


def test_over_the_cap_by_patch_is_a_400_on_skills_and_nothing_is_written(service_api, stranger):
    employee_set_skills(stranger, ["SQL"])
    response = service_api("hr").patch(
        f"{EMPLOYEES}{stranger.pk}/", {"skills": TWENTY_ONE, "title": "Lead"}, format="json"
    )
    assert response.status_code == 400
    assert "Up to 20 skills" in str(response.json()["fields"]["skills"])
    stranger.refresh_from_db()
    assert names(stranger) == ["SQL"] and stranger.title == "Analyst"


def test_the_hris_pushes_skills_by_employee_id(service_api, stranger):
    client = service_api("hr")
    url = f"{EMPLOYEES}by-employee-id/{stranger.employee_id}/"
    body = {"email": stranger.email, "full_name": stranger.full_name, "skills": ["SQL", "Forecasting"]}
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["skills"] == ["Forecasting", "SQL"]
    # The same skills spelled differently change nothing.
    again = client.put(url, {**body, "skills": ["forecasting ", "sql"]}, format="json")
    assert again.status_code == 200 and names(stranger) == ["Forecasting", "SQL"]
    # Leaving skills out keeps them.
    client.put(url, {"email": stranger.email, "full_name": stranger.full_name}, format="json")
    assert names(stranger) == ["Forecasting", "SQL"]
    refused = client.put(url, {**body, "skills": TWENTY_ONE, "title": "Lead"}, format="json")
    assert refused.status_code == 400 and "skills" in str(refused.json()["fields"])
    stranger.refresh_from_db()
    assert names(stranger) == ["Forecasting", "SQL"] and stranger.title == "Analyst"


def test_a_new_employee_arrives_with_skills(service_api, db):
    response = service_api("hr").put(
        f"{EMPLOYEES}by-employee-id/NEW-1/",
        {"email": "new@example.com", "full_name": "New Person", "skills": ["Python"]},
        format="json",
    )
    assert response.status_code == 201 and response.json()["skills"] == ["Python"]


def test_what_i_do_and_open_to_talk_are_the_employees_own(service_api, stranger):
    service_api("hr").patch(f"{EMPLOYEES}{stranger.pk}/", {"title": "Lead"}, format="json")
    stranger.refresh_from_db()
    assert stranger.what_i_do == "" and not stranger.open_to_talk


# --- Suggestions -----------------------------------------------------------------------------------


@pytest.fixture
def counterparts(poster):
    """Two counterparts of the poster that differ only in the skills they share with her."""
    division, location = DivisionFactory(), LocationFactory()
    sharing = UserFactory(full_name="Sharing Skills", division=division, location=location)
    other = UserFactory(full_name="Other Skills", division=division, location=location)
    employee_set_skills(poster, ["SQL", "forecasting", "Python", "Leadership"])
    employee_set_skills(sharing, ["python", "SQL", "Forecasting", "Go"])
    employee_set_skills(other, ["Go", "Rust"])
    return sharing, other


def test_shared_skills_are_a_reason_and_rank_first(poster, counterparts):
    sharing, other = counterparts
    found = network.suggestions_for(poster, limit=5)
    assert [s.person for s in found[:2]] == [sharing, other]
    assert found[0].reason.endswith("3 skills in common: forecasting, Python, SQL")
    assert "in common" not in found[1].reason
    assert found[0].score > found[1].score


def test_a_batch_with_skills_runs_the_same_queries(poster, counterparts, django_assert_max_num_queries):
    people = [poster]
    for _ in range(6):
        person = UserFactory()
        employee_set_skills(person, ["SQL", "Python"])
        people.append(person)
    # The budgets of tests/accounts/test_network_queries.py: skills cost one query for the whole
    # batch (the candidates' skill links), not one a person.
    with django_assert_max_num_queries(8 + 1 * 1):
        found = network.suggestions_for_many(people, limit=3)
    assert any("in common" in s.reason for s in found[poster.pk])
    with django_assert_max_num_queries(9):
        network.suggestions_for(poster, limit=10)


def test_the_suggestions_api_lists_skills_without_a_query_each(
    api_as, poster, counterparts, django_assert_max_num_queries
):
    for friend in UserFactory.create_batch(5):
        connect(poster, friend)
        connect(friend, UserFactory())
    client = api_as(poster)
    client.get("/api/v1/suggestions/")
    # 9 before events: one more is the fellow-attendee pool, one the candidates' skill links
    # (only the ten people shown are loaded whole), each one query whatever the data.
    with django_assert_max_num_queries(11):
        body = client.get("/api/v1/suggestions/").json()
    first = body["results"][0]
    assert first["employee"]["skills"] == ["forecasting", "Go", "Python", "SQL"]
    assert "3 skills in common" in first["reason"]


# --- The demo -----------------------------------------------------------------------------------------


def test_the_demo_introduces_its_people(db):
    from io import StringIO

    from django.core.management import call_command

    from accounts import demo
    from accounts.models import User

    call_command("seed_demo", "--employees", "60", stdout=StringIO())
    sofia = User.objects.get(email=f"sofia.rossi@{demo.DEMO_DOMAIN}")
    assert names(sofia) == ["Forecasting", "Python", "SQL", "Tableau"]
    assert sofia.what_i_do and sofia.open_to_talk
    generated = User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}")
    assert generated.filter(skill_links__isnull=False).distinct().count() > 30
    assert generated.exclude(what_i_do="").count() > 10
    # Every stored skill obeys the rule.
    assert all(skill.key == skill_key(skill.name) for skill in Skill.objects.all())
