"""Writes of tasks, reminders and feeds, and the two jobs that send reminders and digests."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from circles.models import User
from tsgcrm.outbox import FAILED, RETRY, SENT, Outbox

from .models import (
    TASK_LINKS,
    CalendarFeed,
    DigestSent,
    Notification,
    NotificationPreferences,
    Reminder,
    Task,
)

log = logging.getLogger(__name__)

TASK_FIELDS = ("title", "notes", "due_date", "due_time", "duration", "assignee", "priority",
               "recurrence", *TASK_LINKS)


def local_today(user: User) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(user.effective_time_zone)).date()


def preferences(user: User) -> NotificationPreferences:
    """The person's choices, or the defaults when they never changed them (read once per
    user instance; the jobs load them with the user)."""
    try:
        return user.notification_preferences
    except NotificationPreferences.DoesNotExist:
        return NotificationPreferences(user=user)


def _check_task(task: Task, *, creating: bool) -> None:
    errors: dict[str, str] = {}
    if task.assignee_id and task.assignee.office_id is None:
        errors["assignee"] = _("Tasks go to people who work in an office.")
    if creating and task.due_date and task.assignee_id \
            and task.due_date < local_today(task.assignee):
        errors["due_date"] = _("This date has passed: choose today or a later day.")
    if task.duration and not task.due_time:
        errors["duration"] = _("A duration needs a time of day.")
    if errors:
        raise ValidationError(errors)
    task.full_clean(exclude=["office", "assignee", "created_by"])


def _reminder_for(task: Task, minutes_before: int, by: User) -> Reminder:
    if minutes_before < 0:
        raise ValidationError({"remind_before": _("A reminder comes before the due time, "
                                                  "not after it.")})
    remind_at = task.due_at() - timedelta(minutes=minutes_before)
    if remind_at <= timezone.now():
        raise ValidationError({"remind_before": _("That moment has already passed: choose "
                                                  "a shorter notice or a later due time.")})
    return Reminder.objects.create(user=task.assignee, task=task, remind_at=remind_at)


@transaction.atomic
def task_create(*, data: dict, by: User, remind_before: int | None = None) -> Task:
    task = Task(created_by=by, **{k: v for k, v in data.items() if k in TASK_FIELDS})
    if task.assignee_id is None:
        task.assignee = by
    task.office_id = task.assignee.office_id
    _check_task(task, creating=True)
    task._history_user = by
    task.save()
    if remind_before is not None:
        _reminder_for(task, remind_before, by)
    return task


@transaction.atomic
def task_update(*, task: Task, data: dict, by: User, remind_before: int | None = None) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    old_due = task.due_at()
    for name, value in data.items():
        if name in TASK_FIELDS:
            setattr(task, name, value)
    task.office_id = task.assignee.office_id
    _check_task(task, creating=False)
    task._history_user = by
    task.save()
    _follow_due(task, old_due)
    if remind_before is not None:
        task.reminders.filter(sent_at__isnull=True).delete()
        _reminder_for(task, remind_before, by)
    return task


def _follow_due(task: Task, old_due: dt.datetime) -> None:
    """Reminders not yet sent keep their notice when the task moves."""
    shift = task.due_at() - old_due
    if shift:
        for reminder in task.reminders.filter(sent_at__isnull=True):
            reminder.remind_at += shift
            reminder.user_id = task.assignee_id
            reminder.save(update_fields=["remind_at", "user"])


@transaction.atomic
def task_move(*, task: Task, due_date: dt.date, by: User,
              due_time: dt.time | None | str = "keep") -> Task:
    """Move a task to another day (and time), e.g. by dragging it in the calendar."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task.is_open:
        raise ValidationError(_("Only an open task can be moved."))
    old_due = task.due_at()
    task.due_date = due_date
    if due_time != "keep":
        task.due_time = due_time
    task._history_user = by
    task.save(update_fields=["due_date", "due_time", "updated_at"])
    _follow_due(task, old_due)
    return task


def next_occurrence(task: Task) -> dt.date | None:
    from dateutil.rrule import rrulestr

    start = dt.datetime.combine(task.due_date, dt.time())
    rule = rrulestr(f"RRULE:{task.recurrence}", dtstart=start)
    following = rule.after(start, inc=False)
    return following.date() if following else None


