"""Writes to contacts. Each runs in one transaction and leaves the search text current."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Office, User
from tsgcrm import counts

from .models import Affiliation, Consent, Merge, Organisation, Person, Referral, Tag, normalise_text

# Everything personal about a person, emptied when they are erased.
ERASED_FIELDS = ["first_name", "email", "phone", "phone_normalised", "address", "city",
                 "region", "website", "social_profiles", "notes", "tendencies", "interests",
                 "opinions", "preferred_channel", "search_text", "name_text"]

PERSON_FIELDS = [
    "first_name", "last_name", "email", "phone", "kind", "lead_source", "address", "city",
    "region", "country", "language", "website", "social_profiles", "notes", "tendencies",
    "interests", "opinions", "preferred_channel", "persona", "owner",
]


def tags_from_text(*, office: Office, text: str) -> list[Tag]:
    names = {name.strip()[:50] for name in text.split(",") if name.strip()}
    existing = {t.name.lower(): t for t in Tag.objects.filter(office=office)}
    tags = []
    for name in sorted(names):
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag.objects.create(office=office, name=name)
            existing[name.lower()] = tag
        tags.append(tag)
    return tags


def organisation_for_name(*, office: Office, name: str, owner: User | None) -> Organisation:
    """The office's organisation of that name (any case, any accents), created if new."""
    wanted = normalise_text(name)
    for org in Organisation.objects.filter(office=office, name__iexact=name.strip()):
        return org
    for org in Organisation.objects.filter(office=office, search_text__startswith=wanted):
        if normalise_text(org.name) == wanted:
            return org
    org = Organisation(office=office, owner=owner, name=name.strip())
    org.full_clean()
    org.save()
    return org


def _link_organisation(person: Person, *, organisation_name: str, job_title: str,
                       decision_power: str | None) -> None:
    if not organisation_name.strip():
        return
    org = organisation_for_name(office=person.office, name=organisation_name,
                                owner=person.owner)
    Affiliation.objects.update_or_create(
        person=person, organisation=org,
        defaults={"job_title": job_title,
                  "decision_power": decision_power or Affiliation.DecisionPower.NONE},
    )


def _save_person(person: Person) -> Person:
    person.full_clean(exclude=["search_text"])
    person.save()
    return person


@transaction.atomic
def person_create(*, office: Office, by: User, data: dict[str, Any], tags: str = "",
                  organisation_name: str = "", job_title: str = "",
                  decision_power: str | None = None) -> Person:
    person = Person(office=office, **{k: v for k, v in data.items() if k in PERSON_FIELDS})
    if person.owner_id is None:
        person.owner = by
    _save_person(person)
    _link_organisation(person, organisation_name=organisation_name, job_title=job_title,
                       decision_power=decision_power)
    if tags:
        person.tags.set(tags_from_text(office=office, text=tags))
    person._organisation_names = None  # re-read: an organisation was just linked
    person.save(update_fields=["search_text", "name_text"])
    return person


@transaction.atomic
def person_update(*, person: Person, by: User, data: dict[str, Any], tags: str | None = None,
                  organisation_name: str = "", job_title: str = "",
                  decision_power: str | None = None) -> Person:
    for key, value in data.items():
        if key in PERSON_FIELDS:
            setattr(person, key, value)
    _save_person(person)
    _link_organisation(person, organisation_name=organisation_name, job_title=job_title,
                       decision_power=decision_power)
    if tags is not None:
        person.tags.set(tags_from_text(office=person.office, text=tags))
    person._organisation_names = None
    person.save(update_fields=["search_text", "name_text", "updated_at"])
    return person


@transaction.atomic
def consent_record(*, person: Person, channel: str, granted: bool, lawful_basis: str,
                   source: str, by: User | None) -> Consent:
    consent = Consent(person=person, channel=channel, granted=granted,
                      lawful_basis=lawful_basis, source=source, recorded_by=by)
    consent.full_clean()
    consent.save()
    return consent


def consent_status(person: Person) -> dict[str, Consent | None]:
    """The latest record per channel (from prefetched `consents` when available)."""
    latest: dict[str, Consent | None] = {c: None for c in Consent.Channel.values}
    for consent in person.consents.all():  # newest first
        if latest.get(consent.channel) is None:
            latest[consent.channel] = consent
    return latest


@transaction.atomic
def person_refer(*, person: Person, to_office: Office, by: User, note: str = "") -> Referral:
    if to_office.pk == person.office_id:
        raise ValidationError({"to_office": _("The contact already belongs to this office.")})
    if Referral.objects.filter(person=person, to_office=to_office).exists():
        raise ValidationError({"to_office": _("The contact was already passed to this "
                                              "office.")})
    referral = Referral(person=person, from_office=by.office or person.office,
                        to_office=to_office, by=by, note=note)
    referral.full_clean()
    referral.save()
    return referral


