"""The open deals at the end of a past period, cached until the office's history changes.

A report of a period that ended before today counts the deals open at its end, in the
phase they were in then, at their value now: the moves made before that end and not
left by then, joined to their deals (tens of thousands of rows in a busy office). What a
consultant does today does not change that past: a deal moved, won or lost today leaves
its phase after the period's end, a deal created today did not exist then. So the figure
is cached per office "history" version, which is bumped (after commit) only by what can
change it:
- a deal saved as a whole (created, edited: its value, currency, office…) or deleted;
- a move deleted, or saved with a date more than two days back (a move made now has
  nothing to do with a past period; one made today at 00:30 is still after any cached
  period's end, which is a midnight before today);
- bulk writes, through the office's "moves" version, which the key holds too.
A deal saved with `update_fields` among HARMLESS (the move, win, loss, next step and
nudge services) leaves the history version alone.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from tsgcrm import counts

from ..models import PhaseMove

# Fields a service changes without changing any past period: a phase entered now, a deal
# closed now, a next step, notes, the nudges.
HARMLESS = frozenset({"phase", "phase_entered_at", "version", "updated_at", "status",
                      "lost_reason", "closed_at", "notes", "next_step", "next_step_date",
                      "nudges_muted"})
RECENT = dt.timedelta(days=2)
TTL = 24 * 3600


def deal_saved(office_id: int, update_fields=None) -> None:
    if update_fields is None or not set(update_fields) <= HARMLESS:
        counts.bump_on_commit("history", office_id)


def move_changed(office_id: int, moved_at: dt.datetime, *, deleted: bool) -> None:
    if deleted or moved_at < timezone.now() - RECENT:
        counts.bump_on_commit("history", office_id)


def open_at(office_ids: list[int], finish: dt.datetime) -> list[dict]:
    """The deals open at `finish` (a past moment) by phase then and currency: count and
    value now."""
    known = counts.versions([(scope, pk) for scope in ("history", "moves")
                             for pk in office_ids])
    key = "report-open-at:" + counts.digest(finish.isoformat(),
                                            counts.versions_key("history", office_ids, known),
                                            counts.versions_key("moves", office_ids, known))
    rows = cache.get(key)
    if rows is None:
        # Each deal's phase then: the move it made into it before the end and had not
        # left by then; the deal still open then.
        rows = list(PhaseMove.objects.filter(office_id__in=office_ids, moved_at__lt=finish)
                    .filter(Q(left_at__isnull=True) | Q(left_at__gte=finish))
                    .filter(Q(deal__closed_at__isnull=True) | Q(deal__closed_at__gte=finish))
                    .values(currency=F("deal__currency"), at_phase=F("to_phase_id"))
                    .annotate(n=Count("pk"), total=Sum("deal__value")).order_by())
        cache.set(key, rows, TTL)
    return rows
