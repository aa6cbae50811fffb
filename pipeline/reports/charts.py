"""Charts as SVG, drawn here once for the web page and the PDF alike. Each chart has a
title and a description for screen readers, and prints every value as text, so it reads
in black and white and without the picture."""

from __future__ import annotations

import datetime as dt
from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

BRAND = "#2f6f56"
ACCENT = "#c8622d"
MUTED = "#5b6b64"


def _svg(width: int, height: int, title: str, description: str, body: list[str],
         ident: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below goes through escape()
        f'<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="DejaVu Sans, sans-serif">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{"".join(body)}</svg>')


def bar_chart(*, ident: str, title: str, rows: list[tuple[str, float, str]],
              width: int = 640, color: str = BRAND) -> SafeString:
    """Horizontal bars: (label, value, value as printed)."""
    label_width, line, bar_height = 190, 30, 20
    biggest = max([value for _label, value, _text in rows] + [1])
    room = width - label_width - 110
    body = []
    for n, (label, value, text) in enumerate(rows):
        y = 6 + n * line
        length = max(room * value / biggest, 1 if value else 0)
        body.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#1f2d27">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'rx="3" fill="{color}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="{MUTED}">{escape(text)}</text>')
    description = "; ".join(f"{label}: {text}" for label, _value, text in rows)
    return _svg(width, 12 + len(rows) * line, title, description, body, ident)


def column_chart(*, ident: str, title: str, columns: list[tuple[str, float, str]],
                 width: int = 640, height: int = 220, color: str = ACCENT) -> SafeString:
    """Vertical columns: (label, value, value as printed)."""
    biggest = max([value for _label, value, _text in columns] + [1])
    count = max(len(columns), 1)
    slot = (width - 20) / count
    base, room = height - 34, height - 64
    body = [f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#c9d2ce"/>']
    for n, (label, value, text) in enumerate(columns):
        x = 10 + n * slot
        size = room * value / biggest
        middle = x + slot / 2
        body.append(
            f'<rect x="{x + slot * 0.18:.1f}" y="{base - size:.1f}" width="{slot * 0.64:.1f}" '
            f'height="{size:.1f}" rx="3" fill="{color}"/>'
            f'<text x="{middle:.1f}" y="{base - size - 6:.1f}" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">{escape(text)}</text>'
            f'<text x="{middle:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="#1f2d27">{escape(label)}</text>')
    description = "; ".join(f"{label}: {text}" for label, _value, text in columns)
    return _svg(width, height, title, description, body, ident)


def _amount(money) -> float:
    return float(money.total) if money.total is not None else 0.0


def _printed(money, currency: str) -> str:
    """As the tables print it (the `money` filter): the same grouping in every language."""
    from pipeline.templatetags.reports import money as printed

    return printed(money, currency)


def office_charts(report) -> dict[str, SafeString]:
    """The office report's charts: the funnel, the forecast, how deals ended, sources."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext, pgettext

    closed_labels = {"won": _("Won"), "lost": _("Lost"), "no_deal": _("No deal")}
    forecast_labels = {"late": pgettext("forecast month", "Overdue"), "none": _("No date")}

    def month_label(key: str) -> str:
        if key in forecast_labels:
            return str(forecast_labels[key])
        return date_format(dt.date.fromisoformat(f"{key}-01"), "M Y")

    return {
        "funnel": bar_chart(
            ident="chart-funnel", title=_("Open deals per phase at the end of the period"),
            rows=[(row.phase.display_name, row.open_count,
                   f"{row.open_count} · {_printed(row.open_value, report.currency)}")
                  for row in report.phases]),
        "forecast": column_chart(
            ident="chart-forecast", title=_("Weighted forecast by expected close month"),
            columns=[(month_label(month), _amount(money),
                      _printed(money, report.currency)) for month, money in report.forecast]),
        "closed": bar_chart(
            ident="chart-closed", title=_("Deals closed in the period"), color=MUTED,
            rows=[(str(closed_labels[status]), state["count"],
                   f"{state['count']} · {_printed(state['value'], report.currency)}")
                  for status, state in report.closed.items()]),
        "sources": bar_chart(
            ident="chart-sources", title=_("New deals by lead source"), color=ACCENT,
            rows=[(label, n, ngettext("%(n)s deal, %(won)s won", "%(n)s deals, %(won)s won",
                                      n) % {"n": n, "won": won})
                  for _code, label, n, won in report.sources]),
    }


def network_charts(rows, currency: str) -> dict[str, SafeString]:
    from django.utils.translation import gettext as _

    return {
        "pipeline": bar_chart(
            ident="chart-network-pipeline", title=_("Open pipeline value per office"),
            rows=[(row.office.name, _amount(row.open_value), _printed(row.open_value, currency))
                  for row in rows]),
        "won": bar_chart(
            ident="chart-network-won", title=_("Value won in the period per office"),
            color=ACCENT, rows=[(row.office.name, _amount(row.won_value),
                                 _printed(row.won_value, currency)) for row in rows]),
    }
