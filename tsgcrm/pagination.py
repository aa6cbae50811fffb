"""Pagination for the hot lists."""

from django.core import paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class Paginator(paginator.Paginator):
    """Django's Paginator, told how to count: `count` is a number already known (a search
    has counted its matches) or a plainer queryset to count (rows read with values() keep
    their joins when counted; the deals or people alone need none)."""

    def __init__(self, object_list, per_page, *, count: int | QuerySet | None = None,
                 **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._count = count

    @cached_property
    def count(self) -> int:
        if isinstance(self._count, int):
            return self._count
        if self._count is not None:
            return self._count.count()
        return super().count
