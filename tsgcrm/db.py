"""Database helpers shared by the hot pages."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


def generic_plans():
    """Run the block's queries with PostgreSQL's generic plans.

    psycopg prepares a query once it has run five times on a connection; PostgreSQL then
    still plans it again on every run unless told that one generic plan will do. For the
    board and the lists, whose queries follow their indexes whatever the values, planning
    cost more than running: with this, they are planned once per connection.
    """
    return _settings(plan_cache_mode="force_generic_plan")


def custom_plans():
    """Run the block's queries with plans made for their values: a search for a rare word
    and one for a common word need different plans, which a prepared query's generic plan
    (chosen by PostgreSQL after five runs) would not give."""
    return _settings(plan_cache_mode="force_custom_plan")


def report_plans():
    """custom_plans(), and aggregates over many rows run in parallel whenever PostgreSQL
    can: its default costs keep a grouped scan of a few hundred thousand rows on one core
    when it estimates many groups (the report's grouped moves took 1.6× longer alone)."""
    return _settings(plan_cache_mode="force_custom_plan", parallel_setup_cost="0",
                     parallel_tuple_cost="0")


def serial_plans():
    """Queries without parallel workers, inside report_plans(): for a small aggregate,
    starting the workers costs more (an index scan of a few thousand rows: 12 ms in
    parallel, 3 ms alone)."""
    return _settings(max_parallel_workers_per_gather="0")


@contextmanager
def _settings(**values: str) -> Iterator[None]:
    """PostgreSQL settings for the block's queries, put back as they were after it: one
    statement before (it reads the old values, then sets the new ones: a select list is
    evaluated in order) and one after, whatever the block does."""
    if connection.vendor != "postgresql":
        yield
        return
    names = list(values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(
            [f"current_setting('{name}')" for name in names]
            + ["set_config(%s, %s, false)"] * len(names)),
            [item for pair in values.items() for item in pair])
        saved = cursor.fetchone()[:len(names)]
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(names)),
                               [item for pair in zip(names, saved, strict=True)
                                for item in pair])
        except DatabaseError:
            # Only in a failed transaction, whose rollback undoes the settings as well.
            if not connection.in_atomic_block:
                raise
