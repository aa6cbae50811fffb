"""Counts and totals cached per office, recomputed after any change to the office's rows.

Counting tens of thousands of deals or contacts is the costliest query of a list page.
Each office has a version number per kind of row ("deals", "people"); a change to one of
its rows bumps it after commit, and cached figures are keyed by the versions of the
offices they cover, so a stale figure is never read again. Bulk writes send no signals:
the services that make them call bump() themselves.
"""

import contextvars
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

TTL = 600


def versions(wanted: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The versions of these (scope, office) pairs, read from the cache at once."""
    keys = {f"{scope}-version:{pk}": (scope, pk) for scope, pk in wanted}
    found = cache.get_many(list(keys))
    return {pair: found.get(key, 0) for key, pair in keys.items()}


def versions_key(scope: str, offices: list[int],
                 known: dict[tuple[str, int], int] | None = None) -> str:
    """The part of a cache key that changes when any of these offices' rows of `scope`
    change; `known`: versions already read (versions()), to spare a round trip."""
    offices = sorted(offices)
    if known is None:
        known = versions([(scope, pk) for pk in offices])
    return "|".join(f"{pk}.{known[(scope, pk)]}" for pk in offices)


def bump(scope: str, office_id: int) -> None:
    """Rows of `scope` in this office changed: its cached figures are stale."""
    key = f"{scope}-version:{office_id}"
    if cache.add(key, 1, timeout=None) is False:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


_in_bulk: contextvars.ContextVar[frozenset] = contextvars.ContextVar("counts_in_bulk",
                                                                   default=frozenset())


def bump_on_commit(scope: str, office_id: int) -> None:
    """bump() once the transaction commits: a rolled-back change leaves figures valid."""
    if (scope, office_id) in _in_bulk.get():
        return
    transaction.on_commit(lambda: bump(scope, office_id))


@contextmanager
def bulk(scope: str, office_id: int) -> Iterator[None]:
    """Many rows of one office written at once (an import): one bump at the end instead
    of one per row."""
    token = _in_bulk.set(_in_bulk.get() | {(scope, office_id)})
    try:
        yield
    finally:
        _in_bulk.reset(token)
    bump_on_commit(scope, office_id)


def digest(*parts: str) -> str:
    """A short fingerprint of these parts, for a cache key."""
    return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def query_digest(rows: QuerySet) -> str:
    """A short fingerprint of a query: its SQL and parameters."""
    sql, params = rows.order_by().query.sql_with_params()
    return digest(sql, repr(params))


def cached_count(rows: QuerySet, *, scope: str, offices: list[int]) -> int:
    """rows.count(), cached per version of the offices and per query: the SQL and its
    parameters (filters, today's date for "overdue", the people passed from other offices)
    are part of the key."""
    key = f"{scope}-count:{versions_key(scope, offices)}:{query_digest(rows)}"
    count = cache.get(key)
    if count is None:
        count = rows.count()
        cache.set(key, count, TTL)
    return count
