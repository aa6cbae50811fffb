"""The progression rules, as plain functions of what was recorded (no database).

A stage is complete when the evidence recorded in it meets every requirement; struck-out
entries do not count. The certification review stage is completed only by a certification
decision of the experts' circle, never by ticking boxes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Need:
    kind: str
    label: str
    target: int


@dataclass(frozen=True)
class Fact:
    kind: str
    quantity: Decimal


@dataclass(frozen=True)
class Met:
    need: Need
    done: Decimal

    @property
    def is_met(self) -> bool:
        return self.done >= self.need.target

    @property
    def missing(self) -> Decimal:
        return max(Decimal(self.need.target) - self.done, Decimal(0))

    @property
    def percent(self) -> int:
        return min(100, int(self.done * 100 / self.need.target)) if self.need.target else 100


def requirements_met(needs: Iterable[Need], facts: Iterable[Fact]) -> list[Met]:
    totals: dict[str, Decimal] = {}
    for fact in facts:
        totals[fact.kind] = totals.get(fact.kind, Decimal(0)) + fact.quantity
    return [Met(need=need, done=totals.get(need.kind, Decimal(0))) for need in needs]


def advance_blockers(*, stage_kind: str, stage_name: str, status: str,
                     met: Iterable[Met], is_last: bool) -> list[str]:
    """Why the candidate cannot move on from their current stage (empty: they can)."""
    problems: list[str] = []
    if status != "active":
        problems.append(_("The enrolment is not active."))
    if stage_kind == "review":
        problems.append(_("“%(stage)s” ends with the experts' circle's consent decision: "
                          "put the certification on the circle's agenda.")
                        % {"stage": stage_name})
    if is_last and stage_kind == "development":
        problems.append(_("Continued development has no end: certification is a step, "
                          "never the end."))
    for result in met:
        if not result.is_met:
            problems.append(_("%(requirement)s: %(done)s of %(target)s.")
                            % {"requirement": result.need.label,
                               "done": number(result.done), "target": result.need.target})
    return problems


def number(value: Decimal) -> str:
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value)
