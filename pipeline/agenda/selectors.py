"""Reads of the agenda: my day, the calendar's items, a feed's items."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from circles.models import Circle, Membership, User, visible_office_ids

from .models import Task


@dataclass
class Item:
    """One thing on a calendar: a task, a deal's next step or a circle meeting."""

    kind: str  # "task", "next_step", "meeting"
    pk: int
    title: str
    day: dt.date
    start: dt.datetime | None  # None: all day
    minutes: int | None
    url: str
    detail: str = ""
    movable: bool = False
    done: bool = False
    overdue: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk}"

    @property
    def end(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return self.start + dt.timedelta(minutes=self.minutes or 30)


def _zone(user: User) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(user.effective_time_zone)


def task_item(task: Task, zone: zoneinfo.ZoneInfo, today: dt.date) -> Item:
    start = task.due_at().astimezone(zone) if task.due_time else None
    detail = str(task.deal or task.person or task.organisation or task.circle or "")
    return Item(kind="task", pk=task.pk, title=task.title,
                day=start.date() if start else task.due_date, start=start,
                minutes=task.duration, url=task.get_absolute_url(), detail=detail,
                movable=task.is_open, done=task.status == Task.Status.DONE,
                overdue=task.is_open and task.due_date < today)


def calendar_items(viewer: User, *, start: dt.date, end: dt.date,
                   people: list[int] | None = None, office_id: int | None = None,
                   statuses=(Task.Status.OPEN, Task.Status.DONE)) -> list[Item]:
    """Everything on the calendar between start and end (inclusive), for some people or
    for an office, as the viewer may see it, in the viewer's time zone. Four queries."""
    from circles.decisions.models import Meeting
    from pipeline.models import Deal

    zone = _zone(viewer)
    today = timezone.now().astimezone(zone).date()
    tasks = (Task.objects.visible_to(viewer).filter(status__in=statuses,
                                                    due_date__range=(start, end))
             .select_related("assignee", "assignee__office", "deal", "person",
                             "organisation", "circle"))
    deals = Deal.objects.visible_to(viewer).filter(status=Deal.Status.OPEN,
                                                    next_step_date__range=(start, end))
    begin = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    meetings = (Meeting.objects.filter(circle__in=Circle.objects.visible_to(viewer),
                                       starts_at__gte=begin, starts_at__lt=finish)
                .select_related("circle"))
    if people is not None:
        tasks = tasks.filter(assignee_id__in=people)
        deals = deals.filter(owner_id__in=people)
        circles = Membership.objects.current().filter(person_id__in=people).values("circle_id")
        meetings = meetings.filter(circle_id__in=circles)
    if office_id is not None:
        tasks = tasks.filter(office_id=office_id)
        deals = deals.filter(office_id=office_id)
        meetings = meetings.filter(circle__office_id=office_id)
    items = [task_item(t, zone, today) for t in tasks]
    items += [Item(kind="next_step", pk=d.pk, title=d.next_step or d.title,
                   day=d.next_step_date, start=None, minutes=None,
                   url=d.get_absolute_url(), detail=d.title, movable=True,
                   overdue=d.next_step_date < today)
              for d in deals.only("pk", "title", "next_step", "next_step_date")]
    items += [Item(kind="meeting", pk=m.pk, title=str(m.circle),
                   day=m.starts_at.astimezone(zone).date(), start=m.starts_at.astimezone(zone),
                   minutes=120, url=m.get_absolute_url(), detail=m.place)
              for m in meetings]
    items.sort(key=lambda i: (i.day, i.start is not None, i.start or begin, i.kind, i.title))
    return items


def my_day(user: User) -> dict:
    """The consultant's home: overdue, today's and this week's tasks, the next steps of
    their deals, and their circles' meetings, in a fixed number of queries."""
    zone = _zone(user)
    today = timezone.now().astimezone(zone).date()
    week_end = today + dt.timedelta(days=6)
    tasks = list(Task.objects.filter(assignee=user, status=Task.Status.OPEN,
                                     due_date__lte=week_end)
                 .select_related("deal", "person", "organisation", "circle",
                                 "assignee__office")[:200])
    items = calendar_items(user, start=today - dt.timedelta(days=365), end=week_end,
                           people=[user.pk], statuses=(Task.Status.OPEN,))
    steps = [i for i in items if i.kind == "next_step"]
    meetings = [i for i in items if i.kind == "meeting" and i.day >= today]
    return {
        "overdue": [t for t in tasks if t.due_date < today],
        "today": [t for t in tasks if t.due_date == today],
        "week": [t for t in tasks if today < t.due_date <= week_end],
        "next_steps": steps[:15],
        "meetings": meetings[:10],
        "today_date": today,
    }


def office_people(viewer: User):
    """The people whose calendars the viewer may open."""
    return (User.objects.filter(is_active=True, office_id__in=visible_office_ids(viewer))
            .order_by("last_name", "first_name"))


def feed_items(feed) -> list[Item]:
    user = feed.user
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=60), today + dt.timedelta(days=365)
    if feed.scope == feed.Scope.OFFICE:
        if user.office_id is None or not (user.is_office_lead or user.is_network_admin):
            return []
        return calendar_items(user, start=start, end=end, office_id=user.office_id,
                              statuses=(Task.Status.OPEN,))
    return calendar_items(user, start=start, end=end, people=[user.pk],
                          statuses=(Task.Status.OPEN,))


__all__ = ["Item", "Q", "calendar_items", "feed_items", "my_day", "office_people"]
