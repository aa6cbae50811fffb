import factory
from factory.django import DjangoModelFactory

from circles.models import Office, User

PASSWORD = "correct-horse-battery"  # noqa: S105 - test data


class OfficeFactory(DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Office {n}")
    country = "FR"
    city = "Paris"
    languages = "fr,en"
    currency = "EUR"
    time_zone = "Europe/Paris"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    office = factory.SubFactory(OfficeFactory)
    language = "en"
    is_consultant = True

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs) -> None:  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
