from datetime import date, timedelta

import factory
from factory.django import DjangoModelFactory

from circles.models import Circle, Membership, Office, OfficerRole, User
from contacts.models import Person

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


class CircleFactory(DjangoModelFactory):
    class Meta:
        model = Circle

    name = factory.Sequence(lambda n: f"Circle {n}")
    kind = Circle.Kind.DEPARTMENT
    aim = "Serve our clients."
    domain = "Our offer."


def top_circle(**kwargs) -> Circle:
    """The network's one top circle (created on first use)."""
    existing = Circle.objects.filter(kind=Circle.Kind.TOP).first()
    return existing or CircleFactory(name="Top", kind=Circle.Kind.TOP, parent=None, **kwargs)


def join(circle: Circle, *people: User, since: date | None = None) -> None:
    for person in people:
        Membership.objects.create(circle=circle, person=person,
                                  since=since or date.today() - timedelta(days=30))


def give_role(circle: Circle, person: User, role: str, *, term_end: date | None = None,
              started_on: date | None = None) -> OfficerRole:
    if term_end is None and role != OfficerRole.Role.LEADER:
        term_end = date.today() + timedelta(days=365)
    return OfficerRole.objects.create(
        circle=circle, person=person, role=role, term_end=term_end,
        started_on=started_on or date.today() - timedelta(days=10))


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    office = factory.SubFactory(OfficeFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    phone = ""
    kind = "prospect"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        person = model_class(*args, **kwargs)
        person.full_clean(exclude=["search_text"])
        person.save()
        return person
