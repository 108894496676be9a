"""Provisioning from the HRIS: idempotent upserts by HR identifiers, the bulk call, the CSV import,
and leavers losing access at once."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Division, Location, User
from accounts.services import token_issue
from integrations.models import AuditEvent
from tests.conftest import bearer
from tests.factories import DivisionFactory, LocationFactory, UserFactory


@pytest.fixture
def org(db):
    return DivisionFactory(code="finance", name="Finance"), LocationFactory(code="berlin", name="Berlin")


@pytest.fixture
def hris(service_api):
    return service_api("hr:write")


def record(**extra):
    return {
        "email": "lena.fischer@example.com",
        "full_name": "Lena Fischer",
        "title": "Data Analyst",
        "job_function": "Data Analysis",
        "division": "finance",
        "location": "berlin",
        **extra,
    }


def put_employee(api, employee_id, body):
    return api.put(f"/api/v1/employees/by-employee-id/{employee_id}/", body, format="json")


# --- PUT by employee id -------------------------------------------------------------------------


def test_put_creates_then_updates_then_changes_nothing(hris, org):
    created = put_employee(hris, "E100", record())
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["employee_id"], body["email"], body["division"], body["location"]) == (
        "E100",
        "lena.fischer@example.com",
        "finance",
        "berlin",
    )
    employee = User.objects.get(employee_id="E100")
    assert not employee.has_usable_password()  # sets it through the password-reset email
    assert employee.emailaddress_set.get().verified

    updated = put_employee(hris, "E100", record(title="Senior Data Analyst"))
    assert updated.status_code == 200
    assert updated.json()["title"] == "Senior Data Analyst"

    stamp = User.objects.get(employee_id="E100").updated_at
    again = put_employee(hris, "E100", record(title="Senior Data Analyst"))
    assert again.status_code == 200
    assert again.json() == updated.json()
    assert User.objects.get(employee_id="E100").updated_at == stamp  # nothing was written
    assert User.objects.filter(employee_id="E100").count() == 1
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "changes"))
    assert actions[1] == ("employee.update", {"title": ["Data Analyst", "Senior Data Analyst"]})
    assert actions[2] == ("employee.update", {})


def test_put_keeps_fields_that_are_left_out(hris, org):
    put_employee(hris, "E100", record())
    response = put_employee(hris, "E100", {"email": "lena.fischer@example.com", "full_name": "Lena Fischer-Braun"})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["division"]) == ("Data Analyst", "finance")
    cleared = put_employee(hris, "E100", record(title="", division=None))
    assert (cleared.json()["title"], cleared.json()["division"]) == ("", None)


def test_put_adopts_an_employee_without_an_employee_id(hris, org):
    existing = UserFactory(email="lena.fischer@example.com", employee_id=None)
    response = put_employee(hris, "E100", record())
    assert response.status_code == 200
    existing.refresh_from_db()
    assert existing.employee_id == "E100"
    assert User.objects.count() == 1


def test_an_employee_id_cannot_take_another_employees_email(hris, org):
    UserFactory(email="lena.fischer@example.com", employee_id="E200")
    UserFactory(email="tom@example.com", employee_id="E100")
    response = put_employee(hris, "E100", record())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "E200" in body["fields"]["email"][0]
    assert User.objects.get(employee_id="E100").email == "tom@example.com"
    # ...and a new employee id cannot take it either.
    assert put_employee(hris, "E300", record()).status_code == 400
    assert not User.objects.filter(employee_id="E300").exists()


def test_an_employee_may_change_their_email(hris, org):
    put_employee(hris, "E100", record())
    response = put_employee(hris, "E100", record(email="Lena.Braun@Example.com"))
    assert response.status_code == 200
    employee = User.objects.get(employee_id="E100")
    assert employee.email == "lena.braun@example.com"
    assert list(employee.emailaddress_set.values_list("email", flat=True)) == ["lena.braun@example.com"]


@pytest.mark.parametrize(
    "body, field",
    [
        (record(division="nowhere"), "division"),
        (record(location="atlantis"), "location"),
        (record(email="not-an-email"), "email"),
        (record(is_active="perhaps"), "is_active"),
        (record(full_name=["Lena"]), "full_name"),
        (record(manager_employee_id="E999"), "manager_employee_id"),
        (record(manager_employee_id="E100"), "manager_employee_id"),
        (record(salary=100), "salary"),
        (record(employee_id="E100"), "employee_id"),
        ({"full_name": "No Email"}, "email"),
    ],
)
def test_bad_records_are_refused_and_nothing_is_written(hris, org, body, field):
    response = put_employee(hris, "E100", body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    assert not User.objects.filter(employee_id="E100").exists()
    assert AuditEvent.objects.count() == 0


def test_unknown_division_names_the_code(hris, org):
    response = put_employee(hris, "E100", record(division="nowhere"))
    assert response.json()["fields"]["division"] == ["Unknown division code “nowhere”."]


def test_malformed_json_is_a_400(hris, org):
    response = hris.put(
        "/api/v1/employees/by-employee-id/E100/", '{"email": "x@example.com",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert User.objects.count() == 0


def test_provisioning_needs_hr_write(service_api, api_as, stranger, hr, org):
    assert put_employee(service_api("hr:read"), "E100", record()).status_code == 403
    assert put_employee(api_as(stranger), "E100", record()).status_code == 403
    assert put_employee(api_as(hr), "E100", record()).status_code == 201
    assert put_employee(service_api("hr"), "E101", record(email="x@example.com")).status_code == 201


def test_a_manager_is_named_by_employee_id(hris, org):
    put_employee(hris, "E1", record(email="boss@example.com", full_name="Boss"))
    put_employee(hris, "E2", record(manager_employee_id="E1"))
    assert User.objects.get(employee_id="E2").manager == User.objects.get(employee_id="E1")
    put_employee(hris, "E2", record(manager_employee_id=None))
    assert User.objects.get(employee_id="E2").manager is None


# --- Org units by code ------------------------------------------------------------------------


@pytest.mark.parametrize("kind, model", [("divisions", Division), ("locations", Location)])
def test_org_units_by_code(hris, kind, model):
    created = hris.put(f"/api/v1/{kind}/by-code/sales/", {"name": "Sales"}, format="json")
    assert created.status_code == 201
    assert created.json()["code"] == "sales"
    renamed = hris.put(f"/api/v1/{kind}/by-code/sales/", {"name": "Sales & Marketing"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Sales & Marketing"
    stamp = model.objects.get(code="sales").updated_at
    assert hris.put(f"/api/v1/{kind}/by-code/sales/", {"name": "Sales & Marketing"}, format="json").status_code == 200
    assert model.objects.get(code="sales").updated_at == stamp
    bad_code = hris.put(f"/api/v1/{kind}/by-code/not a code!/", {"name": "X"}, format="json")
    assert bad_code.status_code == 400 and "code" in bad_code.json()["fields"]
    assert hris.put(f"/api/v1/{kind}/by-code/ops/", {"name": ""}, format="json").status_code == 400
    assert hris.put(f"/api/v1/{kind}/by-code/ops/", {"name": "Ops", "code": "x"}, format="json").status_code == 400
    assert model.objects.count() == 1


# --- Bulk -------------------------------------------------------------------------------------


def row(employee_id, email, **extra):
    return {"employee_id": employee_id, "email": email, "full_name": email.split("@")[0].title(), **extra}


def test_bulk_reports_what_changed(hris, org):
    UserFactory(employee_id="E3", email="c@example.com", full_name="C", title="Analyst")
    leaver = UserFactory(employee_id="E4", email="d@example.com", full_name="D")
    _, plain = token_issue(user=leaver)
    rows = [
        row("E1", "a@example.com", manager_employee_id="E2", division="finance"),  # manager further down
        row("E2", "b@example.com"),
        row("E3", "c@example.com", full_name="C", title="Analyst"),
        row("E4", "d@example.com", full_name="D", is_active=False),
    ]
    response = hris.post("/api/v1/employees/bulk/", rows, format="json")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert {k: report[k] for k in ("created", "updated", "unchanged", "deactivated")} == {
        "created": 2,
        "updated": 0,
        "unchanged": 1,
        "deactivated": 1,
    }
    assert [r["outcome"] for r in report["rows"]] == ["created", "created", "unchanged", "deactivated"]
    assert User.objects.get(employee_id="E1").manager.employee_id == "E2"
    assert report["rows"][3]["changes"] == {"is_active": [True, False]}
    assert ApiToken.objects.get(user=leaver).revoked_at is not None
    assert bearer(hris.__class__(), plain).get("/api/v1/me/").status_code == 401

    again = hris.post("/api/v1/employees/bulk/", rows, format="json").json()
    assert (again["created"], again["updated"], again["unchanged"], again["deactivated"]) == (0, 0, 4, 0)
    assert AuditEvent.objects.filter(action="employee.bulk_upsert").count() == 2


def test_bulk_is_all_or_nothing_with_errors_by_row(hris, org):
    rows = [
        row("E1", "a@example.com"),
        row("E2", "not-an-email"),
        row("E3", "c@example.com", division="nowhere"),
        row("E1", "d@example.com"),
        row("E5", "a@example.com", unknown_column="x"),
        "not an object",
        row("E7", "g@example.com", manager_employee_id="E404"),
    ]
    response = hris.post("/api/v1/employees/bulk/", rows, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "nothing was written" in body["detail"]
    fields = body["fields"]
    assert set(fields) == {"1", "2", "3", "4", "5", "6"}
    assert "email" in fields["1"]
    assert fields["2"]["division"] == ["Unknown division code “nowhere”."]
    assert "employee_id" in fields["3"]
    assert "unknown_column" in fields["4"]
    assert "non_field_errors" in fields["5"]
    assert "manager_employee_id" in fields["6"]
    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_bulk_refuses_a_non_list_and_too_many_rows(hris, org, settings):
    assert hris.post("/api/v1/employees/bulk/", {"employee_id": "E1"}, format="json").status_code == 400
    settings.EMPLOYEES_BULK_MAX_ROWS = 2
    response = hris.post("/api/v1/employees/bulk/", [row(f"E{n}", f"{n}@example.com") for n in range(3)], format="json")
    assert response.status_code == 400
    assert "at most 2 rows" in response.json()["fields"]["non_field_errors"][0]
    assert User.objects.count() == 0


def test_bulk_refuses_the_same_email_for_another_employee_id(hris, org):
    UserFactory(employee_id="E9", email="taken@example.com")
    response = hris.post("/api/v1/employees/bulk/", [row("E1", "taken@example.com")], format="json")
    assert response.status_code == 400
    assert "E9" in response.json()["fields"]["0"]["email"][0]


# --- Leavers ----------------------------------------------------------------------------------


def test_a_leaver_loses_tokens_and_sessions_at_once(hris, org, client):
    put_employee(hris, "E100", record())
    employee = User.objects.get(employee_id="E100")
    _, plain = token_issue(user=employee)
    client.force_login(employee)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200

    response = put_employee(hris, "E100", record(is_active=False))
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert AuditEvent.objects.latest("id").action == "employee.deactivate"

    # The session is refused on its next request (the auth backend drops inactive users)...
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me/").status_code in (401, 403)
    # ...and the token is revoked.
    assert ApiToken.objects.get(user=employee).revoked_at is not None
    assert bearer(hris.__class__(), plain).get("/api/v1/me/").status_code == 401


# --- CSV import ---------------------------------------------------------------------------------

HEADER = "employee_id,email,full_name,title,job_function,division,location,manager_employee_id,is_active\n"


def write_csv(tmp_path, lines):
    path = tmp_path / "hris.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_employees", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_import_reports_and_is_idempotent(tmp_path, org):
    UserFactory(employee_id="E3", email="leaver@example.com", full_name="Leaver")
    path = write_csv(
        tmp_path,
        [
            "E1,ann@example.com,Ann Example,Head of Data,Data,finance,berlin,,true",
            "E2,bob@example.com,Bob Example,Analyst,Data,finance,berlin,E1,",
            "E3,leaver@example.com,Leaver,Analyst,Data Analysis,,,,false",
        ],
    )
    out, _ = run_import(path, "--dry-run")
    assert "Dry run" in out and "2 created" in out and "1 deactivated" in out
    assert User.objects.count() == 1

    out, _ = run_import(path)
    assert "Done: 2 created, 0 updated, 0 unchanged, 1 deactivated." in out
    assert "created     E1" in out
    assert User.objects.get(employee_id="E2").manager.employee_id == "E1"
    assert not User.objects.get(employee_id="E3").is_active
    assert AuditEvent.objects.get().method == "CLI"

    out, _ = run_import(path)
    assert "0 created, 0 updated, 3 unchanged, 0 deactivated" in out


def test_csv_import_refuses_every_bad_row_and_writes_nothing(tmp_path, org):
    UserFactory(employee_id="E9", email="taken@example.com")
    path = write_csv(
        tmp_path,
        [
            "E1,ann@example.com,Ann,,,finance,berlin,,true",
            "E2,taken@example.com,Bob,,,finance,berlin,,true",
            "E3,carl@example.com,Carl,,,nowhere,berlin,,true",
            "E4,dana@example.com,Dana,,,finance,berlin,,maybe",
        ],
    )
    with pytest.raises(CommandError, match="3 of 4 row"):
        out, err = run_import(path)
    assert User.objects.count() == 1
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_employees", path, stderr=err)
    lines = err.getvalue()
    assert "line 3 (employee id E2): email" in lines
    assert "line 4 (employee id E3): division: Unknown division code “nowhere”." in lines
    assert "line 5 (employee id E4): is_active" in lines


def test_csv_import_checks_the_header(tmp_path, org):
    path = tmp_path / "bad.csv"
    path.write_text("employee_id,email,name\nE1,a@example.com,A\n")
    with pytest.raises(CommandError, match="missing column"):
        run_import(str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(str(tmp_path / "missing.csv"))


# --- The CSV reader ----------------------------------------------------------------------------

CSV_HEADER = "employee_id,email,full_name,title,job_function,division,location,manager_employee_id,is_active\r\n"


def test_the_csv_reader_keeps_quoted_line_breaks_and_unicode_separators_as_data():
    from integrations.provisioning import read_employee_csv

    text = (
        CSV_HEADER
        + 'E1,a@example.com,"Ann\r\nLee",Head\u2028of X,Ops\u0085Team,,,,\r\nE2,b@example.com,Bob,,,,,,false\n'
    )
    rows = read_employee_csv(text)
    assert [(r["employee_id"], r["full_name"], r["title"], r["job_function"], r["_line"]) for r in rows] == [
        ("E1", "Ann\r\nLee", "Head\u2028of X", "Ops\u0085Team", 2),
        ("E2", "Bob", "", "", 4),
    ]
    assert rows[1]["is_active"] == "false"


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "E1,a@example.com,A,,,,,,true,surplus\n",
            "Row 2 (line 2) has 10 values but the header has 9 columns: column 10",
        ),
        ('E1,a@example.com,A,,,,,,true\nE2,"b@example.com,B\n', "Row 3 (line 3): unexpected end of data"),
    ],
)
def test_csv_errors_name_the_row_and_the_column(body, message):
    from integrations.provisioning import CsvFormatError, read_employee_csv

    with pytest.raises(CsvFormatError) as error:
        read_employee_csv(CSV_HEADER + body)
    assert message in str(error.value)
