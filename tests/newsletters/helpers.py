"""Contacts who accept newsletters (or not), a segment and a newsletter, for the tests."""

from django.utils import timezone

from contacts.models import Consent
from contacts.services import consent_record
from newsletters.models import Newsletter, Segment, Sender, Version
from tests.factories import PersonFactory


def reader(office, *, consent: bool | None = True, **fields):
    person = PersonFactory(office=office, **fields)
    if consent is not None:
        consent_record(person=person, channel=Consent.Channel.NEWSLETTER, granted=consent,
                       lawful_basis=Consent.Basis.CONSENT, source="web form", by=None)
        person.refresh_from_db()
    return person


def many_readers(office, count: int, *, prefix: str = "r") -> list[int]:
    """`count` consenting contacts in bulk (no signals: the flag is refreshed at the end)."""
    from contacts.models import Person

    people = Person.objects.bulk_create([
        Person(office=office, first_name=f"First{n}", last_name=f"Last{n}",
               email=f"{prefix}{n}@example.com", language="fr" if n % 3 else "en")
        for n in range(count)])
    Consent.objects.bulk_create([
        Consent(person=p, channel=Consent.Channel.NEWSLETTER, granted=True,
                source="import") for p in people])
    Consent.refresh_newsletter_consent(Person.objects.filter(pk__in=[p.pk for p in people]))
    return [p.pk for p in people]


def newsletter(office, *, segment=None, by=None, rate: int = 100_000, ab_test: str = "",
               body: str = "<p>Bonjour {{ first_name|default:\"à vous\" }},</p>"
                           "<p><a href=\"https://example.org/agenda\">Agenda</a></p>",
               subject: str = "{{ first_name|default:\"Bonjour\" }}, les nouvelles",
               languages=("fr", "en"), **fields) -> Newsletter:
    Sender.objects.update_or_create(office=office, defaults={
        "from_name": office.name, "from_email": "news@example.org",
        "postal_address": "1 rue de la Paix, Paris", "rate_per_minute": rate})
    segment = segment or Segment.objects.get_or_create(office=office, name=f"All of {office}")[0]
    item = Newsletter.objects.create(office=office, name="Monthly news", segment=segment,
                                     language=languages[0], created_by=by, ab_test=ab_test,
                                     **fields)
    for language in languages:
        Version.objects.create(
            newsletter=item, language=language,
            subject=subject if language == "fr" else "{{ first_name }}, the news",
            subject_b="Subject B" if ab_test == "subject" else "", body_html=body)
    return item


def make_due(item: Newsletter) -> None:
    Newsletter.objects.filter(pk=item.pk).update(status=Newsletter.Status.SCHEDULED,
                                                 send_at=timezone.now())
