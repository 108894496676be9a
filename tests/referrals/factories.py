import factory
from django.utils import timezone

from referrals.models import Referral, ReferralEvent
from tests.factories import UserFactory
from tests.openings.factories import OpeningFactory


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral row as the services would write it (use the services to test the rules)."""

    class Meta:
        model = Referral
        skip_postgeneration_save = True

    opening = factory.SubFactory(OpeningFactory)
    referrer = factory.SubFactory(UserFactory)
    opening_title = factory.LazyAttribute(lambda o: o.opening.title)
    candidate_name = factory.Sequence(lambda n: f"Candidate {n}")
    candidate_email = factory.Sequence(lambda n: f"candidate{n}@elsewhere.example.org")
    candidate_email_hash = factory.LazyAttribute(lambda o: Referral.hash_email(o.candidate_email))
    relationship = "Worked together for two years."
    why_fit = "Knows the domain."
    consent_confirmed = True
    status = Referral.Status.SUBMITTED
    status_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            ReferralEvent.objects.create(
                referral=obj, from_status="", to_status=Referral.Status.SUBMITTED, by=obj.referrer
            )
