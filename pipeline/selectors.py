"""Reads of the pipeline: the board, a column's cards, the deal list."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from circles.models import User

from .models import Deal, Phase, Routine, RoutineCheck

CARDS_PER_PAGE = 12


def board_deals(user: User) -> QuerySet[Deal]:
    """The deals the person may see; each column then takes its own (open deals in
    phases 1–5, won deals in 6–7), so every query follows the board index."""
    return Deal.objects.visible_to(user)


def _on_board(phases: list[Phase]) -> Q:
    open_ids = [p.pk for p in phases if not p.after_won]
    won_ids = [p.pk for p in phases if p.after_won]
    return (Q(status=Deal.Status.OPEN, phase_id__in=open_ids)
            | Q(status=Deal.Status.WON, phase_id__in=won_ids))


def apply_filters(deals: QuerySet[Deal], data: dict) -> QuerySet[Deal]:
    if data.get("owner"):
        deals = deals.filter(owner=data["owner"])
    if data.get("product"):
        deals = deals.filter(product=data["product"])
    if data.get("source"):
        deals = deals.filter(person__lead_source=data["source"])
    if data.get("overdue"):
        deals = deals.filter(next_step_date__lt=timezone.localdate(),
                             status=Deal.Status.OPEN)
    if data.get("status"):
        deals = deals.filter(status=data["status"])
    return deals


def with_card_data(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Cards need the contact and how many of the phase's routines are ticked."""
    done = (RoutineCheck.objects.filter(deal=OuterRef("pk"), routine__phase=OuterRef("phase"),
                                        routine__kind=Routine.Kind.ROUTINE)
            .values("deal").annotate(n=Count("pk")).values("n"))
    return (deals.select_related("person", "organisation")
            .only("pk", "version", "title", "value", "currency", "next_step",
                  "next_step_date", "status", "phase_id", "person__first_name",
                  "person__last_name", "organisation__name")
            .annotate(routines_done=Coalesce(Subquery(done), 0)))


def column_cards(deals: QuerySet[Deal], phase: Phase, page: int = 1) -> list[Deal]:
    start = (page - 1) * CARDS_PER_PAGE
    status = Deal.Status.WON if phase.after_won else Deal.Status.OPEN
    # One more than a page, to know whether to offer "more".
    return list(with_card_data(deals.filter(phase=phase, status=status))
                .order_by(F("next_step_date").asc(nulls_last=True), "id")
                [start:start + CARDS_PER_PAGE + 1])


@dataclass
class Column:
    phase: Phase
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    weighted: Decimal = Decimal("0")
    cards: list[dict] = field(default_factory=list)
    has_more: bool = False
    routine_count: int = 0
    move_options: str = ""


def board(deals: QuerySet[Deal]) -> list[Column]:
    """Seven columns with counts, value totals per currency and their first cards:
    2 + 7 queries whatever the number of deals."""
    phases = list(Phase.objects.order_by("number"))
    columns = {p.pk: Column(phase=p) for p in phases}
    routine_counts = dict(Routine.objects.filter(kind=Routine.Kind.ROUTINE)
                          .values_list("phase").annotate(n=Count("pk")))
    # Two queries rather than one with an OR, so each reads the totals index alone.
    for status, after_won in ((Deal.Status.OPEN, False), (Deal.Status.WON, True)):
        ids = [p.pk for p in phases if p.after_won == after_won]
        for row in (deals.filter(status=status, phase_id__in=ids).order_by()
                    .values("phase_id", "currency").annotate(n=Count("*"), total=Sum("value"))):
            column = columns[row["phase_id"]]
            column.count += row["n"]
            column.totals[row["currency"]] = row["total"] or Decimal("0")
    for column in columns.values():
        column.routine_count = routine_counts.get(column.phase.pk, 0)
        column.move_options = move_options(phases, column.phase)
        if column.count:
            cards = column_cards(deals, column.phase)
            column.has_more = len(cards) > CARDS_PER_PAGE
            column.cards = [card(d, column.routine_count) for d in cards[:CARDS_PER_PAGE]]
    return [columns[p.pk] for p in phases]


def move_options(phases: list[Phase], current: Phase) -> str:
    """The <option>s of a card's "Move to" menu, built once per column: every card of
    the column shares them."""
    return format_html_join(
        "", '<option value="{}">{}. {}</option>',
        [(p.number, p.number, p.display_name) for p in phases
         if p.after_won == current.after_won and p.pk != current.pk])


_URLS: dict[str, str] = {}


def _url(name: str, pk: int) -> str:
    """reverse() once per URL name, then plain formatting for every card."""
    if name not in _URLS:
        _URLS[name] = reverse(f"pipeline:{name}", args=[987654321]).replace("987654321", "{}")
    return _URLS[name].format(pk)


def card(deal: Deal, routine_count: int) -> dict:
    """What a board card shows, as a plain dict: a board page renders many cards, and
    templates read dicts much faster than model attributes."""
    pk = deal.pk
    # Numbers as text: the template would localise every integer it prints otherwise.
    return {
        "pk": str(pk), "version": str(deal.version), "title": deal.title,
        "url": _url("deal_detail", pk), "move_url": _url("deal_move", pk),
        "contact": deal.contact_name, "value": deal.value, "currency": deal.currency,
        "next_step": deal.next_step, "next_date": deal.next_step_date,
        "overdue": deal.next_step_overdue, "done": str(deal.routines_done),
        "total": str(routine_count) if routine_count else "",
        "pct": round(100 * deal.routines_done / routine_count) if routine_count else 0,
    }
