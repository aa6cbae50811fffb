"""Tasks, reminders, follow-up digests, the calendar and its iCal feed."""

import datetime as dt
import time
import zoneinfo
from decimal import Decimal

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from circles.decisions import services as logbook
from pipeline.agenda import services
from pipeline.agenda.models import CalendarFeed, DigestSent, Notification, Reminder, Task
from pipeline.services import deal_create
from tests.factories import CircleFactory, join, top_circle

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def today() -> dt.date:
    return timezone.now().astimezone(PARIS).date()


def new_task(user, **data) -> Task:
    data.setdefault("title", "Call back")
    data.setdefault("due_date", today() + dt.timedelta(days=2))
    return services.task_create(data=data, by=user)


@pytest.fixture
def deal(office_a, consultant_a):
    return deal_create(office=office_a, by=consultant_a,
                       data={"title": "LEADERSHIP for Inès", "value": Decimal("6000"),
                             "next_step": "Send the offer",
                             "next_step_date": today() + dt.timedelta(days=3)})


# --- Bad input -------------------------------------------------------------------------------


def test_a_due_date_in_the_past_is_refused(consultant_a):
    with pytest.raises(ValidationError) as error:
        new_task(consultant_a, due_date=today() - dt.timedelta(days=1))
    assert "due_date" in error.value.message_dict
    assert not Task.objects.exists()


def test_a_reminder_after_the_due_time_or_already_past_is_refused(consultant_a):
    data = {"title": "Offer", "due_date": today() + dt.timedelta(days=1),
            "due_time": dt.time(9, 0)}
    with pytest.raises(ValidationError, match="before the due time"):
        services.task_create(data=data, by=consultant_a, remind_before=-30)
    with pytest.raises(ValidationError, match="already passed"):
        services.task_create(data={**data, "due_date": today(), "due_time": dt.time(0, 1)},
                             by=consultant_a, remind_before=0)
    assert not Task.objects.exists() and not Reminder.objects.exists()


def test_an_invalid_repetition_is_refused(consultant_a):
    with pytest.raises(ValidationError) as error:
        new_task(consultant_a, recurrence="FREQ=SOMETIMES")
    assert "recurrence" in error.value.message_dict


def test_the_task_form_keeps_what_was_typed_and_says_what_is_wrong(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:task_create"), {
        "title": "Prepare the workshop", "due_date": "2020-01-01", "priority": "normal"})
    assert response.status_code == 200
    assert "This date has passed" in response.text
    assert 'value="Prepare the workshop"' in response.text


# --- Recurrence, moves, time zones --------------------------------------------------------------


def test_a_done_monthly_task_comes_back_next_month_with_its_reminder(consultant_a):
    start = today() + dt.timedelta(days=3)
    task = services.task_create(
        data={"title": "Monthly report", "due_date": start, "due_time": dt.time(10, 0),
              "recurrence": Task.Repeat.MONTHLY}, by=consultant_a, remind_before=60)
    successor = services.task_complete(task=task, by=consultant_a)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.done_at
    assert successor.previous == task and successor.recurrence == task.recurrence
    assert (successor.due_date.year * 12 + successor.due_date.month) - \
        (start.year * 12 + start.month) == 1
    reminder = successor.reminders.get()
    assert successor.due_at() - reminder.remind_at == dt.timedelta(hours=1)
    assert not task.reminders.filter(sent_at__isnull=True).exists()


def test_moving_a_task_moves_its_reminder(consultant_a):
    task = services.task_create(
        data={"title": "Offer", "due_date": today() + dt.timedelta(days=2),
              "due_time": dt.time(15, 0)}, by=consultant_a, remind_before=15)
    services.task_move(task=task, due_date=today() + dt.timedelta(days=5), by=consultant_a)
    task.refresh_from_db()
    assert task.due_at() - task.reminders.get().remind_at == dt.timedelta(minutes=15)


