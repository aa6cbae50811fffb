"""Reads of the agenda: my day, the calendar's items, a feed's items."""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Circle, Membership, User, visible_office_ids
from tsgcrm.rows import url_for

from .models import TASK_LINE, Task

MAX_TASKS = 500
STEPS_PER_DAY = 6


@dataclass
class Item:
    """One thing on a calendar: a task, a deal's next step, a circle meeting or a
    certification milestone (a stage due)."""

    kind: str  # "task", "next_step", "meeting", "milestone"
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

    def html(self, *, details: bool) -> str:
        """The item as a calendar entry (a month shows a few hundred: built here, every
        value escaped by html.escape, rather than by a template include each)."""
        e = html.escape
        classes = f"cal-item cal-item--{self.kind}" + (" is-done" if self.done else "") \
            + (" is-overdue" if self.overdue else "")
        drag = (f' draggable="true" data-kind="{self.kind}" data-pk="{self.pk}"'
                if self.movable else "")
        tip = e(self.title + (f" · {self.detail}" if self.detail else ""))
        time = (f'<span class="cal-item__time">{self.start:%H:%M}</span> '
                if self.start else "")
        detail = (f'<span class="cal-item__detail">{e(self.detail)}</span>'
                  if details and self.detail else "")
        return (f'<li class="{classes}"{drag} data-item="{self.key}"><a href="{e(self.url)}" '
                f'title="{tip}">{time}{e(self.title)}</a>{detail}</li>')

    @property
    def end(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return self.start + dt.timedelta(minutes=self.minutes or 30)


def _zone(user: User) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(user.effective_time_zone)


def task_item(task: Task, zone: zoneinfo.ZoneInfo, today: dt.date) -> Item:
    start = task.due_at().astimezone(zone) if task.due_time else None
    detail = str(task.deal or task.person or task.organisation or task.circle
                 or task.enrolment or "")
    return Item(kind="task", pk=task.pk, title=task.title,
                day=start.date() if start else task.due_date, start=start,
                minutes=task.duration, url=task.get_absolute_url(), detail=detail,
                movable=task.is_open, done=task.status == Task.Status.DONE,
                overdue=task.is_open and task.due_date < today)


def step_item(deal, today: dt.date) -> Item:
    return Item(kind="next_step", pk=deal.pk, title=deal.next_step or deal.title,
                day=deal.next_step_date, start=None, minutes=None,
                url=url_for("pipeline:deal_detail", deal.pk), detail=deal.title,
                movable=True, overdue=deal.next_step_date < today)


def meeting_item(meeting, zone: zoneinfo.ZoneInfo) -> Item:
    start = meeting.starts_at.astimezone(zone)
    return Item(kind="meeting", pk=meeting.pk, title=str(meeting.circle), day=start.date(),
                start=start, minutes=120, url=meeting.get_absolute_url(),
                detail=meeting.place)


def milestone_item(progress, today: dt.date) -> Item:
    enrolment = progress.enrolment
    return Item(kind="milestone", pk=progress.pk,
                title=_("%(stage)s due: %(candidate)s") % {
                    "stage": progress.stage.display_name,
                    "candidate": enrolment.candidate_name},
                day=progress.due_on, start=None, minutes=None,
                url=url_for("certification:enrolment_detail", enrolment.pk),
                detail=enrolment.path.display_name, overdue=progress.due_on < today)


def _milestones(viewer: User, *, start: dt.date, end: dt.date, people: list[int] | None,
                office_id: int | None):
    """Stages of live enrolments the viewer may see that fall due between start and end:
    for people, those they go through or mentor."""
    from certification.models import StageProgress
    from certification.permissions import enrolments_visible_to

    progresses = StageProgress.objects.filter(
        enrolment__in=enrolments_visible_to(viewer).live(), completed_on__isnull=True,
        due_on__range=(start, end), enrolment__current_stage_id=F("stage_id"))
    if people is not None:
        progresses = progresses.filter(Q(enrolment__user_id__in=people)
                                       | Q(enrolment__mentor_id__in=people))
    if office_id is not None:
        progresses = progresses.filter(enrolment__office_id=office_id)
    return progresses.select_related("stage", "enrolment__user", "enrolment__person",
                                     "enrolment__path")


def calendar_items(viewer: User, *, start: dt.date, end: dt.date,
                   people: list[int] | None = None, office_id: int | None = None,
                   statuses=(Task.Status.OPEN, Task.Status.DONE),
                   steps_per_day: int | None = STEPS_PER_DAY) -> list[Item]:
    """Everything on the calendar between start and end (inclusive), for some people or
    for an office, as the viewer may see it, in the viewer's time zone. Five queries."""
    from circles.decisions.models import Meeting

    zone = _zone(viewer)
    today = timezone.now().astimezone(zone).date()
    tasks = (Task.objects.visible_to(viewer).filter(status__in=statuses,
                                                    due_date__range=(start, end))
             .select_related(*TASK_LINE, "assignee__office"))
    deals = _deals_with_steps(viewer, start=start, end=end, people=people,
                              office_id=office_id)
    begin = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    meetings = (Meeting.objects.filter(circle__in=Circle.objects.visible_to(viewer),
                                       starts_at__gte=begin, starts_at__lt=finish)
                .select_related("circle"))
    if people is not None:
        tasks = tasks.filter(assignee_id__in=people)
        circles = Membership.objects.current().filter(person_id__in=people).values("circle_id")
        meetings = meetings.filter(circle_id__in=circles)
    if office_id is not None:
        tasks = tasks.filter(office_id=office_id)
        meetings = meetings.filter(circle__office_id=office_id)
    items = [task_item(t, zone, today) for t in tasks[:MAX_TASKS]]
    deals = deals.only("pk", "title", "next_step", "next_step_date")
    if steps_per_day is not None:
        # A large office has hundreds of next steps a day: a few per day, the rest counted.
        deals = (deals.annotate(rank=Window(RowNumber(), partition_by=F("next_step_date"),
                                            order_by=F("pk").asc()))
                 .filter(rank__lte=steps_per_day))
    items += [step_item(d, today) for d in deals]
    items += [meeting_item(m, zone) for m in meetings]
    items += [milestone_item(p, today) for p in _milestones(
        viewer, start=start, end=end, people=people, office_id=office_id)]
    items.sort(key=lambda i: (i.day, i.start is not None, i.start or begin, i.kind, i.title))
    return items


def next_steps_per_day(viewer: User, *, start: dt.date, end: dt.date,
                       people: list[int] | None = None,
                       office_id: int | None = None) -> dict[dt.date, int]:
    """How many next steps fall on each day (the calendar shows STEPS_PER_DAY of them)."""
    deals = _deals_with_steps(viewer, start=start, end=end, people=people,
                              office_id=office_id)
    return dict(deals.order_by().values_list("next_step_date").annotate(n=Count("pk")))


def _deals_with_steps(viewer: User, *, start: dt.date, end: dt.date,
                      people: list[int] | None, office_id: int | None):
    """The open deals the viewer may see whose next step falls between start and end,
    owned by `people` or in the office."""
    from pipeline.models import Deal

    deals = Deal.objects.visible_to(viewer).filter(status=Deal.Status.OPEN,
                                                    next_step_date__range=(start, end))
    if people is not None:
        deals = deals.filter(owner_id__in=people)
    if office_id is not None:
        deals = deals.filter(office_id=office_id)
    return deals


OVERDUE_SHOWN = 20


def my_day(user: User) -> dict:
    """The consultant's home: overdue, today's and this week's tasks, the next steps of
    their deals (the most urgent first) and their circles' meetings, in a fixed number of
    queries whatever the number of deals."""
    from circles.decisions.models import Meeting
    from pipeline.models import Deal

    zone = _zone(user)
    today = timezone.now().astimezone(zone).date()
    week_end = today + dt.timedelta(days=6)
    mine = Task.objects.filter(assignee=user, status=Task.Status.OPEN)
    # A page to read, not a backlog: the 20 oldest overdue tasks and how many more there
    # are (the task list has them all), then today's and this week's.
    late = mine.filter(due_date__lt=today)
    overdue = list(late.select_related(*TASK_LINE, "assignee__office")[:OVERDUE_SHOWN])
    tasks = overdue + list(mine.filter(due_date__gte=today, due_date__lte=week_end)
                           .select_related(*TASK_LINE, "assignee__office")[:100])
    steps = [step_item(d, today)
             for d in Deal.objects.filter(owner=user, status=Deal.Status.OPEN,
                                          next_step_date__lte=week_end)
             .order_by("next_step_date", "pk").only("pk", "title", "next_step",
                                                     "next_step_date")[:15]]
    begin = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    circles = Membership.objects.current().filter(person=user).values("circle_id")
    meetings = [meeting_item(m, zone)
                for m in Meeting.objects.filter(circle_id__in=circles, starts_at__gte=begin,
                                                starts_at__lt=begin + dt.timedelta(days=7))
                .select_related("circle").order_by("starts_at")[:10]]
    return {
        "overdue": overdue,
        "overdue_more": late.count() - len(overdue),
        "today": [t for t in tasks if t.due_date == today],
        "week": [t for t in tasks if today < t.due_date <= week_end],
        "next_steps": steps,
        "meetings": meetings,
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
                              statuses=(Task.Status.OPEN,), steps_per_day=None)
    # A subscribed calendar gets every item: nothing is summed up as "more".
    return calendar_items(user, start=start, end=end, people=[user.pk],
                          statuses=(Task.Status.OPEN,), steps_per_day=None)
