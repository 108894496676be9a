"""After "I'm interested" the opening says so, and does not offer it again."""

from referrals.services import referral_express_interest
from tests.openings.factories import OpeningFactory


def test_after_im_interested_the_opening_says_so(client, poster, direct):
    opening = OpeningFactory(posted_by=poster)
    client.force_login(direct)
    before = client.get(f"/openings/{opening.pk}/").content.decode()
    assert f'href="/openings/{opening.pk}/interested/"' in before
    referral_express_interest(employee=direct, opening=opening, why_fit="I built the first version.")
    after = client.get(f"/openings/{opening.pk}/").content.decode()
    assert f'href="/openings/{opening.pk}/interested/"' not in after
    assert "You said you're interested" in after or "You said you&#x27;re interested" in after
    assert "You referred" not in after
    assert f'href="/openings/{opening.pk}/refer/"' in after  # referring someone else stays open
