"""Realistic contacts for the demo network and for the speed benchmark.

Names, cities and phones come from Faker in the office's own locale; everything is
written with bulk inserts, so 200,000 people take a minute or so, not an hour.
"""

from __future__ import annotations

import random
import re

from django.db import transaction
from django.utils import timezone
from faker import Faker

from circles.models import Office, User
from tsgcrm import counts

from .models import (
    Affiliation,
    Consent,
    Kind,
    LeadSource,
    Organisation,
    Person,
    PreferredChannel,
    normalise_text,
)

LOCALES = {"FR": "fr_FR", "BE": "fr_FR", "CA": "fr_CA", "GB": "en_GB", "NL": "nl_NL",
           "ES": "es_ES"}
ORG_SUFFIXES = {
    "fr": ["SARL", "SAS", "Association", "Coopérative", "Collectif"],
    "es": ["S.L.", "S.A.", "Asociación", "Cooperativa", "Fundación"],
    "en": ["Ltd", "LLP", "Association", "Co-operative", "Trust"],
}
KIND_WEIGHTS = [(Kind.PROSPECT, 60), (Kind.CLIENT, 18), (Kind.FORMER_CLIENT, 7),
                (Kind.RELAYER, 6), (Kind.AMBASSADOR, 5), (Kind.PARTNER, 4)]
JOB_TITLES = {
    "fr": ["Directrice générale", "Directeur", "Responsable RH", "Présidente", "Gérant",
           "Chef de projet", "Responsable qualité", "Trésorier"],
    "es": ["Directora general", "Director", "Responsable de RR. HH.", "Presidenta", "Gerente",
           "Jefe de proyecto", "Responsable de calidad", "Tesorero"],
    "en": ["Managing director", "Director", "HR manager", "Chair", "Owner", "Project lead",
           "Quality manager", "Treasurer"],
}


def _language(office: Office) -> str:
    for code in office.language_list:
        if code in {"fr", "es", "en"}:
            return code
    return "en"


@transaction.atomic
def generate_people(*, office: Office, count: int, seed: int,
                    owners: list[User] | None = None, batch: int = 2000) -> int:
    """Add `count` people (and about count/4 organisations) to `office`."""
    rng = random.Random(seed)
    fake = Faker(LOCALES.get(office.country.code, "en_GB"))
    fake.seed_instance(seed)
    language = _language(office)
    owners = owners if owners is not None else list(
        User.objects.filter(office=office, is_consultant=True, is_active=True))
    kinds, weights = zip(*KIND_WEIGHTS, strict=True)
    sources = list(LeadSource.values)
    cities = [office.city] * 6 + [fake.city() for _ in range(12)]

    orgs = []
    for _ in range(max(1, count // 4)):
        name = f"{fake.last_name()} {rng.choice(ORG_SUFFIXES[language])}"
        orgs.append(Organisation(
            office=office, owner=rng.choice(owners) if owners else None, name=name,
            org_type=rng.choice(list(Organisation.Type.values)), city=rng.choice(cities),
            country=office.country.code, kind=rng.choices(kinds, weights)[0],
            lead_source=rng.choice(sources), size=rng.choice([5, 12, 15, 40, 150, 600]),
            search_text=normalise_text(name)))
    orgs = Organisation.objects.bulk_create(orgs, batch_size=batch)

    now = timezone.now()
    created = 0
    while created < count:
        size = min(batch, count - created)
        people, links = [], []
        for _ in range(size):
            first, last = fake.first_name(), fake.last_name()
            email = (f"{normalise_text(first)}.{normalise_text(last)}"
                     f"{rng.randint(1, 999)}@{fake.free_email_domain()}").replace(" ", "")
            digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
            phone = {"FR": f"+336{digits}", "BE": f"+324{digits}", "CA": f"+1514{digits[:7]}",
                     "GB": f"+447{digits}0", "NL": f"+316{digits}",
                     "ES": f"+346{digits}"}.get(office.country.code, f"+336{digits}")
            city = rng.choice(cities)
            org = rng.choice(orgs) if rng.random() < 0.7 else None
            person = Person(
                office=office, owner=rng.choice(owners) if owners else None,
                first_name=first, last_name=last, email=re.sub(r"[^a-z0-9.@-]", "", email),
                phone=phone, phone_normalised=phone, city=city, country=office.country.code,
                language=language, kind=rng.choices(kinds, weights)[0],
                lead_source=rng.choice(sources),
                preferred_channel=rng.choice(list(PreferredChannel.values) + [""]),
                created_at=now - timezone.timedelta(days=rng.randint(0, 900)))
            person._organisation_names = [org.name] if org else []
            person.refresh_search_text()
            people.append(person)
            if org:
                links.append((person, org))
        Person.objects.bulk_create(people, batch_size=batch)
        counts.bump_on_commit("people", office.pk)  # bulk inserts send no signals
        Affiliation.objects.bulk_create(
            [Affiliation(person=p, organisation=o,
                         job_title=rng.choice(JOB_TITLES[language]),
                         decision_power=rng.choice(list(Affiliation.DecisionPower.values)))
             for p, o in links], batch_size=batch)
        Consent.objects.bulk_create(
            [Consent(person=p, channel=Consent.Channel.NEWSLETTER, granted=rng.random() < 0.8,
                     lawful_basis=Consent.Basis.CONSENT,
                     source=rng.choice(["web form", "business card", "event sign-up"]),
                     recorded_at=p.created_at)
             for p in people if rng.random() < 0.5], batch_size=batch)
        Consent.refresh_newsletter_consent(  # bulk inserts send no signals
            Person.objects.filter(pk__in=[p.pk for p in people]))
        created += size
    return created
