"""Reads of the pipeline: the board, a column's cards, the deal list."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from circles.models import User
from tsgcrm import counts
from tsgcrm.rows import full_name, url_for

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
        deals = deals.filter(lead_source=data["source"])
    if data.get("overdue"):
        deals = deals.filter(next_step_date__lt=timezone.localdate(),
                             status=Deal.Status.OPEN)
    if data.get("status"):
        deals = deals.filter(status=data["status"])
    return deals


# A column's card query is compiled once with these stand-ins for its phase and status,
# then run for every column with the real values: building seven ORM queries cost more
# than running them.
_ANY_PHASE = -918_273_645
_ANY_STATUS = "__column_status__"
CARD_FIELDS = ("pk", "version", "title", "value", "currency", "next_step", "next_step_date",
               "status", "phase_id", "person_id", "person__first_name", "person__last_name",
               "organisation__name", "routines_done")


def _card_query(deals: QuerySet[Deal]) -> QuerySet:
    """One column's cards, in order: next step first, deals without one last."""
    done = (RoutineCheck.objects.filter(deal=OuterRef("pk"), routine__phase=OuterRef("phase"),
                                        routine__kind=Routine.Kind.ROUTINE)
            .values("deal").annotate(n=Count("pk")).values("n"))
    return (deals.filter(phase_id=_ANY_PHASE, status=_ANY_STATUS)
            .annotate(routines_done=Coalesce(Subquery(done), 0))
            .order_by(F("next_step_date").asc(nulls_last=True), "id")
            .values_list(*CARD_FIELDS))


def cards_by_column(deals: QuerySet[Deal], phases: list[Phase],
                    page: int = 1) -> dict[int, list[dict]]:
    """Page `page` of each phase's cards (plus one, to know whether there are more), as
    plain dicts, in a single query: one UNION ALL of the column query, compiled once."""
    if not phases:
        return {}
    start = (page - 1) * CARDS_PER_PAGE
    query = _card_query(deals)[start:start + CARDS_PER_PAGE + 1]
    sql, params = query.query.sql_with_params()
    slots = [i for i, value in enumerate(params) if value in (_ANY_PHASE, _ANY_STATUS)]
    assert len(slots) == 2, "the column query must take its phase and status once each"
    parts, all_params = [], []
    for n, phase in enumerate(phases):
        status = Deal.Status.WON if phase.after_won else Deal.Status.OPEN
        column_params = list(params)
        for i in slots:
            column_params[i] = phase.pk if params[i] == _ANY_PHASE else str(status)
        parts.append(f"SELECT * FROM ({sql}) AS column_{n}")  # noqa: S608 - compiled SQL
        all_params.extend(column_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), all_params)
        rows = cursor.fetchall()
    columns: dict[int, list[dict]] = {p.pk: [] for p in phases}
    for row in rows:
        values = dict(zip(CARD_FIELDS, row, strict=True))
        columns[values["phase_id"]].append(values)
    return columns


def column_cards(deals: QuerySet[Deal], phase: Phase, page: int = 1) -> list[dict]:
    return cards_by_column(deals, [phase], page)[phase.pk]




def bump_board_version(office_id: int) -> None:
    """A deal of this office changed: its cached column totals and counts are stale."""
    counts.bump("deals", office_id)


def column_totals(deals: QuerySet[Deal], phases: list[Phase],
                  offices: list[int] | None = None) -> dict[tuple[int, str], tuple]:
    """Count and value per column and currency. Summing tens of thousands of amounts on
    every board view is the board's costliest query, so the totals are cached per office
    and per filter (the query's SQL) and recomputed after any change to one of its deals."""
    key = None
    if offices is not None:
        key = f"board-totals:{counts.versions_key('deals', offices)}:{counts.query_digest(deals)}"
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
        cache.set(key, totals, counts.TTL)
    return totals


def deal_count(deals: QuerySet[Deal], *, offices: list[int]) -> int:
    """How many deals a list shows, cached as the board totals are."""
    return counts.cached_count(deals, scope="deals", offices=offices)


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


PHASES_KEY = "pipeline-phases"


def phase_setup() -> tuple[list[Phase], dict[int, int]]:
    """The seven phases in order and how many routines each has. Read on every board view
    and changed only by admins: cached, and dropped whenever a phase or routine changes
    (signals in apps.py)."""
    cached = cache.get(PHASES_KEY)
    if cached is None:
        cached = (list(Phase.objects.order_by("number")),
                  dict(Routine.objects.filter(kind=Routine.Kind.ROUTINE)
                       .values_list("phase").annotate(n=Count("pk"))))
        cache.set(PHASES_KEY, cached, 3600)
    return cached


def forget_phases(**kwargs) -> None:
    cache.delete(PHASES_KEY)


def board(deals: QuerySet[Deal], *, offices: list[int] | None = None) -> list[Column]:
    """Seven columns with counts, value totals per currency and their first cards:
    four queries whatever the number of deals (three when the totals are cached)."""
    phases, routine_counts = phase_setup()
    columns = {p.pk: Column(phase=p) for p in phases}
    for (phase_id, currency), (n, total) in column_totals(deals, phases,
                                                          offices).items():
        column = columns[phase_id]
        column.count += n
        column.totals[currency] = total
    cards = cards_by_column(deals, [c.phase for c in columns.values() if c.count])
    for column in columns.values():
        column.routine_count = routine_counts.get(column.phase.pk, 0)
        column.move_options = move_options(phases, column.phase)
        rows = cards.get(column.phase.pk, [])
        column.has_more = len(rows) > CARDS_PER_PAGE
        column.cards = [card(row, column.routine_count) for row in rows[:CARDS_PER_PAGE]]
    return [columns[p.pk] for p in phases]