def test_a_reminder_a_day_before_keeps_the_wall_clock_across_a_dst_change(consultant_a):
    # Paris goes to summer time on 28 March 2027 at 02:00.
    task = services.task_create(
        data={"title": "Workshop", "due_date": dt.date(2027, 3, 28),
              "due_time": dt.time(9, 0)}, by=consultant_a, remind_before=24 * 60)
    reminder = task.reminders.get()
    assert task.due_at().astimezone(dt.UTC) == dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC)
    assert reminder.remind_at == dt.datetime(2027, 3, 27, 8, 0, tzinfo=dt.UTC)
    assert reminder.remind_at.astimezone(PARIS).hour == 9  # 9:00 the day before, local


def test_the_calendar_shows_a_task_in_each_viewers_time_zone(client, consultant_a,
                                                             colleague_a):
    services.task_create(data={"title": "Workshop", "due_date": dt.date(2027, 3, 29),
                               "due_time": dt.time(9, 0), "assignee": consultant_a},
                         by=consultant_a)
    colleague_a.time_zone = "Europe/London"
    colleague_a.save()
    client.force_login(colleague_a)
    page = client.get(reverse("pipeline:calendar"),
                      {"view": "day", "date": "2027-03-29", "person": consultant_a.pk})
    assert "08:00" in page.text and "Workshop" in page.text  # 9:00 in Paris is 8:00 in London


# --- Reminders: exactly once, catching up ---------------------------------------------------------


def test_due_reminders_are_sent_once_even_late_and_can_be_snoozed(consultant_a):
    task = new_task(consultant_a, due_time=dt.time(18, 0))
    reminder = Reminder.objects.create(user=consultant_a, task=task,
                                       remind_at=timezone.now() - dt.timedelta(hours=3))
    Reminder.objects.create(user=consultant_a, text="Later",
                            remind_at=timezone.now() + dt.timedelta(hours=3))
    assert services.reminders_send_due() == 1  # three hours late: caught up
    assert services.reminders_send_due() == 0  # and never again
    assert len(mail.outbox) == 1 and "Call back" in mail.outbox[0].subject
    note = Notification.objects.get(user=consultant_a)
    assert note.url == task.get_absolute_url()
    services.reminder_snooze(reminder=reminder, minutes=10, by=consultant_a)
    reminder.refresh_from_db()
    assert reminder.sent_at is None and reminder.remind_at > timezone.now()
    note.refresh_from_db()
    assert note.read_at is not None


def test_preferences_choose_the_channel(consultant_a):
    services.preferences_save(user=consultant_a, data={"reminder_email": False})
    task = new_task(consultant_a)
    Reminder.objects.create(user=consultant_a, task=task, remind_at=timezone.now())
    services.reminders_send_due()
    assert not mail.outbox
    assert Notification.objects.filter(user=consultant_a).count() == 1


def test_two_worker_processes_send_each_reminder_exactly_once(consultant_a,
                                                             worker_processes):
    """Two Celery worker processes on the real Redis broker, both running the job at once
    several times: each of 40 due reminders is emailed exactly once."""
    from pipeline.tasks import send_due_reminders
    from tests.conftest import emails_in
    from tests.tsgcrm.test_celery_worker import _wait_for

    Reminder.objects.bulk_create([
        Reminder(user=consultant_a, text=f"R{n}", channel=Reminder.Channel.EMAIL,
                 remind_at=timezone.now() - dt.timedelta(minutes=n)) for n in range(40)])
    outbox = worker_processes(2)
    for _ in range(8):
        send_due_reminders.delay()
    assert _wait_for(lambda: not Reminder.objects.filter(sent_at__isnull=True).exists(),
                     seconds=90), "the workers did not send the reminders"
    time.sleep(3)  # the runs still queued find nothing left to send
    assert sorted(emails_in(outbox)) == sorted(f"Reminder: R{n}" for n in range(40))


# --- Follow-up digests ---------------------------------------------------------------------------


