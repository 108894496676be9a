"""Property: the batched, ranked and truncated rule equals a plain oracle on random organisations.

`ranked_among` is what the digest reads: for each viewer, the best `limit` openings they may see
(direct connections first, then second degree, then the rest, each in the order given) and how
many in all. It walks only each viewer's network and as much of the company-wide list as the
limit needs, so the check here is that truncating never changes what comes first or the count.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User
from openings.models import Opening
from openings.visibility import ranked_among, visible_among
from tests.referrals.factories import ReferralFactory
from tests.support.visibility import active_links, build, oracle_with_referrals, organisations_with_referrals


def oracle_degree(org, viewer, index):
    """1 when a connection posted it and it reaches the viewer; 2 through a connection; else 3."""
    opening, links = org["openings"][index], active_links(org)
    poster = opening["poster"]
    reached = opening["status"] == "open" and viewer not in opening["excluded"]
    if poster == viewer or not reached:
        return 3
    if (viewer, poster) in links:
        return 1
    through = any((viewer, m) in links and (m, poster) in links for m in range(len(org["people"])))
    if through and opening["visibility"] in ("company", "extended"):
        return 2
    return 3


def oracle_ranking(org, viewer, skip_own):
    seen = [i for i in range(len(org["openings"])) if oracle_with_referrals(org, viewer, i)]
    if skip_own:
        seen = [i for i in seen if org["openings"][i]["poster"] != viewer]
    return sorted(((i, oracle_degree(org, viewer, i)) for i in seen), key=lambda pair: (pair[1], pair[0]))


class RankedAmongProperty(TestCase):
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations_with_referrals(max_people=7, max_openings=9), skip_own=st.booleans())
    def test_truncated_ranking_is_a_prefix_of_the_oracle_and_counts_everything(self, org, skip_own):
        users, openings = build(org)
        for k, (referrer, index) in enumerate(org["referrals"]):
            ReferralFactory(opening=openings[index], referrer=users[referrer], candidate_email=f"c{k}@example.org")
        users = [User.objects.get(pk=u.pk) for u in users]
        for limit in (None, 0, 1, 2, 4):
            sights = ranked_among(openings, users, limit=limit, skip_own=skip_own)
            for v, user in enumerate(users):
                expected = [(openings[i].pk, degree) for i, degree in oracle_ranking(org, v, skip_own)]
                assert sights[user.pk].best == expected[:limit]
                assert sights[user.pk].total == len(expected)
        full = visible_among(openings, users)
        for v, user in enumerate(users):
            assert full[user.pk] == dict((openings[i].pk, d) for i, d in oracle_ranking(org, v, skip_own=False))
            assert set(full[user.pk]) == set(Opening.objects.visible_to(user).values_list("pk", flat=True))