def person_export(person: Person) -> dict[str, Any]:
    """Everything tsgcrm holds about a person, machine-readable (GDPR access right)."""
    data = model_to_dict(person, exclude=["tags", "organisations", "search_text"])
    data.update({
        "id": person.pk,
        "office": str(person.office),
        "owner": str(person.owner) if person.owner else None,
        "country": person.country.code if person.country else "",
        "persona": str(person.persona) if person.persona else None,
        "created_at": person.created_at.isoformat(),
        "updated_at": person.updated_at.isoformat(),
        "tags": [t.name for t in person.tags.all()],
        "organisations": [
            {"name": a.organisation.name, "job_title": a.job_title,
             "decision_power": a.decision_power}
            for a in person.affiliations.select_related("organisation")
        ],
        "consents": [
            {"channel": c.channel, "granted": c.granted, "lawful_basis": c.lawful_basis,
             "source": c.source, "recorded_at": c.recorded_at.isoformat()}
            for c in person.consents.all()
        ],
        "referrals": [
            {"from_office": str(r.from_office), "to_office": str(r.to_office),
             "by": str(r.by) if r.by else None, "note": r.note,
             "at": r.created_at.isoformat()}
            for r in person.referrals.select_related("from_office", "to_office", "by")
        ],
    })
    return data


@transaction.atomic
def person_erase(*, person: Person, by: User) -> None:
    """Anonymise a person (GDPR erasure): every personal detail goes; what the aggregates
    need (office, kind, lead source, country, language, dates) stays."""
    erased = {name: "" for name in ERASED_FIELDS}
    erased.update(last_name=_("Erased contact"), persona=None, erased_at=timezone.now(),
                  newsletter_consent=False)
    Person.objects.filter(pk=person.pk).update(**erased)
    counts.bump_on_commit("people", person.office_id)  # update() sends no signal
    for name, value in erased.items():
        setattr(person, name, value)
    person.tags.clear()
    person.affiliations.all().delete()
    person.consents.update(source="")
    person.referrals.update(note="")
    person.interactions.update(notes="", participants="")  # logged by the pipeline
    Merge.objects.filter(kept=person).update(removed_snapshot={})


@transaction.atomic
def person_merge(*, kept: Person, removed: Person, by: User) -> Merge:
    """Fold `removed` into `kept`: every record pointing at `removed` moves to `kept`,
    empty fields of `kept` take the removed one's values, and the merge is recorded."""
    if kept.pk == removed.pk:
        raise ValidationError(_("Choose two different contacts to merge."))
    snapshot = person_export(removed)
    for name in PERSON_FIELDS:
        if name in {"owner", "persona"}:
            if getattr(kept, f"{name}_id") is None:
                setattr(kept, name, getattr(removed, name))
        elif not getattr(kept, name) and getattr(removed, name):
            setattr(kept, name, getattr(removed, name))
    # Organisations both belong to stay once.
    Affiliation.objects.filter(
        person=removed,
        organisation_id__in=kept.affiliations.values("organisation_id")).delete()
    # Every other record that points at the removed person moves: deals, tasks and the
    # rest as later apps add them, with no change here.
    for relation in Person._meta.related_objects:
        if relation.one_to_many and relation.related_model is not Merge:
            # A model may settle its own conflicts first (both got the same newsletter).
            if hasattr(relation.related_model, "before_person_merge"):
                relation.related_model.before_person_merge(kept=kept, removed=removed)
            try:
                with transaction.atomic():
                    relation.related_model._base_manager.filter(
                        **{relation.field.name: removed}).update(**{relation.field.name: kept})
            except IntegrityError as error:  # e.g. both on the same certification path
                raise ValidationError(
                    _("Both people have %(records)s that cannot be combined: settle them "
                      "first, then merge.")
                    % {"records": relation.related_model._meta.verbose_name_plural}) from error
    kept.tags.add(*removed.tags.all())
    merge = Merge.objects.create(kept=kept, removed_id=removed.pk, removed_snapshot=snapshot,
                                 by=by)
    Merge.objects.filter(kept=removed).update(kept=kept)
    removed.delete()
    kept.phone_normalised = ""  # recomputed by clean
    kept._organisation_names = None  # re-read after the affiliations moved
    _save_person(kept)
    Consent.refresh_newsletter_consent(Person.objects.filter(pk=kept.pk))  # records moved
    return merge


@transaction.atomic
def organisation_save(*, organisation: Organisation) -> Organisation:
    """Save an organisation; its people's search text follows a change of name."""
    organisation.full_clean(exclude=["search_text"])
    organisation.save()
    people = list(Person.objects.filter(affiliations__organisation=organisation)
                  .prefetch_related("organisations"))
    for person in people:
        person._organisation_names = [o.name for o in person.organisations.all()]
        person.refresh_search_text()
    Person.objects.bulk_update(people, ["search_text", "name_text"], batch_size=1000)
    return organisation


@transaction.atomic
def persona_save(*, form, formset):
    persona = form.save()
    formset.instance = persona
    formset.save()
    return persona
