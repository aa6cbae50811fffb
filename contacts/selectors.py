"""Reads of contacts: search, filtered lists, likely duplicates."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVectorField, TrigramWordDistance
from django.db import connection
from django.db.models import Func, Q, QuerySet, TextField, Value

from .models import Person, normalise_text


class SimpleTsVector(Func):
    """to_tsvector('simple', search_text): the very expression the GIN index is built on."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def search(qs: QuerySet, query: str) -> QuerySet:
    """Filter by a free-text query, tolerant of case, accents and typos.

    Every word must appear in the contact's search text (names, emails, phone digits,
    organisations, city). When nothing matches exactly, words are matched by trigram
    word similarity instead ("Martinz" finds "Martínez"), best matches first. Exact
    matches come in name order: checking them is cheap, ranking thousands of fuzzy
    candidates is not, so fuzzy matching only runs when it is needed.
    """
    text = normalise_text(query)
    digits = re.sub(r"[\s.\-()+/]", "", text)
    if len(digits) >= 6 and digits.isdigit():
        # A phone number, in any form: phones are stored as E.164 digits, so drop the
        # national trunk prefix ("06 12 34 56 78" finds +33612345678).
        text = digits.lstrip("0")
    terms = text.split()
    if not terms:
        return qs
    exact = Q()
    for term in terms:
        exact &= Q(search_text__contains=term)
    if connection.vendor != "postgresql":
        return qs.filter(exact)
    # A whole-phrase full-text match counts as exact too (GIN index on the tsvector).
    exact |= Q(_doc=SearchQuery(text, config="simple"))
    qs = qs.annotate(_doc=SimpleTsVector("search_text"))
    if qs.filter(exact).exists():
        return qs.filter(exact).order_by("last_name", "first_name", "pk") \
            if qs.model is Person else qs.filter(exact).order_by("name", "pk")
    field = "name_text" if qs.model is Person else "search_text"
    fuzzy = Q()
    for term in terms:
        fuzzy &= Q(**{f"{field}__trigram_word_similar": term}) if len(term) >= 3 \
            else Q(search_text__contains=term)
    return (qs.filter(fuzzy)
            .order_by(TrigramWordDistance(Value(text, output_field=TextField()), field),
                      "pk"))


@dataclass
class Duplicate:
    person: Person
    reason: str


def likely_duplicates(people: QuerySet[Person], *, email: str = "", phone: str = "",
                      first_name: str = "", last_name: str = "", organisation: str = "",
                      exclude_pk: int | None = None, limit: int = 5) -> list[Duplicate]:
    """People in `people` who are probably the same as the one described: same email,
    same normalised phone, or a similar name in the same organisation (or the very same
    name). Three queries at most."""
    from django.utils.translation import gettext as _

    found: dict[int, Duplicate] = {}
    base = people.exclude(pk=exclude_pk) if exclude_pk else people

    def add(candidates, reason: str) -> None:
        for person in candidates[:limit]:
            found.setdefault(person.pk, Duplicate(person=person, reason=reason))

    if email:
        add(base.filter(email__iexact=email.strip()), _("same email"))
    if phone:
        add(base.filter(phone_normalised=phone), _("same phone number"))
    name = normalise_text(f"{first_name} {last_name}")
    last, org = normalise_text(last_name), normalise_text(organisation)
    if last:
        # search_text holds names and organisation names without accents: one indexed
        # query finds the candidates, Python compares them.
        near = Q(search_text__contains=last) | (Q(search_text__contains=org) if org
                                                else Q(pk__in=[]))
        for person in base.filter(near).prefetch_related("organisations")[:50]:
            other = normalise_text(f"{person.first_name} {person.last_name}")
            same_org = bool(org) and any(normalise_text(o.name) == org
                                         for o in person.organisations.all())
            if other == name:
                found.setdefault(person.pk, Duplicate(person, _("same name")))
            elif same_org and difflib.SequenceMatcher(None, name, other).ratio() >= 0.75:
                found.setdefault(person.pk, Duplicate(person,
                                                      _("similar name, same organisation")))
    return list(found.values())[:limit]