def move_options(phases: list[Phase], current: Phase) -> str:
    """The <option>s of a card's "Move to" menu, built once per column: every card of
    the column shares them."""
    return format_html_join(
        "", '<option value="{}">{}. {}</option>',
        [(p.number, p.number, p.display_name) for p in phases
         if p.after_won == current.after_won and p.pk != current.pk])


def _url(name: str, pk: int) -> str:
    return url_for(f"pipeline:{name}", pk)


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


class CardWriter:
    """Builds the board's cards as HTML for one request, every value escaped by
    html.escape. A board page shows up to 84 cards: built here they cost a fraction of a
    template loop, and the words, number format and dates are looked up once per request
    rather than once per card."""

    def __init__(self, csrf: str) -> None:
        e = html.escape
        self.csrf = e(csrf)
        self.move_label, self.move_button = e(_("Move to")), e(_("Move"))
        self.overdue = e(_("overdue")) + " "
        self.separator = get_format("THOUSAND_SEPARATOR")
        self.grouping = get_format("NUMBER_GROUPING")
        self._dates: dict = {}

    def number(self, value: Decimal) -> str:
        if self.grouping != 3:
            return number_format(value, 0, force_grouping=True)
        whole = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return f"{whole:,}".replace(",", self.separator)

    def day(self, value) -> str:
        if value not in self._dates:
            self._dates[value] = html.escape(date_format(value, "j M"))
        return self._dates[value]

    def __call__(self, card: dict, options: str) -> str:
        e = html.escape
        next_html = ""
        if card["next_date"]:
            next_html = ' · <span class="deal-card__next{}" title="{}">{}{}</span>'.format(
                " overdue" if card["overdue"] else "", e(card["next_step"]),
                self.overdue if card["overdue"] else "", self.day(card["next_date"]))
        progress = ""
        if card["total"]:
            progress = ('<p class="deal-card__progress"><span class="progress" '
                        'aria-hidden="true"><span style="width: {}%"></span></span> {}/{}</p>'
                        ).format(int(card["pct"]), e(card["done"]), e(card["total"]))
        return CARD_HTML.format(
            overdue_class=" deal-card--overdue" if card["overdue"] else "",
            pk=e(card["pk"]), version=e(card["version"]), move_url=e(card["move_url"]),
            url=e(card["url"]), title=e(card["title"]), contact=e(card["contact"] or "—"),
            value=e(self.number(card["value"])), currency=e(card["currency"]),
            next=next_html, progress=progress, csrf=self.csrf, move_label=self.move_label,
            options=options, move_button=self.move_button)


def _contact(row: dict) -> str:
    """The deal's person, or else its organisation (as Deal.contact_name)."""
    if row["person_id"]:
        return full_name(row["person__first_name"], row["person__last_name"])
    return row["organisation__name"] or ""


def _overdue(row: dict) -> bool:
    """As Deal.next_step_overdue."""
    next_date = row["next_step_date"]
    return bool(next_date and row["status"] == Deal.Status.OPEN
                and next_date < timezone.localdate())


def card(row: dict, routine_count: int) -> dict:
    """What a board card shows, from a row of cards_by_column()."""
    pk, next_date = row["pk"], row["next_step_date"]
    done = row["routines_done"]
    return {
        "pk": str(pk), "version": str(row["version"]), "title": row["title"],
        "url": _url("deal_detail", pk), "move_url": _url("deal_move", pk),
        "contact": _contact(row), "value": row["value"], "currency": row["currency"],
        "next_step": row["next_step"], "next_date": next_date,
        "overdue": _overdue(row),
        "done": str(done), "total": str(routine_count) if routine_count else "",
        "pct": round(100 * done / routine_count) if routine_count else 0,
    }


# --- The deal list ------------------------------------------------------------------------

LIST_FIELDS = ("pk", "title", "person_id", "person__first_name", "person__last_name",
               "organisation__name", "phase_id", "status", "value", "currency",
               "next_step_date", "owner__first_name", "owner__last_name", "owner__email")

ROW_HTML = (
    '<tr><td><a href="{url}">{title}</a><div class="muted small">{contact}</div></td>'
    '<td>{phase}</td><td>{status}</td><td class="num">{value} {currency}</td>'
    '<td class="hide-sm{overdue}">{next_date}</td><td class="hide-sm">{owner}</td></tr>'
)


def deal_rows(deals: QuerySet[Deal]) -> QuerySet:
    """The deal list's rows as tuples of LIST_FIELDS (no model instances to build)."""
    return deals.values_list(*LIST_FIELDS)


def deal_rows_html(rows) -> str:
    """The deal list's table rows, every value escaped by html.escape (a page of rows built
    here costs a fraction of a template loop, as the board's cards)."""
    e = html.escape
    phases = {p.pk: str(p) for p in phase_setup()[0]}
    statuses = dict(Deal.Status.choices)
    out = []
    for values in rows:
        row = dict(zip(LIST_FIELDS, values, strict=True))
        owner = full_name(row["owner__first_name"], row["owner__last_name"]) \
            or row["owner__email"]
        out.append(ROW_HTML.format(
            url=e(_url("deal_detail", row["pk"])), title=e(row["title"]),
            contact=e(_contact(row)), phase=e(phases.get(row["phase_id"], "")),
            status=e(str(statuses.get(row["status"], row["status"]))),
            value=e(number_format(row["value"], 0, force_grouping=True)),
            currency=e(row["currency"]), overdue=" overdue" if _overdue(row) else "",
            next_date=e(date_format(row["next_step_date"], "SHORT_DATE_FORMAT"))
            if row["next_step_date"] else "", owner=e(owner)))
    return "".join(out)