@transaction.atomic
def task_complete(*, task: Task, by: User) -> Task | None:
    """Mark done; a repeating task gets its next occurrence (returned), with its reminder
    at the same notice."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task.is_open:
        raise ValidationError(_("This task is already %(status)s.")
                              % {"status": task.get_status_display().lower()})
    task.status = Task.Status.DONE
    task.done_at = timezone.now()
    task._history_user = by
    task.save(update_fields=["status", "done_at", "updated_at"])
    notices = [task.due_at() - r.remind_at for r in task.reminders.order_by("-pk")[:1]]
    task.reminders.filter(sent_at__isnull=True).delete()
    if not task.recurrence:
        return None
    following = next_occurrence(task)
    if following is None:
        return None
    successor = Task.objects.create(
        title=task.title, notes=task.notes, office=task.office, assignee=task.assignee,
        created_by=by, due_date=following, due_time=task.due_time, duration=task.duration,
        priority=task.priority, recurrence=task.recurrence, previous=task,
        **{f"{name}_id": getattr(task, f"{name}_id") for name in TASK_LINKS})
    for notice in notices:
        remind_at = successor.due_at() - notice
        if remind_at > timezone.now():
            Reminder.objects.create(user=successor.assignee, task=successor,
                                    remind_at=remind_at)
    return successor


@transaction.atomic
def task_cancel(*, task: Task, by: User) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task.is_open:
        raise ValidationError(_("This task is already %(status)s.")
                              % {"status": task.get_status_display().lower()})
    task.status = Task.Status.CANCELLED
    task._history_user = by
    task.save(update_fields=["status", "updated_at"])
    task.reminders.filter(sent_at__isnull=True).delete()
    return task


@transaction.atomic
def reminder_create(*, user: User, remind_at: dt.datetime, text: str = "",
                    channel: str = Reminder.Channel.BOTH) -> Reminder:
    """A reminder of its own (not about a task)."""
    if remind_at <= timezone.now():
        raise ValidationError({"remind_at": _("That moment has already passed.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what to remind you of.")})
    return Reminder.objects.create(user=user, remind_at=remind_at, text=text.strip(),
                                   channel=channel)


SNOOZES = (10, 60, 24 * 60)


@transaction.atomic
def reminder_snooze(*, reminder: Reminder, minutes: int, by: User) -> Reminder:
    reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if minutes not in SNOOZES:
        raise ValidationError(_("Snooze for 10 minutes, an hour or a day."))
    if reminder.sent_at is None:
        raise ValidationError(_("This reminder has not been sent yet."))
    reminder.remind_at = timezone.now() + timedelta(minutes=minutes)
    reminder.sent_at = None
    reminder.snoozes += 1
    reminder.save(update_fields=["remind_at", "sent_at", "snoozes"])
    Notification.objects.filter(reminder=reminder, read_at__isnull=True).update(
        read_at=timezone.now())
    return reminder


# --- The jobs ----------------------------------------------------------------------------------


def _reminder_email(reminder: Reminder) -> tuple[str, EmailMessage | None, bool]:
    """A reminder's text, its email (None when it goes to the app only) and whether it
    goes to the app too, as the person's preferences say."""
    user = reminder.user
    prefs = preferences(user)
    task = reminder.task
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if task:
            local = task.due_at().astimezone(zoneinfo.ZoneInfo(user.effective_time_zone))
            text = _("Reminder: %(task)s, due %(when)s") % {
                "task": task.title,
                "when": date_format(local, "D j M, H:i") if task.due_time
                else date_format(task.due_date, "D j M")}
        else:
            text = _("Reminder: %(text)s") % {"text": reminder.text}
        app = reminder.channel in (Reminder.Channel.APP, Reminder.Channel.BOTH) \
            and (prefs.reminder_app or not task)
        email = None
        if reminder.channel in (Reminder.Channel.EMAIL, Reminder.Channel.BOTH) \
                and (prefs.reminder_email or not task) and user.email:
            body = render_to_string("pipeline/email/reminder.txt", {
                "text": text, "task": task, "site_url": settings.SITE_URL, "user": user})
            email = EmailMessage(subject=text[:150], body=body, to=[user.email])
    return text, email, app


def _mark_sent(reminder: Reminder, text: str, app: bool):
    """The mark the outbox makes at the hand-over: the reminder sent (only if nobody sent
    it meanwhile: a fence between workers) and its notification in the app."""
    def mark() -> bool:
        if not Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(
                sent_at=timezone.now()):
            return False
        if app:
            Notification.objects.update_or_create(reminder=reminder, defaults={
                "user": reminder.user, "text": text[:300], "read_at": None,
                "url": reminder.task.get_absolute_url() if reminder.task else ""})
        return True
    return mark


