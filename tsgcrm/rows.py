"""Markup of the hot pages built in Python.

The board's cards and the lists' rows are the bulk of those pages; a template loop over a
page of them cost more than the queries behind it. They are built here instead, from plain
rows, with every value escaped by html.escape (the tests put markup in every field).
"""

from django.urls import reverse

_URLS: dict[str, str] = {}


def url_for(name: str, pk: int) -> str:
    """reverse(name, args=[pk]), resolved once per URL name, then plain formatting."""
    if name not in _URLS:
        _URLS[name] = reverse(name, args=[987654321]).replace("987654321", "{}")
    return _URLS[name].format(pk)


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()