def test_the_daily_digest_lists_deals_to_follow_up_once_a_day(consultant_a, office_a):
    from pipeline.models import Deal

    late = deal_create(office=office_a, by=consultant_a,
                       data={"title": "Late deal", "value": Decimal("10")})
    muted = deal_create(office=office_a, by=consultant_a,
                        data={"title": "Muted deal", "value": Decimal("10")})
    stuck = deal_create(office=office_a, by=consultant_a,
                        data={"title": "Stuck deal", "value": Decimal("10")})
    Deal.objects.filter(pk__in=[late.pk, muted.pk]).update(
        next_step_date=today() - dt.timedelta(days=2))
    Deal.objects.filter(pk=stuck.pk).update(
        phase_entered_at=timezone.now() - dt.timedelta(days=400))
    services.deal_mute_nudges(deal=muted, muted=True, by=consultant_a)
    morning = dt.datetime.combine(today(), dt.time(6, 0), tzinfo=PARIS)
    assert services.digests_send(now=morning) == 0  # before the digest hour (7:00)
    later = morning + dt.timedelta(hours=3)
    assert services.digests_send(now=later) == 1
    assert services.digests_send(now=later + dt.timedelta(minutes=15)) == 0
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Late deal" in body and "Stuck deal" in body and "Muted deal" not in body
    assert DigestSent.objects.filter(user=consultant_a).count() == 1


# --- The calendar, moves and scoping ---------------------------------------------


