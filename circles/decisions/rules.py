"""The consent rules, as plain functions of what was recorded (no database).

A proposal is adopted when every member present has consented to its latest version and
no objection (on any version) is still open. An objection is not a vote: it carries its
argument and the circle works with it until it is resolved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class AnswerFact:
    member_id: int
    version_number: int
    consents: bool
    open_objection: bool


def adoption_blockers(*, present: Iterable[int], latest_version: int,
                      answers: Iterable[AnswerFact], names: dict[int, str]) -> list[str]:
    """Why the proposal cannot be adopted yet; an empty list means it can."""
    present = list(present)
    answers = list(answers)
    problems: list[str] = []
    if not present:
        problems.append(_("Nobody is marked present: record the attendance first."))
    open_objections = [a for a in answers if a.open_objection]
    for objection in open_objections:
        problems.append(_("%(member)s's objection is still open: resolve it by an amendment, "
                          "or it must be withdrawn.") % {"member": names.get(
                              objection.member_id, "?")})
    consented = {a.member_id for a in answers
                 if a.version_number == latest_version and a.consents}
    objecting = {a.member_id for a in open_objections}
    missing = [m for m in present if m not in consented and m not in objecting]
    if missing:
        problems.append(_("Not everyone present has consented to version %(version)s yet: "
                          "%(members)s.") % {"version": latest_version,
                                             "members": ", ".join(names.get(m, "?")
                                                                  for m in missing)})
    return problems
