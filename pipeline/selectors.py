"""Reads of the pipeline: the board, a column's cards, the deal list."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

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


TOTALS_TTL = 600


def _office_versions_key(offices: list[int]) -> str:
    versions = cache.get_many([f"board-version:{pk}" for pk in offices])
    return "|".join(f"{pk}.{versions.get(f'board-version:{pk}', 0)}" for pk in offices)


def bump_board_version(office_id: int) -> None:
    """A deal of this office changed: its cached column totals are stale."""
    key = f"board-version:{office_id}"
    if cache.add(key, 1, timeout=None) is False:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def column_totals(deals: QuerySet[Deal], phases: list[Phase], filtered: bool,
                  offices: list[int] | None = None) -> dict[tuple[int, str], tuple]:
    """Count and value per column and currency. Summing tens of thousands of amounts on
    every board view is the board's costliest query, so the unfiltered totals are cached
    per office and recomputed after any change to one of its deals."""
    key = None
    if not filtered and offices is not None:
        key = f"board-totals:{_office_versions_key(sorted(offices))}"
        cached = cache.get(key)
        if cached is not None:
            return cached
    totals: dict[tuple[int, str], tuple] = {}
    # Two queries rather than one with an OR, so each reads the totals index alone.
    for status, after_won in ((Deal.Status.OPEN, False), (Deal.Status.WON, True)):
        ids = [p.pk for p in phases if p.after_won == after_won]
        for row in (deals.filter(status=status, phase_id__in=ids).order_by()
                    .values("phase_id", "currency").annotate(n=Count("*"), total=Sum("value"))):
            totals[(row["phase_id"], row["currency"])] = (row["n"],
                                                           row["total"] or Decimal("0"))
    if key:
        cache.set(key, totals, TOTALS_TTL)
    return totals


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


def board(deals: QuerySet[Deal], *, offices: list[int] | None = None,
          filtered: bool = False) -> list[Column]:
    """Seven columns with counts, value totals per currency and their first cards:
    at most 3 + 7 queries whatever the number of deals."""
    phases = list(Phase.objects.order_by("number"))
    columns = {p.pk: Column(phase=p) for p in phases}
    routine_counts = dict(Routine.objects.filter(kind=Routine.Kind.ROUTINE)
                          .values_list("phase").annotate(n=Count("pk")))
    for (phase_id, currency), (n, total) in column_totals(deals, phases, filtered,
                                                          offices).items():
        column = columns[phase_id]
        column.count += n
        column.totals[currency] = total
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


CARD_HTML = (
    '<li class="card deal-card{overdue_class}" draggable="true" data-deal="{pk}" '
    'data-version="{version}" data-move-url="{move_url}">'
    '<a class="deal-card__title" href="{url}">{title}</a>'
    '<p class="deal-card__contact">{contact}</p>'
    '<p class="deal-card__facts"><strong>{value} {currency}</strong>{next}</p>{progress}'
    '<form method="post" action="{move_url}" class="deal-card__move" hx-post="{move_url}" '
    'hx-trigger="change from:find select" hx-swap="none">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="version" value="{version}">'
    '<label class="visually-hidden" for="move-{pk}">{move_label}</label>'
    '<select id="move-{pk}" name="phase"><option value="">{move_label}…</option>{options}'
    '</select><noscript><button type="submit" class="button button--small '
    'button--secondary">{move_button}</button></noscript></form></li>'
)


def card_html(card: dict, *, options: str, csrf: str) -> str:
    """One board card as HTML. A board page shows up to 84 cards: built here, with every
    value escaped by html.escape, they cost a fraction of a template loop."""
    e = html.escape
    next_html = ""
    if card["next_date"]:
        next_html = ' · <span class="deal-card__next{}" title="{}">{}{}</span>'.format(
            " overdue" if card["overdue"] else "", e(card["next_step"]),
            e(_("overdue")) + " " if card["overdue"] else "",
            e(date_format(card["next_date"], "j M")))
    progress = ""
    if card["total"]:
        progress = ('<p class="deal-card__progress"><span class="progress" aria-hidden="true">'
                    '<span style="width: {}%"></span></span> {}/{}</p>').format(
            int(card["pct"]), e(card["done"]), e(card["total"]))
    return CARD_HTML.format(
        overdue_class=" deal-card--overdue" if card["overdue"] else "",
        pk=e(card["pk"]), version=e(card["version"]), move_url=e(card["move_url"]),
        url=e(card["url"]), title=e(card["title"]), contact=e(card["contact"] or "—"),
        value=e(number_format(card["value"], 0, force_grouping=True)),
        currency=e(card["currency"]), next=next_html, progress=progress, csrf=e(csrf),
        move_label=e(_("Move to")), options=options, move_button=e(_("Move")))


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
