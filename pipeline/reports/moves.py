"""The phase moves of a report's period, summed week by week.

The moves are the largest part of a report: a busy office makes hundreds of thousands in
a year. A whole week's figures (from Monday to Monday, UTC) are cached on their own,
keyed by the versions of that week's moves in each office, so that a report
computed again after a change reads from the database only the weeks that changed and
the partial weeks at the period's ends: after a deal moved on, this week's moves and the
week of the deal's previous move (now gone further), a few thousand rows instead of a
year's.

The moves of each office and UTC week have a version, bumped (after commit) whenever one
of them is saved or deleted, and when a later move marks it as gone further
(PhaseMove.save). Writes that send no signals (bulk inserts) bump the office's "moves"
version, which every week's key holds too. The figures read from the cache are therefore
never stale, and they are exact: the histograms of stays (per day, week or month of stay)
merge into the period's, from which the medians are ranked in the database
(figures._medians).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Floor

from tsgcrm import counts

from ..models import PhaseMove

# Part of every cached week's key: change it when what a week holds changes.
FORMAT = 2
# A week's figures stay cached this long (its key changes when its moves do).
TTL = 24 * 3600
# At most this many missing weeks are summed on their own (and cached) by one report; the
# others are read with the period's ends (a cold cache fills over a few reports).
FEW = 4
WEEK = dt.timedelta(days=7)


def week_scope(moment: dt.datetime) -> str:
    """The version scope of the moves made in `moment`'s week (ISO week, UTC)."""
    year, week, _day = moment.astimezone(dt.UTC).isocalendar()
    return f"moves-{year}w{week}"


def bump_weeks(office_id: int, moments) -> None:
    """Moves of these moments in this office changed: their weeks' figures are stale
    once the transaction commits."""
    for scope in {week_scope(moment) for moment in moments}:
        counts.bump_on_commit(scope, office_id)


# The buckets stays are counted in: from each start (days), buckets of this width, up to
# the next start. Coarse enough for a year of weeks to merge quickly, fine enough for the
# median to be ranked among a few stays (figures._medians).
BUCKETS = ((0, 1), (14, 7), (91, 30), (365, 365))


def stay_bucket():
    """The bucket of a stay, as its lower bound in days (BUCKETS): whole days below two
    weeks, weeks below 91 days, 30 days below a year (the last one ends at 365), then
    years."""
    days = F("days_in_previous")
    regimes = [When(days_in_previous__lt=following,
                    then=Floor((days - start) / width) * width + start)
               for (start, width), (following, _w) in zip(BUCKETS, BUCKETS[1:], strict=False)]
    start, width = BUCKETS[-1]
    return Case(*regimes, default=Floor((days - start) / width) * width + start,
                output_field=FloatField())


def bucket_end(lower: float) -> float:
    """Where the bucket starting at `lower` ends (excluded)."""
    for (_start, width), (following, _w) in zip(BUCKETS, BUCKETS[1:], strict=False):
        if lower < following:
            return min(lower + width, following)
    return lower + BUCKETS[-1][1]


@dataclass
class MoveFigures:
    """What a report reads from a set of moves, by phase (or person)."""

    entered: dict[int, int] = field(default_factory=dict)
    further: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    movers: dict[int, int] = field(default_factory=dict)
    histograms: dict[int, dict[float, int]] = field(default_factory=dict)  # by bucket
    stay_days: dict[int, float] = field(default_factory=dict)

    def add_row(self, row: dict) -> None:
        """One row of the grouped query (to, from, by, stay bucket: count, further, days)."""
        _add(self.entered, row["to_phase_id"], row["n"])
        _add(self.further, row["to_phase_id"], row["on"])
        if row["from_phase_id"] is None:
            return
        _add(self.left, row["from_phase_id"], row["n"])
        if row["moved_by_id"] is not None:
            _add(self.movers, row["moved_by_id"], row["n"])
        if row["day"] is not None:
            _add(self.histograms.setdefault(row["from_phase_id"], {}), row["day"], row["n"])
            _add(self.stay_days, row["from_phase_id"], row["days"])

    def merge(self, other: MoveFigures) -> None:
        for mine, theirs in ((self.entered, other.entered), (self.further, other.further),
                             (self.left, other.left), (self.movers, other.movers),
                             (self.stay_days, other.stay_days)):
            for key, n in theirs.items():
                _add(mine, key, n)
        for phase_id, histogram in other.histograms.items():
            into = self.histograms.setdefault(phase_id, {})
            for day, n in histogram.items():
                _add(into, day, n)


