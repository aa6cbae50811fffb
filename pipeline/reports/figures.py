"""The figures of a pipeline report, each computed by an aggregate query in the database
(a fixed number of queries whatever the number of deals), then put in order here. The
moves of whole weeks (moves.py) and the deals open at the end of a past period
(history.py) are read from caches of their own when nothing they count has changed.

Definitions (the report says them too):
- the period runs from `start` to `end`, both included, in the office's time zone;
- funnel: the open deals in each phase at the end of the period (count and value), the
  deals that entered it and left it during the period (a move out, or closed as lost or
  no deal while in it);
- conversion from a phase to the next: of the entries into the phase during the period,
  the share followed by a later phase (up to today);
- time in phase: stays that ended during the period, from entering the phase to leaving it;
- closed: deals won, lost or ended without a deal during the period, with lost reasons;
- forecast: today's open deals, value × probability (the deal's, or its phase's), by
  expected close month;
- lead sources: deals created during the period by their lead source (their contact's
  when they were created, unless changed), and how many of them are won;
- activity: interactions recorded, tasks done and deals moved during the period, per person;
- overdue: open deals whose next step date has passed (today).
Money is summed per currency in the database and converted at the stored rates; a
currency without a rate is reported, never converted with a guess.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Office, User
from contacts.models import LeadSource
from tsgcrm.db import serial_plans

from ..agenda.models import Task
from ..models import Deal, Interaction, LostReason, Objection, Phase, PhaseMove
from .history import open_at
from .models import ExchangeRate
from .moves import bucket_end, period_moves

ZERO = Decimal(0)


# A deal's value weighted by its win probability (its own, or its phase's).
WEIGHTED = ExpressionWrapper(
    F("value") * Coalesce("probability", "phase__default_probability") / Value(100),
    output_field=DecimalField(max_digits=16, decimal_places=4))


class ReportError(ValueError):
    """A report that cannot be computed as asked (its message says why)."""


@dataclass
class Money:
    """Sums per currency, converted into one currency at stored rates."""

    amounts: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal | None = ZERO
    missing: set[str] = field(default_factory=set)


class Converter:
    def __init__(self, currency: str, on: dt.date) -> None:
        self.currency = currency
        self.rates = ExchangeRate.latest(on)
        self.missing: set[str] = set()

    def money(self, amounts: dict[str, Decimal]) -> Money:
        total = ZERO
        missing = set()
        for currency, amount in amounts.items():
            converted = self.convert(amount, currency)
            if converted is None:
                missing.add(currency)
            else:
                total += converted
        self.missing |= missing
        return Money(amounts=dict(amounts), total=None if missing else total.quantize(
            Decimal("0.01")), missing=missing)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        if currency == self.currency:
            return amount
        source, target = self.rates.get(currency), self.rates.get(self.currency)
        if self.currency == "EUR":
            target = Decimal(1)
        if currency == "EUR":
            source = Decimal(1)
        if source is None or target is None:
            return None
        return amount * source / target


@dataclass
class PhaseRow:
    phase: Phase
    open_count: int = 0
    open_value: Money = field(default_factory=Money)
    entered: int = 0
    left: int = 0
    went_further: int = 0
    stays: int = 0
    average_days: float | None = None
    median_days: float | None = None

    @property
    def conversion(self) -> float | None:
        return round(100 * self.went_further / self.entered, 1) if self.entered else None


@dataclass
class Report:
    offices: list[Office]
    start: dt.date
    end: dt.date
    currency: str
    phases: list[PhaseRow]
    closed: dict[str, dict]
    lost_reasons: list[tuple[str, int]]
    forecast: list[tuple[str, Money]]  # ("YYYY-MM" | "late" | "none", weighted value)
    sources: list[tuple[str, str, int, int]]
    objections: list[tuple[str, dict[str, int], int]]
    activity: list[dict]
    overdue: list[tuple[User, int]]
    missing_rates: set[str]

    @property
    def open_total(self) -> int:
        return sum(r.open_count for r in self.phases)

    @property
    def overdue_total(self) -> int:
        return sum(n for _user, n in self.overdue)

    @property
    def is_empty(self) -> bool:
        return not (any(r.open_count or r.entered or r.left for r in self.phases)
                    or any(c["count"] for c in self.closed.values()))



def period_bounds(start: dt.date, end: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ReportError(_("The period ends before it starts."))
    tz = zoneinfo.ZoneInfo(zone)
    return (dt.datetime.combine(start, dt.time(), tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz))


def _medians(moves, histograms: dict[int, dict[float, int]]) -> dict[int, float]:
    """The exact median stay of each phase, in one small query: the histograms (stays per
    bucket of days, moves.stay_bucket) say which bucket holds the middle stay(s) and its
    rank there; only the stays of those buckets are read, ranked per phase (the stays of
    a phase's lower bucket come first: the histogram says how many)."""
    targets: set[tuple[int, int]] = set()  # (phase, rank among the stays read)
    within = Q()
    for phase_id, histogram in histograms.items():
        n = sum(histogram.values())
        middle = []  # (bucket, rank in it) of the middle stay, or of the middle two
        for rank in sorted({(n + 1) // 2, (n + 2) // 2}):
            seen = 0
            for lower in sorted(histogram):
                if seen + histogram[lower] >= rank:
                    middle.append((lower, rank - seen))
                    break
                seen += histogram[lower]
        before = 0
        for lower in sorted({lower for lower, _rank in middle}):
            within |= Q(from_phase_id=phase_id, days_in_previous__gte=lower,
                        days_in_previous__lt=bucket_end(lower))
            targets |= {(phase_id, before + rank) for bucket, rank in middle
                        if bucket == lower}
            before += histogram[lower]
    if not targets:
        return {}
    values: dict[int, list[float]] = defaultdict(list)
    for phase_id, rank, value in (
            moves.filter(within).annotate(
                rank=Window(RowNumber(), partition_by=[F("from_phase_id")],
                            order_by=F("days_in_previous").asc()))
            .filter(rank__in={rank for _phase, rank in targets})
            .values_list("from_phase_id", "rank", "days_in_previous")):
        if (phase_id, rank) in targets:
            values[phase_id].append(value)
    return {phase_id: sum(v) / len(v) for phase_id, v in values.items() if v}


def office_report(*, offices: list[Office], start: dt.date, end: dt.date,
                  currency: str | None = None, zone: str | None = None,
                  today: dt.date | None = None) -> Report:
    """The pipeline report of `offices` (an office and its sub-offices) for a period."""
    if not offices:
        raise ReportError(_("Choose an office."))
    zone = zone or offices[0].time_zone
    currency = currency or offices[0].currency
    begin, finish = period_bounds(start, end, zone)
    today = today or timezone.localdate()
    ids = [o.pk for o in offices]
    converter = Converter(currency, min(end, today))
    deals = Deal.objects.filter(office_id__in=ids)
    phases = list(Phase.objects.order_by("number"))
    rows = {p.pk: PhaseRow(phase=p) for p in phases}

    # One pass over the office's deals: today's open deals by phase, the deals closed in
    # the period by outcome, phase and lost reason, the deals created in the period by
    # lead source.
    is_open = Q(status=Deal.Status.OPEN)
    in_period = Q(closed_at__gte=begin, closed_at__lt=finish)
    created = Q(created_at__gte=begin, created_at__lt=finish)
    deal_rows = list(
        deals.filter(is_open | in_period | created)
        .values("status", "phase_id", "currency", "lost_reason_id", "lead_source")
        .annotate(n=Count("pk", filter=is_open), total=Sum("value", filter=is_open),
                  closed_n=Count("pk", filter=in_period),
                  closed_total=Sum("value", filter=in_period),
                  created_n=Count("pk", filter=created)).order_by())

    # Funnel: open deals per phase at the end of the period.
    if finish >= timezone.now():
        open_rows = [{"at_phase": r["phase_id"], "currency": r["currency"], "n": r["n"],
                      "total": r["total"]} for r in deal_rows if r["n"]]
    else:
        open_rows = open_at(ids, finish)
    money: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in open_rows:
        rows[row["at_phase"]].open_count += row["n"]
        money[row["at_phase"]][row["currency"]] += row["total"] or ZERO
    for phase_id, amounts in money.items():
        rows[phase_id].open_value = converter.money(dict(amounts))

    # The period's moves: entries, exits, conversions (each move knows whether the deal
    # went further), who moved deals, and the stays they ended (each move keeps the days
    # spent in the phase it leaves) counted per bucket of days: the histograms that lead
    # to the exact medians. Whole weeks come from the cache, the rest from one query.
    moved = period_moves(ids, begin, finish)
    for phase_id, n in moved.entered.items():
        rows[phase_id].entered += n
    for phase_id, n in moved.further.items():
        rows[phase_id].went_further += n
    for phase_id, n in moved.left.items():
        rows[phase_id].left += n
    for row in deal_rows:  # a deal lost or ended without a deal leaves its phase
        if row["status"] in (Deal.Status.LOST, Deal.Status.NO_DEAL):
            rows[row["phase_id"]].left += row["closed_n"]
    stays = PhaseMove.objects.filter(office_id__in=ids, moved_at__gte=begin, moved_at__lt=finish,
                                     from_phase__isnull=False,
                                     days_in_previous__isnull=False).order_by()
    for phase_id, median in _medians(stays, moved.histograms).items():
        row = rows[phase_id]
        row.stays = sum(moved.histograms[phase_id].values())
        row.average_days = round(moved.stay_days[phase_id] / row.stays, 1)
        row.median_days = round(median, 1)

    # Won, lost, no deal; lost reasons.
    outcome: dict[str, dict] = {s: {"count": 0, "money": defaultdict(lambda: ZERO)} for s in (
        Deal.Status.WON, Deal.Status.LOST, Deal.Status.NO_DEAL)}
    lost_counts: dict[int | None, int] = defaultdict(int)
    for row in deal_rows:
        if row["status"] in outcome and row["closed_n"]:
            outcome[row["status"]]["count"] += row["closed_n"]
            outcome[row["status"]]["money"][row["currency"]] += row["closed_total"] or ZERO
            if row["status"] == Deal.Status.LOST:
                lost_counts[row["lost_reason_id"]] += row["closed_n"]
    for state in outcome.values():
        state["value"] = converter.money(dict(state.pop("money")))
    reasons = {r.pk: str(r) for r in LostReason.objects.all()}
    lost_reasons = sorted(((reasons.get(pk, _("No reason given")), n)
                           for pk, n in lost_counts.items()), key=lambda r: (-r[1], r[0]))

    # Weighted forecast of today's open deals by expected close month (summed per day in
    # the database, a few hundred rows, then per month here: truncating each deal's date
    # to its month in the database costs more).
    this_month = today.replace(day=1)
    buckets: dict = defaultdict(dict)
    for row in (deals.filter(status=Deal.Status.OPEN).values("currency", "expected_close")
                .annotate(weighted=Sum(WEIGHTED)).order_by()):
        day = row["expected_close"]
        key = ("none" if day is None else "late" if day < this_month
               else day.strftime("%Y-%m"))
        buckets[key][row["currency"]] = buckets[key].get(row["currency"], ZERO) + (
            row["weighted"] or ZERO)
    months = sorted(k for k in buckets if k not in ("none", "late"))
    forecast = [(k, converter.money(buckets[k])) for k in (
        (["late"] if "late" in buckets else []) + months
        + (["none"] if "none" in buckets else []))]

    # Lead sources of the deals created in the period, and how many are won.
    labels = dict(LeadSource.choices)
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in deal_rows:
        if row["created_n"]:
            by_source[row["lead_source"]][0] += row["created_n"]
            if row["status"] == Deal.Status.WON:
                by_source[row["lead_source"]][1] += row["created_n"]
    sources = sorted(((source, str(labels.get(source, _("Unknown"))), n, won)
                      for source, (n, won) in by_source.items()), key=lambda r: (-r[2], r[1]))

    # The small aggregates: objections raised in the period by category and outcome,
    # activity per person, overdue next steps per owner (without parallel workers, which
    # take longer to start than these take to run).
    with serial_plans():
        objection_rows = list(
            Objection.objects.filter(office_id__in=ids, created_at__gte=begin,
                                     created_at__lt=finish)
            .values("category", "outcome").annotate(n=Count("pk")).order_by())
        interaction_rows = list(
            Interaction.objects.filter(office_id__in=ids, happened_at__gte=begin,
                                       happened_at__lt=finish, created_by__isnull=False)
            .values_list("created_by_id").annotate(n=Count("pk")).order_by())
        task_rows = list(
            Task.objects.filter(office_id__in=ids, status=Task.Status.DONE,
                                done_at__gte=begin, done_at__lt=finish)
            .values_list("assignee_id").annotate(n=Count("pk")).order_by())
        overdue_rows = dict(deals.filter(status=Deal.Status.OPEN, next_step_date__lt=today)
                            .values_list("owner_id").annotate(n=Count("pk")).order_by())
    by_category: dict[str, dict[str, int]] = defaultdict(dict)
    for row in objection_rows:
        by_category[row["category"]][row["outcome"]] = row["n"]
    categories = dict(Objection.Category.choices)
    objections = [(str(categories[c]), counts, sum(counts.values()))
                  for c, counts in sorted(by_category.items())]
    people: dict[int, dict] = defaultdict(lambda: {"interactions": 0, "tasks": 0, "moves": 0})
    for person, n in interaction_rows:
        people[person]["interactions"] = n
    for person, n in task_rows:
        people[person]["tasks"] = n
    for person, n in moved.movers.items():
        people[person]["moves"] = n
    users = {u.pk: u for u in User.objects.filter(pk__in=set(people) | set(overdue_rows))}
    activity = sorted(({"person": users[pk], **counts} for pk, counts in people.items()
                       if pk in users), key=lambda r: str(r["person"]))
    overdue = sorted(((users[pk], n) for pk, n in overdue_rows.items() if pk in users),
                     key=lambda r: -r[1])

    return Report(offices=offices, start=start, end=end, currency=currency,
                  phases=[rows[p.pk] for p in phases], closed=outcome,
                  lost_reasons=lost_reasons, forecast=forecast, sources=sources,
                  objections=objections, activity=activity, overdue=overdue,
                  missing_rates=converter.missing)


@dataclass
class NetworkRow:
    office: Office
    open_count: int
    open_value: Money
    weighted: Money
    won_count: int
    won_value: Money
    lost_count: int
    no_deal_count: int
    entered: int

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count + self.no_deal_count
        return round(100 * self.won_count / closed, 1) if closed else None


def network_report(*, offices: list[Office], start: dt.date, end: dt.date, currency: str,
                   zone: str, today: dt.date | None = None) -> tuple[list[NetworkRow], set]:
    """The main figures side by side for each national office (with its sub-offices), in
    one currency at the stored rates. Four queries whatever the number of offices."""
    begin, finish = period_bounds(start, end, zone)
    today = today or timezone.localdate()
    converter = Converter(currency, min(end, today))
    national = {o.pk: (o.parent_id or o.pk) for o in offices}
    ids = list(national)
    deals = Deal.objects.filter(office_id__in=ids)
    figures: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(
        lambda: ZERO)))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (deals.filter(status=Deal.Status.OPEN).values("office_id", "currency")
                .annotate(n=Count("pk"), total=Sum("value"), weighted=Sum(WEIGHTED))
                .order_by()):
        top = national[row["office_id"]]
        counts[top]["open"] += row["n"]
        figures[top]["open"][row["currency"]] += row["total"] or ZERO
        figures[top]["weighted"][row["currency"]] += row["weighted"] or ZERO
    for row in (deals.filter(closed_at__gte=begin, closed_at__lt=finish)
                .values("office_id", "status", "currency")
                .annotate(n=Count("pk"), total=Sum("value")).order_by()):
        top = national[row["office_id"]]
        counts[top][row["status"]] += row["n"]
        if row["status"] == Deal.Status.WON:
            figures[top]["won"][row["currency"]] += row["total"] or ZERO
    for row in (PhaseMove.objects.filter(office_id__in=ids, moved_at__gte=begin,
                                         moved_at__lt=finish, from_phase__isnull=True)
                .values("office_id").annotate(n=Count("pk")).order_by()):
        counts[national[row["office_id"]]]["entered"] += row["n"]
    rows = []
    for office in sorted((o for o in offices if o.parent_id is None), key=lambda o: o.name):
        f, c = figures[office.pk], counts[office.pk]
        rows.append(NetworkRow(
            office=office, open_count=c["open"], open_value=converter.money(dict(f["open"])),
            weighted=converter.money(dict(f["weighted"])), won_count=c[Deal.Status.WON],
            won_value=converter.money(dict(f["won"])), lost_count=c[Deal.Status.LOST],
            no_deal_count=c[Deal.Status.NO_DEAL], entered=c["entered"]))
    return rows, converter.missing
