import factory
from allauth.account.models import EmailAddress

from accounts.models import Connection, Division, Location, User


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"div-{n}")
    name = factory.Sequence(lambda n: f"Division {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.Sequence(lambda n: f"Location {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"employee{n}@example.com")
    full_name = factory.Faker("name")
    employee_id = factory.Sequence(lambda n: f"T{n:06d}")
    title = "Analyst"
    job_function = "Data Analysis"
    division = factory.SubFactory(DivisionFactory)
    location = factory.SubFactory(LocationFactory)
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def connect(a, b):
    """Make an accepted connection between a and b, both directions, as the network stores it."""
    Connection.objects.bulk_create([Connection(from_user=a, to_user=b), Connection(from_user=b, to_user=a)])
