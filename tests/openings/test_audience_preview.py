"""Property: the poster's audience preview counts what the rule's oracle counts, on random organisations.

The preview ("412 people: 38 direct connections, 374 through them") is a count of the rule's own reach
(`visibility.reach_of`, the same reach as `audience`), so it can be checked against the same oracle as every
channel: for each opening, as if it were open, with its stored exclusion list and with a "Hide from" list
as typed. HR are counted only where the visibility reaches them (`visibility.always_sees` decides).
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from openings.visibility import audience
from openings.visibility_text import audience_preview
from tests.support.visibility import build, oracle_preview, organisations


class AudiencePreviewProperty(TestCase):
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations(max_people=7, max_openings=4), data=st.data())
    def test_preview_numbers_equal_the_oracles(self, org, data):
        users, openings = build(org)
        n = len(users)
        for i, opening in enumerate(openings):
            assert audience_preview(opening) == oracle_preview(org, i)
            poster = org["openings"][i]["poster"]
            others = [p for p in range(n) if p != poster]
            typed = data.draw(st.lists(st.sampled_from(others), unique=True), label=f"hide opening {i} from")
            as_typed = audience_preview(opening, excluded_ids=[users[p].pk for p in typed])
            assert as_typed == oracle_preview(org, i, excluded=typed)
            # The preview is a part of the audience: once open, everyone it counts (never the poster) sees it.
            if org["openings"][i]["status"] == "open":
                poster_sees = org["people"][poster]["active"]
                assert audience_preview(opening)["total"] <= audience(opening).count() - poster_sees
