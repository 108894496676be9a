import factory
from django.utils import timezone

from openings.models import Opening
from tests.factories import DivisionFactory, LocationFactory, UserFactory


class OpeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opening

    title = factory.Sequence(lambda n: f"Opening {n}")
    description = "A role in a good team.\n\nMore at https://intranet.example.com/team"
    division = factory.SubFactory(DivisionFactory)
    location = factory.SubFactory(LocationFactory)
    posted_by = factory.SubFactory(UserFactory)
    visibility = Opening.Visibility.NETWORK
    status = Opening.Status.OPEN
    opened_at = factory.LazyFunction(timezone.now)
