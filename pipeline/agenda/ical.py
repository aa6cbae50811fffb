"""The iCalendar feed (RFC 5545), built with the icalendar library."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.conf import settings
from django.utils import timezone

from .selectors import Item


def feed_calendar(items: list[Item], *, name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tsgcrm//calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    host = settings.SITE_URL.split("://")[-1].split("/")[0] or "tsgcrm"
    for item in items:
        event = icalendar.Event()
        event.add("uid", f"{item.key}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", item.title)
        if item.start is not None:
            event.add("dtstart", item.start.astimezone(dt.UTC))
            event.add("dtend", item.end.astimezone(dt.UTC))
        else:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + dt.timedelta(days=1))
        if item.detail:
            event.add("description", item.detail)
        event.add("url", f"{settings.SITE_URL}{item.url}")
        event.add("categories", [item.kind])
        calendar.add_component(event)
    return calendar.to_ical()
