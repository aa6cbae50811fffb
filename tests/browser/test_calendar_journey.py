"""A consultant creates a task from a deal, sees it in the calendar, moves it to the next
day by dragging it, and receives its reminder (in the app and by email)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from pipeline.agenda.models import Notification, Reminder, Task
from pipeline.agenda.services import local_today
from pipeline.seed import load as load_phases
from pipeline.services import deal_create
from pipeline.tasks import send_due_reminders
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Call Inès about the workshop dates"
NOTICE = dt.timedelta(minutes=15)


def plan(user) -> tuple[dt.date, dt.time]:
    """The day and time the task is first due: today, three hours from now, when that is
    still today; otherwise a later morning. The day is never a Sunday that ends its month,
    so that the following day (where the task is dragged) shows in the same month grid."""
    today = local_today(user)
    later = (timezone.now() + dt.timedelta(hours=3)).astimezone(
        zoneinfo.ZoneInfo(user.effective_time_zone))
    for day in (today + dt.timedelta(days=n) for n in range(3)):
        if day.weekday() == 6 and (day + dt.timedelta(days=1)).month != day.month:
            continue
        if day == today:
            if (later + dt.timedelta(minutes=5)).date() != today:
                continue
            return day, later.time().replace(second=0, microsecond=0)
        return day, dt.time(10, 0)
    raise AssertionError("unreachable: one of three days in a row fits")


def cell(page, day: dt.date):
    return page.locator(f'#calendar td[data-date="{day.isoformat()}"]')


def test_a_consultant_plans_moves_and_is_reminded_of_a_task(
        page, screenshot, office_a, consultant_a):
    load_phases(apps)  # the transactional tests before this one flushed the seeded phases
    deal = deal_create(office=office_a, by=consultant_a,
                       data={"title": "LEADERSHIP for Inès", "value": Decimal("6000")})
    start, due_time = plan(consultant_a)
    target = start + dt.timedelta(days=1)

    # 1. Log in and open the deal.
    log_in(page, consultant_a.email)
    page.goto(deal.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("LEADERSHIP for Inès")
    tasks = page.locator("#tasks")
    expect(tasks).to_contain_text("No open task for this deal.")

    # 2. Add a task with a reminder a quarter of an hour before it is due.
    tasks.get_by_role("link", name="Add a task").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New task")
    expect(page.locator(".page-header p.muted")).to_have_text("About LEADERSHIP for Inès")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Due date").fill(start.isoformat())
    page.get_by_label("Due time").fill(due_time.strftime("%H:%M"))
    page.get_by_label("Reminder").select_option(label="15 minutes before")
    page.get_by_role("button", name="Add the task").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEADERSHIP for Inès")
    expect(page.get_by_text(f"Task “{TITLE}” added.")).to_be_visible()
    line = page.locator("#tasks .task-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(TITLE)
    expect(line).to_contain_text(due_time.strftime("%H:%M"))
    task = Task.objects.get(title=TITLE)
    assert (task.deal, task.assignee, task.due_date, task.due_time) == (
        deal, consultant_a, start, due_time)
    reminder = Reminder.objects.get(task=task)
    assert task.due_at() - reminder.remind_at == NOTICE
    screenshot("calendar-deal-with-task")

    # 3. The calendar's month view shows it on its day (next month's grid if need be).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My calendar")
    if not (cell(page, start).count() and cell(page, target).count()):
        page.locator("#calendar").get_by_role("link", name="Next").click()
    expect(cell(page, start)).to_have_count(1)
    expect(cell(page, target)).to_have_count(1)
    item = cell(page, start).locator(f'[data-kind="task"][data-pk="{task.pk}"]')
    expect(item).to_contain_text(TITLE)
    expect(item).to_contain_text(due_time.strftime("%H:%M"))
    screenshot("calendar-month")

    # 4. Drag it to the next day: the move is saved and the calendar reloads itself.
    page.evaluate("document.getElementById('calendar').dataset.stale = 'yes'")
    with page.expect_response(lambda r: "/calendar/move/" in r.url) as moved:
        item.drag_to(cell(page, target), target_position={"x": 20, "y": 40})
    assert moved.value.status == 204
    expect(page.locator("#calendar[data-stale]")).to_have_count(0)  # replaced by the reload
    expect(cell(page, target).locator(f'[data-pk="{task.pk}"]')).to_contain_text(TITLE)
    expect(cell(page, start).locator(f'[data-pk="{task.pk}"]')).to_have_count(0)
    expect(page.locator("#calendar-messages")).to_be_empty()
    task.refresh_from_db()
    reminder.refresh_from_db()
    assert (task.due_date, task.due_time) == (target, due_time)
    assert task.due_at() - reminder.remind_at == NOTICE  # the reminder moved with it
    assert reminder.sent_at is None

    # The week view shows it too, with the deal it is about.
    page.locator("#calendar").get_by_role("link", name="Week").click()
    if not cell(page, target).count():
        page.goto(f"/calendar/?view=week&date={target.isoformat()}")
    expect(page.locator("#calendar h2")).to_contain_text(str(target.year))
    expect(cell(page, target).locator(f'[data-pk="{task.pk}"]')).to_contain_text(TITLE)
    screenshot("calendar-week")

    # 5. Time passes: the reminder is due, the beat job sends it.
    Reminder.objects.filter(pk=reminder.pk).update(remind_at=timezone.now())
    assert len(mail.outbox) == 0
    assert send_due_reminders() == 1
    reminder.refresh_from_db()
    assert reminder.sent_at is not None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [consultant_a.email]
    assert TITLE in email.subject
    assert Notification.objects.get(user=consultant_a, reminder=reminder).read_at is None

    page.reload()
    bell = page.locator("a.bell")
    expect(bell.locator(".bell__count")).to_have_text("1")
    expect(bell).to_contain_text("1 unread notification")
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    note = page.locator("ul.notifications li.is-unread")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(f"Reminder: {TITLE}, due {target:%a} {target.day} {target:%b}")
    expect(note.get_by_role("button", name="10 minutes")).to_be_visible()
    screenshot("calendar-notifications")
    # Sent once: running the job again sends nothing more.
    assert send_due_reminders() == 0
    assert len(mail.outbox) == 1
