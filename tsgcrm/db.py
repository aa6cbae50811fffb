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
