"""Property: on random organisations, every channel gives exactly what a plain oracle gives.

The oracle below restates SPEC.md's rule in the most direct Python possible, independently of
openings/visibility.py; each generated organisation is checked for every viewer through the
queryset, the per-object check, the audience (the rule's other direction), the portal list and
detail pages, and the API list, detail and filtered list.
"""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from rest_framework.test import APIClient

from accounts.models import Connection, Division, Location, User
from accounts.roles import sync_hr_group
from accounts.services import token_issue
from openings.models import Opening, OpeningExclusion
from openings.visibility import audience, can_see

VISIBILITIES = Opening.Visibility.values
STATUSES = Opening.Status.values


@st.composite
def organisations(draw, max_people=7, max_openings=6):
    n = draw(st.integers(min_value=2, max_value=max_people))
    people = [{"active": draw(st.integers(0, 4)) != 0, "hr": draw(st.integers(0, 6)) == 0} for i in range(n)]
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    connections = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    openings = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "poster": st.integers(0, n - 1),
                    "visibility": st.sampled_from(VISIBILITIES),
                    "status": st.sampled_from(STATUSES),
                    "excluded": st.lists(st.integers(0, n - 1), unique=True, max_size=2),
                }
            ),
            min_size=1,
            max_size=max_openings,
        )
    )
    for opening in openings:
        opening["excluded"] = [p for p in opening["excluded"] if p != opening["poster"]]
    return {"people": people, "connections": connections, "openings": openings}


def active_links(org):
    """Connections whose two ends are both active, in both directions."""
    people = org["people"]
    links = set()
    for a, b in org["connections"]:
        if people[a]["active"] and people[b]["active"]:
            links |= {(a, b), (b, a)}
    return links


def oracle_sees(org, viewer, opening):
    """SPEC.md's rule, written plainly."""
    people = org["people"]
    if not people[viewer]["active"]:
        return False
    if opening["poster"] == viewer or people[viewer]["hr"]:
        return True
    if opening["status"] != "open" or viewer in opening["excluded"]:
        return False
    if opening["visibility"] == "company":
        return True
    links = active_links(org)
    poster = opening["poster"]
    if (viewer, poster) in links:
        return True
    if opening["visibility"] == "extended":
        return any((viewer, m) in links and (m, poster) in links for m in range(len(people)))
    return False


def build(org):
    division = Division.objects.create(code="d", name="Division")
    location = Location.objects.create(code="l", name="Location")
    hr_group = sync_hr_group()
    users = []
    for i, person in enumerate(org["people"]):
        user = User.objects.create_user(
            email=f"p{i}@example.com", full_name=f"Person {i}", is_active=person["active"], division=division
        )
        if person["hr"]:
            user.groups.add(hr_group)
        users.append(user)
    rows = []
    for a, b in org["connections"]:
        rows += [Connection(from_user=users[a], to_user=users[b]), Connection(from_user=users[b], to_user=users[a])]
    Connection.objects.bulk_create(rows)
    openings = []
    for i, spec in enumerate(org["openings"]):
        opening = Opening.objects.create(
            title=f"Role {i}",
            description="d",
            division=division,
            location=location,
            visibility=spec["visibility"],
            status=spec["status"],
            posted_by=users[spec["poster"]],
        )
        OpeningExclusion.objects.bulk_create(
            [OpeningExclusion(opening=opening, user=users[p]) for p in spec["excluded"]]
        )
        openings.append(opening)
    return users, openings


LINK = re.compile(r'href="/openings/(\d+)/"')


class VisibilityProperty(TestCase):
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations(max_people=8, max_openings=8))
    def test_rule_and_its_inverse_match_the_oracle(self, org):
        users, openings = build(org)
        for v, viewer in enumerate(users):
            viewer = User.objects.get(pk=viewer.pk)  # fresh permission cache, as on a request
            expected = {o.pk for i, o in enumerate(openings) if oracle_sees(org, v, org["openings"][i])}
            assert set(Opening.objects.visible_to(viewer).values_list("pk", flat=True)) == expected
            for opening in openings:
                assert can_see(viewer, opening) == (opening.pk in expected)
        for i, opening in enumerate(openings):
            expected_audience = {u.pk for v, u in enumerate(users) if oracle_sees(org, v, org["openings"][i])}
            assert set(audience(opening).values_list("pk", flat=True)) == expected_audience

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations(max_people=6, max_openings=5))
    def test_every_channel_matches_the_oracle(self, org):
        users, openings = build(org)
        for v, viewer in enumerate(users):
            expected = {o.pk for i, o in enumerate(openings) if oracle_sees(org, v, org["openings"][i])}
            expected_open = {o.pk for o in openings if o.pk in expected and o.status == "open"}
            if not viewer.is_active:
                self.client.force_login(viewer)  # a leaver's old session is anonymous now
                assert self.client.get("/openings/").status_code == 302
                continue
            self.client.force_login(viewer)
            listed = {int(pk) for pk in LINK.findall(self.client.get("/openings/").content.decode())}
            assert listed == expected_open
            for opening in openings:
                status = self.client.get(f"/openings/{opening.pk}/").status_code
                assert status == (200 if opening.pk in expected else 404)
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=viewer)[1]}")
            assert {o["id"] for o in api.get("/api/v1/openings/").json()["results"]} == expected
            for opening in openings:
                status = api.get(f"/api/v1/openings/{opening.pk}/").status_code
                assert status == (200 if opening.pk in expected else 404)
            for visibility in VISIBILITIES:
                filtered = {o["id"] for o in api.get(f"/api/v1/openings/?visibility={visibility}").json()["results"]}
                assert filtered == {o.pk for o in openings if o.pk in expected and o.visibility == visibility}