def _add(counter: dict, key, n) -> None:
    counter[key] = counter.get(key, 0) + n


def whole_weeks(begin: dt.datetime, finish: dt.datetime
                ) -> tuple[list[tuple[dt.datetime, dt.datetime]],
                           list[tuple[dt.datetime, dt.datetime]]]:
    """The whole UTC weeks (Monday 00:00 to Monday 00:00 UTC, as the versions count them)
    within [begin, finish), and the parts of the period outside them."""
    first = begin.astimezone(dt.UTC)
    start = dt.datetime.combine(first.date() - dt.timedelta(days=first.weekday()), dt.time(),
                                tzinfo=dt.UTC)
    if start < begin:
        start += WEEK
    weeks = []
    while start + WEEK <= finish:
        weeks.append((start, start + WEEK))
        start += WEEK
    if not weeks:
        return [], [(begin, finish)]
    edges = [(a, b) for a, b in ((begin, weeks[0][0]), (weeks[-1][1], finish)) if a < b]
    return weeks, edges


def period_moves(office_ids: list[int], begin: dt.datetime,
                 finish: dt.datetime) -> MoveFigures:
    """The figures of the moves made in [begin, finish) in these offices: whole weeks
    from the cache where it has them, everything else in one grouped query, which also
    sums up to FEW of the missing weeks on their own for the cache (a cold cache fills
    over a few reports, none of which waits for more)."""
    weeks, edges = whole_weeks(begin, finish)
    keys = _week_keys(office_ids, weeks)
    cached = cache.get_many(list(keys.values())) if keys else {}
    missing = [week for week in weeks if keys[week] not in cached]
    figures = MoveFigures()
    filling = missing[:FEW]
    fresh = {week: MoveFigures() for week in filling}
    ranges = _joined(sorted(edges + missing))
    if ranges:
        within = Q()
        for start, end in ranges:
            within |= Q(moved_at__gte=start, moved_at__lt=end)
        moves = PhaseMove.objects.filter(within, office_id__in=office_ids).order_by()
        group = {"day": stay_bucket()}
        if filling:  # which week to cache each move belongs to (None: read, not cached)
            group["week"] = Case(*(When(moved_at__gte=start, moved_at__lt=end, then=Value(n))
                                   for n, (start, end) in enumerate(filling)),
                                 default=Value(None), output_field=IntegerField())
        for row in (moves.values("to_phase_id", "from_phase_id", "moved_by_id", **group)
                    .annotate(n=Count("pk"), on=Count("pk", filter=Q(went_further=True)),
                              days=Sum("days_in_previous"))):
            week = row.get("week")
            (figures if week is None else fresh[filling[week]]).add_row(row)
        if fresh:
            cache.set_many({keys[week]: value for week, value in fresh.items()}, TTL)
    for week in weeks:
        if week in fresh:
            figures.merge(fresh[week])
        elif keys[week] in cached:
            figures.merge(cached[keys[week]])
    return figures


def _joined(ranges: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime,
                                                                           dt.datetime]]:
    """Sorted ranges, those that touch made one."""
    joined: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in ranges:
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _week_keys(office_ids: list[int], weeks: list[tuple[dt.datetime, dt.datetime]]
               ) -> dict[tuple[dt.datetime, dt.datetime], str]:
    """Each whole week's cache key: the offices' "moves" versions and the week's, all
    read in one round trip."""
    if not weeks:
        return {}
    wanted = [("moves", pk) for pk in office_ids] + [
        (week_scope(start), pk) for start, _end in weeks for pk in office_ids]
    known = counts.versions(wanted)
    base = counts.versions_key("moves", office_ids, known)
    keys = {}
    for week in weeks:
        versions = counts.versions_key(week_scope(week[0]), office_ids, known)
        keys[week] = f"report-moves:{FORMAT}:{week[0]:%Y-%m-%d}:{counts.digest(base, versions)}"
    return keys
