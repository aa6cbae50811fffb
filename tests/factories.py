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


# --- Certification ------------------------------------------------------------------------


def experts_circle() -> Circle:
    """The network's circle of certified experts (created on first use)."""
    existing = Circle.objects.filter(kind=Circle.Kind.EXPERTS, office__isnull=True).first()
    return existing or CircleFactory(name="Circle of certified experts",
                                     kind=Circle.Kind.EXPERTS, parent=top_circle())


def network_path():
    """The certification path seeded by the migration (seeded again when a transactional
    test before emptied the tables)."""
    from django.apps import apps

    from certification.models import Path
    from certification.seed import load

    load(apps)
    return Path.objects.get(name="Certified sociocracy expert")


def walk_to_review(enrolment, *, by: User, mentor: User | None = None) -> None:
    """Write, as history, the evidence and completion of every stage before the
    certification review, plus the review's own dossier and recommendation."""
    from certification.models import Evidence, StageProgress

    progresses = list(enrolment.stages.select_related("stage").order_by("stage__position"))
    day = date.today() - timedelta(days=1000)
    for progress in progresses:
        stage = progress.stage
        for requirement in stage.requirements.all():
            kind = requirement.kind
            count = 1 if kind == "hours" else requirement.target
            for _n in range(count):
                Evidence.objects.create(
                    enrolment=enrolment, stage=stage, kind=kind, occurred_on=day,
                    quantity=requirement.target if kind == "hours" else 1, title="History",
                    text="From the file.", document="evidence/dossier.txt"
                    if kind == "document" else "",
                    recorded_by=mentor if kind == "assessment" and mentor else by)
        if stage.kind == "review":
            StageProgress.objects.filter(pk=progress.pk).update(started_on=day)
            enrolment.current_stage = stage
            enrolment.save(update_fields=["current_stage"])
            return
        StageProgress.objects.filter(pk=progress.pk).update(started_on=day, completed_on=day)
        day += timedelta(days=10)


def certify_by_decision(enrolment, *, by: User):
    """An adopted decision of the experts' circle about `enrolment` (recorded without a
    meeting, as an imported decision), and the certification it gives."""
    from django.contrib.contenttypes.models import ContentType

    from certification.models import Enrolment
    from certification.services import certify
    from circles.decisions.models import Decision

    decision = Decision.objects.create(
        circle=experts_circle(), title=f"Certification of {enrolment.candidate_name}",
        text="Certified.", decided_on=date.today(), recorded_by=by,
        subject_type=ContentType.objects.get_for_model(Enrolment), subject_id=enrolment.pk)
    return certify(enrolment=enrolment, decision=decision, by=by)


def certified_expert(user: User, *, by: User | None = None):
    """Make `user` a certified expert the way the app does: enrolment, a walked path, a
    decision of the experts' circle. Returns the certificate."""
    from certification.services import enrol

    by = by or user
    enrolment = enrol(path=network_path(), office=user.office, user=user, by=by)
    walk_to_review(enrolment, by=by)
    return certify_by_decision(enrolment, by=by)
