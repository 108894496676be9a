"""Property: on random organisations, every channel gives exactly what a plain oracle gives.

The oracle below restates SPEC.md's rule in the most direct Python possible, independently of
openings/visibility.py; each generated organisation is checked for every viewer through the
queryset, the per-object check, the audience (the rule's other direction), the portal list and
detail pages, and the API list, detail and filtered list.
"""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis.extra.django import TestCase
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_issue
from openings.models import Opening
from openings.visibility import audience, can_see
from tests.support.visibility import VISIBILITIES, build, oracle_sees, organisations

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