def reminders_send_due(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Send every reminder whose time has come, however late (after downtime too), each
    exactly once, even when a worker is killed in the middle or two run at once: the
    outbox marks a reminder sent in the transaction that ends the email's hand-over
    (tsgcrm/outbox.py), and only if it is still unsent. An email the server refuses for
    now is tried again on the next run; one it refuses for good is marked sent (and
    logged) rather than tried every minute for ever."""
    outbox = Outbox()
    sent, skipped = 0, set()
    try:
        while True:
            due = list(Reminder.objects.filter(sent_at__isnull=True,
                                               remind_at__lte=now or timezone.now())
                       .exclude(pk__in=skipped)
                       .select_related("user", "user__office",
                                       "user__notification_preferences", "task",
                                       "task__assignee", "task__assignee__office")
                       .order_by("remind_at")[:batch])
            for reminder in due:
                text, email, app = _reminder_email(reminder)
                mark = _mark_sent(reminder, text, app)
                if email is None:
                    with transaction.atomic():
                        sent += mark()
                    continue
                outcome = outbox.send(email, mark)
                if outcome.result == SENT:
                    sent += 1
                elif outcome.result == FAILED:
                    log.warning("reminder %s refused for good: %s", reminder.pk,
                                outcome.error)
                    with transaction.atomic():
                        mark()
                elif outcome.result == RETRY:
                    if not outbox.smtp:  # marked before a call that failed: undo
                        Reminder.objects.filter(pk=reminder.pk).update(sent_at=None)
                    skipped.add(reminder.pk)  # the next run tries it again
            if len(due) < batch:
                return sent
    finally:
        outbox.close()


def follow_ups(user: User, today: dt.date | None = None):
    """The deals a consultant should follow up: next step date passed, or longer in their
    phase than the phase's expected days. Muted deals are left out."""
    from pipeline.models import Deal
    from pipeline.selectors import phase_setup

    today = today or local_today(user)
    now = timezone.now()
    deals = (Deal.objects.filter(owner=user, status=Deal.Status.OPEN, nudges_muted=False)
             .select_related("phase", "person", "organisation"))
    stuck = Q()
    for phase in (p for p in phase_setup()[0] if p.expected_days > 0):
        stuck |= Q(phase=phase, phase_entered_at__lt=now - timedelta(days=phase.expected_days))
    overdue = list(deals.filter(next_step_date__lt=today).order_by("next_step_date")[:50])
    lingering = list(deals.filter(stuck).exclude(pk__in=[d.pk for d in overdue])
                     .order_by("phase_entered_at")[:50]) if stuck else []
    return overdue, lingering


def digests_send(*, now: dt.datetime | None = None) -> int:
    """One email per consultant and day listing the deals to follow up, sent at (or, after
    downtime, after) their digest hour in their time zone. Exactly once: the DigestSent row
    is inserted in the transaction that sends."""
    now = now or timezone.now()
    sent = 0
    people = (User.objects.filter(is_active=True, is_consultant=True).exclude(email="")
              .select_related("office", "notification_preferences"))
    for user in people:
        prefs = preferences(user)
        if not prefs.digest:
            continue
        local = now.astimezone(zoneinfo.ZoneInfo(user.effective_time_zone))
        if local.hour < prefs.digest_hour:
            continue
        if DigestSent.objects.filter(user=user, day=local.date()).exists():
            continue
        overdue, lingering = follow_ups(user, local.date())
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, day=local.date())
                if overdue or lingering:
                    with translation.override(user.language or settings.LANGUAGE_CODE):
                        body = render_to_string("pipeline/email/digest.txt", {
                            "user": user, "overdue": overdue, "lingering": lingering,
                            "site_url": settings.SITE_URL, "today": local.date()})
                        EmailMessage(
                            subject=_("%(count)s deals to follow up today")
                            % {"count": len(overdue) + len(lingering)},
                            body=body, to=[user.email]).send()
                    sent += 1
        except IntegrityError:
            continue  # another process sent it meanwhile
    return sent


@transaction.atomic
def deal_mute_nudges(*, deal, muted: bool, by: User):
    from pipeline.models import Deal

    Deal.objects.filter(pk=deal.pk).update(nudges_muted=muted)
    deal.nudges_muted = muted
    return deal


@transaction.atomic
def preferences_save(*, user: User, data: dict) -> NotificationPreferences:
    prefs, _created = NotificationPreferences.objects.get_or_create(user=user)
    for name, value in data.items():
        setattr(prefs, name, value)
    prefs.full_clean(exclude=["user"])
    prefs.save()
    return prefs


@transaction.atomic
def feed_create(*, user: User, scope: str) -> CalendarFeed:
    if scope == CalendarFeed.Scope.OFFICE and not (user.is_office_lead
                                                  or user.is_network_admin):
        raise ValidationError(_("Office calendars are for office leads."))
    return CalendarFeed.objects.create(user=user, scope=scope)


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed, by: User) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed
