"""Reads of contacts: search, filtered lists, likely duplicates."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordDistance
from django.db import connection
from django.db.models import Q, QuerySet, TextField, Value

from tsgcrm.rows import full_name, url_for

from .models import Affiliation, Kind, Person, normalise_text

# A search that matches nothing exactly shows at most this many of the closest matches.
FUZZY_MATCHES = 50


def search(qs: QuerySet, query: str) -> QuerySet:
    """search_counted() without the count."""
    return search_counted(qs, query)[0]


def search_counted(qs: QuerySet, query: str) -> tuple[QuerySet, int | None]:
    """Filter by a free-text query, tolerant of case, accents and typos.

    Every word must appear in the contact's search text (names, emails, phone digits,
    organisations, city). When nothing matches exactly, words are matched by trigram
    word similarity instead ("Martinz" finds "Martínez"), the closest FUZZY_MATCHES first. Exact
    matches come in name order: checking them is cheap, ranking thousands of fuzzy
    candidates is not, so fuzzy matching only runs when it is needed. Returns the matches
    and, when it was counted on the way, how many there are.

    Counting the exact matches decides between the two: the count reads the trigram index
    alone, where "is there any" let the planner walk the office's contacts row by row.
    """
    text = normalise_text(query)
    digits = re.sub(r"[\s.\-()+/]", "", text)
    if len(digits) >= 6 and digits.isdigit():
        # A phone number, in any form: phones are stored as E.164 digits, so drop the
        # national trunk prefix ("06 12 34 56 78" finds +33612345678).
        text = digits.lstrip("0")
    terms = text.split()
    if not terms:
        return qs, None
    exact = Q()
    for term in terms:
        exact &= Q(search_text__contains=term)
    if connection.vendor != "postgresql":
        return qs.filter(exact), None
    # Every word is somewhere in the search text: the trigram GIN index finds them.
    found = qs.filter(exact)
    count = found.count()
    if count:
        return (found.order_by("last_name", "first_name", "pk") if qs.model is Person
                else found.order_by("name", "pk")), count
    field = "name_text" if qs.model is Person else "search_text"
    fuzzy = Q()
    for term in terms:
        fuzzy &= Q(**{f"{field}__trigram_word_similar": term}) if len(term) >= 3 \
            else Q(search_text__contains=term)
    # Ranking every candidate is the cost of a fuzzy search: rank them once, keep the best.
    distance = TrigramWordDistance(Value(text, output_field=TextField()), field)
    best = list(qs.filter(fuzzy).order_by(distance, "pk")
                .values_list("pk", flat=True)[:FUZZY_MATCHES])
    return qs.filter(pk__in=best).order_by(distance, "pk"), len(best)


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


# --- The contact list's rows ----------------------------------------------------------------

PERSON_ROW_FIELDS = ("pk", "first_name", "last_name", "email", "phone", "kind", "city",
                     "owner__first_name", "owner__last_name", "owner__email")

PERSON_ROW_HTML = (
    '<tr><td><a href="{url}">{name}</a><div class="muted small">{reach}</div></td>'
    '<td class="hide-sm">{organisations}</td>'
    '<td><span class="badge badge--kind-{kind}">{kind_label}</span></td>'
    '<td class="hide-sm">{city}</td><td class="hide-sm">{owner}</td></tr>'
)


def person_rows_html(rows) -> str:
    """The contact list's table rows from tuples of PERSON_ROW_FIELDS (one more query for
    their organisations), every value escaped by html.escape."""
    rows = [dict(zip(PERSON_ROW_FIELDS, values, strict=True)) for values in rows]
    if not rows:
        return ""
    e = html.escape
    organisations: dict[int, list[str]] = {}
    for person_id, name, job_title in (
            Affiliation.objects.filter(person_id__in=[r["pk"] for r in rows])
            .order_by("pk").values_list("person_id", "organisation__name", "job_title")):
        organisations.setdefault(person_id, []).append(
            e(name) + (f' <span class="muted small">· {e(job_title)}</span>' if job_title
                       else ""))
    kinds = dict(Kind.choices)
    out = []
    for row in rows:
        owner = full_name(row["owner__first_name"], row["owner__last_name"]) \
            or (row["owner__email"] or "")
        out.append(PERSON_ROW_HTML.format(
            url=e(url_for("contacts:person_detail", row["pk"])),
            name=e(full_name(row["first_name"], row["last_name"])),
            reach=e(row["email"] or row["phone"]),
            organisations="<br>".join(organisations.get(row["pk"], [])),
            kind=e(row["kind"]), kind_label=e(str(kinds.get(row["kind"], row["kind"]))),
            city=e(row["city"]), owner=e(owner)))
    return "".join(out)
