"""Every figure of the analytics on the company of conftest.py, where the answer is known by hand."""

import csv
import io

import pytest
import time_machine

from analytics.forms import Range
from analytics.opening_reach import opening_reach
from analytics.reach import snapshot_take
from analytics.selectors import funnel_table, hidden_hires_tables, medians_table, monthly_table, reach_tables
from tests.analytics.conftest import TODAY

RANGE = Range(start=TODAY.date().replace(month=1, day=1), end=TODAY.date(), period="custom")


def public_rows(table):
    return table.as_dict()["rows"]


def test_funnel_counts_the_furthest_stage_and_its_conversions(company, referrals):
    rows = public_rows(funnel_table(company["hr"], RANGE))
    assert [(r["stage"], r["referrals"]) for r in rows] == [
        ("Submitted", 10),
        ("In review", 8),
        ("Interviewing", 6),
        ("Offered", 5),
        ("Hired", 5),
    ]
    assert [r["from_previous"] for r in rows] == [100.0, 80.0, 75.0, 83.3, 100.0]
    assert [r["from_start"] for r in rows] == [100.0, 80.0, 60.0, 50.0, 50.0]


def test_referrals_and_hires_per_month(company, referrals):
    rows = public_rows(monthly_table(company["hr"], RANGE))
    assert [r["month"] for r in rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert rows[2]["referrals"] == 10 and rows[3]["referrals"] == 0
    assert rows[3]["hires"] == 5 and rows[2]["hires"] == 0  # hired on 9 April


def test_median_days_to_first_response_and_to_hire(company, referrals):
    """The referrer's own withdrawal is no response; the poster's decline is."""
    (row,) = public_rows(medians_table(company["hr"], RANGE))
    assert row == {"division": "Engineering", "responded": 9, "to_first_response": 4.0, "hired": 5, "to_hire": 30.0}


def test_hires_from_hidden_openings_by_group(company, referrals):
    division, location, tenure = (public_rows(t) for t in hidden_hires_tables(company["hr"], RANGE))
    assert division == [{"group": "Engineering", "hires": 5}]
    assert location == [{"group": "Toronto", "hires": 5}]
    assert {r["group"]: r["hires"] for r in tenure}["External candidate"] == 5


def test_the_division_and_the_range_narrow_the_referral_figures(company, referrals):
    sales = Range(start=RANGE.start, end=RANGE.end, division=company["sales"], period="custom")
    assert public_rows(funnel_table(company["hr"], sales))[0]["referrals"] == 0
    april = Range(start=TODAY.date().replace(day=1), end=TODAY.date(), period="custom")
    assert public_rows(funnel_table(company["hr"], april))[0]["referrals"] == 0
    assert public_rows(monthly_table(company["hr"], april)) == [{"month": "2026-04", "referrals": 0, "hires": 5}]


def test_reach_snapshot_by_group_with_small_cells_hidden(company):
    with time_machine.travel(TODAY, tick=False):
        snapshot = snapshot_take()
    assert (snapshot.employees, snapshot.reached, snapshot.unreached_90d, snapshot.openings) == (15, 7, 8, 1)
    tables = reach_tables(RANGE)["tables"]
    division = {r["group"]: r for r in public_rows(tables["reach_division"])}
    assert division["Engineering"]["reached"] == 6 and division["Engineering"]["reached_share"] == 100.0
    assert division["Sales"]["reached"] == 0 and division["Sales"]["unreached_90d"] == 6
    # Legal (2 people) and People (1): too small to describe at all.
    assert division["Legal"]["employees"] == "fewer than 5" and division["Legal"]["reached"] == "fewer than 5"
    assert division["People"]["reached_share"] == "fewer than 5"
    location = {r["group"]: r for r in public_rows(tables["reach_location"])}
    # Toronto: 7 of 9 reached would single out the 2 who are not.
    assert location["Toronto"]["reached"] == "all but fewer than 5"
    assert location["Toronto"]["reached_share"] == "nearly 100%"
    assert location["Toronto"]["headcount_share"] == 60.0
    assert location["Sydney"]["reached"] == 0
    tenure = {r["group"]: r for r in public_rows(tables["reach_tenure"])}
    assert tenure["3–10 years"]["employees"] == 15 and tenure["3–10 years"]["reached"] == 7
    trend = public_rows(tables["reach_trend"])
    assert trend == [{"day": "2026-04-30", "employees": 15, "reached": 7, "reached_share": 46.7, "unreached_90d": 8}]


def test_per_opening_reach_and_its_nudge(company):
    reach = opening_reach(company["opening"])
    assert reach["preview"]["total"] == 5  # a1..a5: the poster and HR see it whatever it reaches
    division = {r.name: r.as_dict() for r in reach["divisions"]}
    assert division["Engineering"]["reached"] == "all but fewer than 5"  # 5 of 6: the poster is not reached
    assert division["Sales"]["reached"] == 0
    location = {r.name: r.as_dict() for r in reach["locations"]}
    assert location["Sydney"]["reached"] == 0 and location["Sydney"]["company_share"] == 40.0
    assert reach["nudge"] == [
        "Nobody in Sydney will see this.",
        "Nobody in Sales will see this.",
        "Extended network would reach fewer than 5 more people in 1 location.",
    ]


def test_the_nudge_never_names_a_place_of_fewer_than_5(company):
    # Legal (2 people) is reached by nobody, yet is not named.
    assert not any("Legal" in sentence for sentence in opening_reach(company["opening"])["nudge"])


@pytest.mark.parametrize("key", ["funnel", "monthly", "medians", "hidden_hires_tenure", "reach_division"])
def test_csv_has_the_page_figures(client, company, referrals, key):
    with time_machine.travel(TODAY, tick=False):
        snapshot_take()
        client.force_login(company["hr"])
        response = client.get(f"/hr/analytics/{key}.csv?period=365")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) > 1
    if key == "funnel":
        assert rows[1:] == [
            ["Submitted", "10", "100.0", "100.0"],
            ["In review", "8", "80.0", "80.0"],
            ["Interviewing", "6", "75.0", "60.0"],
            ["Offered", "5", "83.3", "50.0"],
            ["Hired", "5", "100.0", "50.0"],
        ]
    if key == "reach_division":
        legal = next(r for r in rows if r[0] == "Legal")
        assert legal[1:3] == ["fewer than 5", "fewer than 5"]