def test_dragging_a_task_and_a_next_step_to_another_day(client, consultant_a, deal):
    task = new_task(consultant_a, deal=deal)
    client.force_login(consultant_a)
    target = today() + dt.timedelta(days=6)
    url = reverse("pipeline:calendar_move")
    response = client.post(url, {"kind": "task", "pk": task.pk, "date": target},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Trigger"] == "calendar-changed"
    task.refresh_from_db()
    assert task.due_date == target
    client.post(url, {"kind": "next_step", "pk": deal.pk, "date": target},
                HTTP_HX_REQUEST="true")
    deal.refresh_from_db()
    assert deal.next_step_date == target
    response = client.post(url, {"kind": "next_step", "pk": deal.pk,
                                 "date": today() - dt.timedelta(days=3)},
                           HTTP_HX_REQUEST="true")
    assert "lies ahead" in response.text and response["HX-Reswap"] == "none"


def test_other_offices_tasks_and_calendars_stay_hidden(client, consultant_a, consultant_b,
                                                       office_b):
    theirs = new_task(consultant_b, title="Secret task of B")
    client.force_login(consultant_a)
    assert client.get(reverse("pipeline:task_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("pipeline:task_status", args=[theirs.pk, "done"])
                       ).status_code == 404
    assert client.get(reverse("pipeline:calendar"), {"person": consultant_b.pk}
                      ).status_code == 404
    assert client.get(reverse("pipeline:calendar"), {"office": office_b.pk},
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar").status_code == 404
    response = client.post(reverse("pipeline:calendar_move"),
                           {"kind": "task", "pk": theirs.pk, "date": today()})
    assert response.status_code == 404
    page = client.get(reverse("pipeline:task_list"), {"scope": "office"})
    assert "Secret task of B" not in page.text
    theirs.refresh_from_db()
    assert theirs.is_open


def test_a_colleague_may_read_but_not_change_my_task(client, consultant_a, colleague_a):
    mine = new_task(consultant_a)
    client.force_login(colleague_a)
    assert client.get(reverse("pipeline:task_edit", args=[mine.pk])).status_code == 200
    assert client.post(reverse("pipeline:task_status", args=[mine.pk, "done"])
                       ).status_code == 403


def test_the_month_view_runs_a_fixed_number_of_queries(client, consultant_a, deal,
                                                       django_assert_max_num_queries):
    for n in range(25):
        new_task(consultant_a, title=f"Task {n}", due_date=today() + dt.timedelta(days=n % 20))
    client.force_login(consultant_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("pipeline:calendar"))
    assert page.text.count('data-kind="task"') >= 1


def test_my_day_on_the_home_page(client, consultant_a, deal):
    new_task(consultant_a, title="Due today", due_date=today())
    new_task(consultant_a, title="Later this week", due_date=today() + dt.timedelta(days=3))
    client.force_login(consultant_a)
    page = client.get(reverse("home"))
    assert "Due today" in page.text and "Later this week" in page.text
    assert "Send the offer" in page.text  # the next step of the deal


# --- The iCal feed ----------------------------------------------------------------


def test_the_feed_holds_exactly_my_items_and_dies_when_revoked(client, consultant_a,
                                                               colleague_a, deal, office_a):
    new_task(consultant_a, title="Mine", due_time=dt.time(10, 30), duration=45)
    new_task(colleague_a, title="Not mine")
    circle = CircleFactory(name="Circle of A", parent=top_circle(), office=office_a)
    join(circle, consultant_a)
    logbook.meeting_create(circle=circle, starts_at=timezone.now() + dt.timedelta(days=1),
                           by=consultant_a)
    feed = services.feed_create(user=consultant_a, scope=CalendarFeed.Scope.ME)
    response = client.get(feed.get_absolute_url())  # no login: the token is the key
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Mine", "Send the offer", "Circle of A"}
    mine = events["Mine"]
    assert mine.decoded("dtend") - mine.decoded("dtstart") == dt.timedelta(minutes=45)
    assert mine.decoded("dtstart").astimezone(PARIS).time() == dt.time(10, 30)
    services.feed_revoke(feed=feed, by=consultant_a)
    assert client.get(feed.get_absolute_url()).status_code == 404
    assert client.get(reverse("pipeline:calendar_feed", args=["not-a-token"])
                      ).status_code == 404


def test_only_office_leads_get_an_office_feed(client, consultant_a, lead_a):
    with pytest.raises(ValidationError):
        services.feed_create(user=consultant_a, scope=CalendarFeed.Scope.OFFICE)
    new_task(consultant_a, title="Office task")
    feed = services.feed_create(user=lead_a, scope=CalendarFeed.Scope.OFFICE)
    calendar = icalendar.Calendar.from_ical(client.get(feed.get_absolute_url()).content)
    assert "Office task" in {str(e["summary"]) for e in calendar.walk("VEVENT")}


def test_a_reminder_goes_out_through_the_worker_on_time(consultant_a):
    """The beat job's task, run as the worker would, sends what has become due."""
    from pipeline.tasks import send_due_reminders

    task = new_task(consultant_a)
    Reminder.objects.create(user=consultant_a, task=task,
                            remind_at=timezone.now() + dt.timedelta(seconds=1))
    assert send_due_reminders() == 0
    time.sleep(1.2)
    assert send_due_reminders() == 1


def test_a_task_added_from_the_calendar_dialog(client, consultant_a):
    client.force_login(consultant_a)
    url = reverse("pipeline:task_create")
    form = client.get(url, {"due_date": today().isoformat()}, HTTP_HX_REQUEST="true")
    assert "<html" not in form.text and 'hx-post="' in form.text
    bad = client.post(url, {"title": "", "due_date": today(), "priority": "normal"},
                      HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "This field is required" in bad.text
    response = client.post(url, {"title": "From the calendar", "due_date": today(),
                                 "priority": "normal"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and "calendar-changed" in response["HX-Trigger"]
    assert Task.objects.get().title == "From the calendar"


def test_my_day_shows_twenty_overdue_tasks_and_says_how_many_more(client, consultant_a):
    today = timezone.localdate()
    Task.objects.bulk_create([
        Task(title=f"Late {n:02}", office=consultant_a.office, assignee=consultant_a,
             created_by=consultant_a, due_date=today - dt.timedelta(days=30 - n))
        for n in range(25)])
    Task.objects.create(title="Due today", office=consultant_a.office, assignee=consultant_a,
                        created_by=consultant_a, due_date=today)
    client.force_login(consultant_a)
    page = client.get(reverse("home")).text
    assert "Late 00" in page and "Late 19" in page and "Late 20" not in page  # oldest first
    assert "and 5 more overdue tasks" in page
    assert "Due today" in page  # today's are not pushed out by the backlog
