"""`seed_demo`: a believable company, the same for the same --seed, safe to run twice."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts import demo
from accounts.models import Division, Location, User
from accounts.roles import can_manage_employees, is_hr

EMPLOYEES = 40


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--employees", str(EMPLOYEES), *args, stdout=out)
    return out.getvalue()


def people():
    """The generated people, by what a visitor sees (ids differ between databases and runs)."""
    return sorted(
        User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}").values_list(
            "email",
            "full_name",
            "employee_id",
            "title",
            "job_function",
            "division__code",
            "location__code",
            "manager__email",
        )
    )


def seeded_people(seed_value):
    """Seed inside a savepoint that is rolled back, so that each run starts from an empty database."""
    with transaction.atomic():
        seed("--seed", str(seed_value))
        result = people()
        transaction.set_rollback(True)
    return result


def row_counts():
    """Rows per table, for every model whose table exists (whatever later parts of the demo add)."""
    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.db_table in tables
    }


def test_builds_a_company(db):
    output = seed()

    everyone = User.objects.exclude(email=demo.ADMIN_EMAIL)
    assert everyone.filter(email__endswith=f"@{demo.DEMO_DOMAIN}").count() == EMPLOYEES
    assert Division.objects.count() == len(demo.DIVISIONS)
    assert Location.objects.count() == len(demo.LOCATIONS)
    assert not everyone.filter(division__isnull=True).exists()
    assert not everyone.filter(location__isnull=True).exists()
    assert everyone.filter(manager__isnull=False).count() >= EMPLOYEES // 2
    assert everyone.values("job_function").distinct().count() > 3
    assert everyone.values("full_name").distinct().count() > EMPLOYEES * 3 // 4
    # Nobody manages themselves, and every address is verified so that everyone can sign in.
    assert not any(u.manager_id == u.pk for u in everyone)
    assert all(u.emailaddress_set.filter(verified=True, primary=True).exists() for u in everyone)
    assert "Demo company ready" in output
    assert "/accounts/login/" in output
    assert demo.DEMO_PASSWORD in output
    for local, *_ in demo.PERSONAS:
        assert f"{local}@{demo.DEMO_DOMAIN}" in output


def test_same_seed_same_people(db):
    first = seeded_people(7)
    second = seeded_people(7)

    assert len(first) == EMPLOYEES + 1
    assert first == second


def test_another_seed_other_people(db):
    assert seeded_people(7) != seeded_people(8)


def test_running_twice_changes_nothing(db):
    seed("--seed", "3")
    counts = row_counts()
    before = people()

    output = seed("--seed", "3")

    assert "already there; nothing changed" in output
    assert row_counts() == counts
    assert people() == before
    # It still tells the visitor how to sign in.
    assert demo.DEMO_PASSWORD in output


def test_a_second_run_with_another_seed_changes_nothing_either(db):
    seed("--seed", "3")
    counts = row_counts()

    seed("--seed", "4")

    assert row_counts() == counts


def test_too_few_employees_is_refused(db):
    with pytest.raises(CommandError, match="--employees"):
        call_command("seed_demo", "--employees", "3", stdout=StringIO())
    assert not User.objects.exists()


def test_a_persona_signs_in_with_the_demo_password(client, db):
    seed()
    persona = User.objects.get(email=f"{demo.PERSONAS[0][0]}@{demo.DEMO_DOMAIN}")

    response = client.post("/accounts/login/", {"login": persona.email, "password": demo.DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(persona.pk)
    assert client.get("/settings/").status_code == 200


def test_the_hr_persona_is_hr_and_the_admin_is_a_superuser(client, db):
    seed()

    hr = User.objects.get(email=f"{demo.HR_PERSONA}@{demo.DEMO_DOMAIN}")
    assert is_hr(hr) and can_manage_employees(hr) and hr.is_staff
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_superuser and admin.is_staff
    client.post("/accounts/login/", {"login": demo.ADMIN_EMAIL, "password": demo.DEMO_PASSWORD})
    assert client.get("/admin/").status_code == 200


def test_a_plain_persona_is_not_hr(db):
    seed()

    assert not is_hr(User.objects.get(email=f"{demo.PERSONAS[0][0]}@{demo.DEMO_DOMAIN}"))
