"""The change log of a circle: who changed its members and roles, when, before and after.

Built from django-simple-history's records in a fixed number of queries; the diff of each
record against the previous one of the same row is computed here, in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.utils.translation import gettext as _

from .models import Circle, Membership, OfficerRole


@dataclass
class Change:
    when: datetime
    who: str
    summary: str
    details: list[tuple[str, str, str]] = field(default_factory=list)  # field, before, after


def _value(record, name: str, names: dict[int, str] | None = None) -> str:
    value = getattr(record, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if name == "parent_id" and names is not None:
        return names.get(value, str(value))
    if name == "role":
        return str(dict(OfficerRole.Role.choices).get(value, value))
    if name == "kind":
        return str(dict(Circle.Kind.choices).get(value, value))
    return str(value)


def _diff(record, previous, fields: list[tuple[str, str]],
          names: dict[int, str] | None = None) -> list[tuple[str, str, str]]:
    """(field, before, after) for what changed; on creation, the values that were set."""
    details = []
    for name, label in fields:
        before = _value(previous, name, names) if previous is not None else "—"
        after = _value(record, name, names)
        if before != after:
            details.append((label, before, after))
    return details


def circle_changes(circle: Circle, limit: int = 40) -> list[Change]:
    membership_fields = [("since", _("member since")), ("until", _("member until"))]
    role_fields = [("role", _("role")), ("started_on", _("term start")),
                   ("term_end", _("term end")), ("ended_on", _("handed over on"))]
    circle_fields = [("name", _("name")), ("kind", _("kind")), ("aim", _("aim")),
                     ("domain", _("domain")), ("parent_id", _("next higher circle")),
                     ("active", _("active"))]

    memberships = (Membership.history.filter(circle_id=circle.pk)
                   .select_related("history_user", "person").order_by("history_date"))
    roles = (OfficerRole.history.filter(circle_id=circle.pk)
             .select_related("history_user", "person").order_by("history_date"))
    circles = (Circle.history.filter(id=circle.pk).select_related("history_user")
               .order_by("history_date"))

    circles = list(circles)
    parent_ids = {r.parent_id for r in circles if r.parent_id}
    names = dict(Circle.objects.filter(pk__in=parent_ids).values_list("pk", "name"))
    changes: list[Change] = []
    previous: dict[tuple[str, int], object] = {}
    for source, record in sorted(
        chain((("m", r) for r in memberships), (("r", r) for r in roles),
              (("c", r) for r in circles)),
        key=lambda item: item[1].history_date,
    ):
        key = (source, record.id)
        before = previous.get(key)
        previous[key] = record
        who = str(record.history_user) if record.history_user else _("the system")
        if source == "m":
            verb = {"+": _("%(person)s joined"), "~": _("Membership of %(person)s changed"),
                    "-": _("Membership of %(person)s deleted")}[record.history_type]
            summary = verb % {"person": record.person}
            details = _diff(record, before, membership_fields)
        elif source == "r":
            role = _value(record, "role").lower()
            verb = {"+": _("%(person)s became %(role)s"),
                    "~": _("Role of %(role)s held by %(person)s changed"),
                    "-": _("Role of %(role)s held by %(person)s deleted")}[record.history_type]
            summary = verb % {"person": record.person, "role": role}
            details = _diff(record, before, role_fields)
        else:
            summary = {"+": _("Circle created"), "~": _("Circle changed"),
                       "-": _("Circle deleted")}[record.history_type]
            details = _diff(record, before, circle_fields, names)
        if record.history_type == "~" and not details:
            continue  # saved without a visible change
        changes.append(Change(when=record.history_date, who=who, summary=summary,
                              details=details))
    changes.reverse()
    return changes[:limit]
