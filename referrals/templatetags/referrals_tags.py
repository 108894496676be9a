from django import template

from .. import selectors, services

register = template.Library()


@register.simple_tag(takes_context=True)
def referral_actions_for(context, opening):
    """What the opening page offers the viewer about referrals, decided by the services.

    `can_refer`: "Refer someone" and "I'm interested" (open, not theirs, shared with them).
    `counts`: the referrals to this opening the viewer may see (their own; all for poster and HR),
    so nobody else learns anything about referrals from the page.
    """
    user = context["request"].user
    return {
        "can_refer": services.can_refer(user, opening),
        "counts": selectors.referral_counts_for_opening(user, opening),
        "is_poster": opening.posted_by_id == user.pk,
        "sees_all": selectors.viewer_sees_all_referrals(user),
    }
