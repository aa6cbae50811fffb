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
    return _plan_cache_mode("force_generic_plan")


def custom_plans():
    """Run the block's queries with plans made for their values: a search for a rare word
    and one for a common word need different plans, which a prepared query's generic plan
    (chosen by PostgreSQL after five runs) would not give."""
    return _plan_cache_mode("force_custom_plan")


@contextmanager
def report_plans() -> Iterator[None]:
    """custom_plans(), and aggregates over many rows run in parallel whenever PostgreSQL
    can: its default costs keep a grouped scan of a few hundred thousand rows on one core
    when it estimates many groups (the report's grouped moves took 1.6× longer alone).
    Two statements in all, whatever the block does; the settings are put back after."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = ("plan_cache_mode", "parallel_setup_cost", "parallel_tuple_cost")
    with connection.cursor() as cursor:
        cursor.execute(  # the old values first (the select list is evaluated in order)
            "SELECT " + ", ".join(f"current_setting('{name}')" for name in settings)
            + ", set_config('plan_cache_mode', 'force_custom_plan', false),"
            " set_config('parallel_setup_cost', '0', false),"
            " set_config('parallel_tuple_cost', '0', false)")
        saved = cursor.fetchone()[:3]
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT " + ", ".join(
                    f"set_config('{name}', %s, false)" for name in settings), saved)
        except DatabaseError:
            # Only in a failed transaction, whose rollback undoes the settings as well.
            if not connection.in_atomic_block:
                raise


@contextmanager
def _plan_cache_mode(mode: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET plan_cache_mode = {mode}")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")
        except DatabaseError:
            # Only in a failed transaction, whose rollback undoes the SET as well.
            if not connection.in_atomic_block:
                raise
