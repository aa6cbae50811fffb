"""Tasks, reminders, in-app notifications, notification preferences and calendar feeds.

Times are stored in UTC; a task's due date and time are the assignee's local date and
time (their time zone, or their office's), turned into an instant when needed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from circles.models import Circle, Office

USER = settings.AUTH_USER_MODEL
# What a task line shows beside the title (templates/pipeline/_task_line.html): read with
# the task, not once per line.
# What a task may be about (any of them), and what a task line reads with the task.
TASK_LINKS = ("deal", "person", "organisation", "circle", "enrolment")
TASK_LINE = ("assignee", *TASK_LINKS)


def validate_recurrence(value: str) -> None:
    """An iCalendar RRULE (RFC 5545), e.g. FREQ=MONTHLY;INTERVAL=1."""
    from dateutil.rrule import rrulestr

    if not value:
        return
    try:
        rule = rrulestr(f"RRULE:{value}", dtstart=dt.datetime(2000, 1, 1), forceset=True)
        next(iter(rule), None)
    except (ValueError, TypeError) as error:
        raise ValidationError(_("This repetition is not understood (%(error)s).")
                              % {"error": error}) from error


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user) -> TaskQuerySet:
        """My tasks, and those of the offices I may see (as their deals and contacts)."""
        from circles.models import visible_office_ids

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_network_admin or user.is_superuser:
            return self.all()
        return self.filter(Q(assignee=user) | Q(office_id__in=visible_office_ids(user)))

    def open(self) -> TaskQuerySet:
        return self.filter(status=Task.Status.OPEN)


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    class Repeat(models.TextChoices):
        NONE = "", _("Does not repeat")
        DAILY = "FREQ=DAILY", _("Every day")
        WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", _("Every weekday")
        WEEKLY = "FREQ=WEEKLY", _("Every week")
        MONTHLY = "FREQ=MONTHLY", _("Every month")
        QUARTERLY = "FREQ=MONTHLY;INTERVAL=3", _("Every three months")
        YEARLY = "FREQ=YEARLY", _("Every year")

    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    office = models.ForeignKey(Office, verbose_name=_("office"), related_name="tasks",
                               on_delete=models.PROTECT)
    assignee = models.ForeignKey(USER, verbose_name=_("assigned to"), related_name="tasks",
                                 on_delete=models.PROTECT)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), related_name="+",
                                   on_delete=models.PROTECT)
    due_date = models.DateField(_("due date"))
    due_time = models.TimeField(_("due time"), null=True, blank=True,
                                help_text=_("Empty: any time that day."))
    duration = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)])
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices,
                                default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    recurrence = models.CharField(_("repeats"), max_length=200, blank=True,
                                  validators=[validate_recurrence],
                                  help_text=_("When done, the next one is created."))
    previous = models.OneToOneField("self", null=True, blank=True, related_name="next",
                                    on_delete=models.SET_NULL, editable=False)
    # What the task is about (any of them).
    person = models.ForeignKey("contacts.Person", verbose_name=_("contact"), null=True,
                               blank=True, related_name="tasks", on_delete=models.CASCADE)
    organisation = models.ForeignKey("contacts.Organisation", verbose_name=_("organisation"),
                                     null=True, blank=True, related_name="tasks",
                                     on_delete=models.CASCADE)
    deal = models.ForeignKey("pipeline.Deal", verbose_name=_("deal"), null=True, blank=True,
                             related_name="tasks", on_delete=models.CASCADE)
    circle = models.ForeignKey(Circle, verbose_name=_("circle"), null=True, blank=True,
                               related_name="tasks", on_delete=models.CASCADE)
    enrolment = models.ForeignKey("certification.Enrolment",
                                  verbose_name=_("certification enrolment"), null=True,
                                  blank=True, related_name="tasks", on_delete=models.CASCADE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "due_time", "pk"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"], name="task_by_assignee"),
            models.Index(fields=["office", "status", "due_date"], name="task_by_office"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pipeline:task_edit", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def time_zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.assignee.effective_time_zone)

    def due_at(self) -> dt.datetime:
        """The instant the task is due: its time on its date in the assignee's zone (the
        end of that day when it has no time)."""
        moment = self.due_time or dt.time(23, 59)
        return dt.datetime.combine(self.due_date, moment, tzinfo=self.time_zone())

    def overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.due_date < (today or timezone.localdate())


class Reminder(models.Model):
    """A reminder to one person at one instant, about a task or on its own. Sent exactly
    once by the beat job (sent_at is set in the transaction that claims it)."""

    class Channel(models.TextChoices):
        BOTH = "both", _("Email and in the app")
        EMAIL = "email", _("Email")
        APP = "app", _("In the app")

    user = models.ForeignKey(USER, verbose_name=_("for"), related_name="reminders",
                             on_delete=models.CASCADE)
    task = models.ForeignKey(Task, null=True, blank=True, related_name="reminders",
                             on_delete=models.CASCADE)
    text = models.CharField(_("reminder"), max_length=200, blank=True)
    remind_at = models.DateTimeField(_("remind at"))
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices,
                               default=Channel.BOTH)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    snoozes = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["remind_at"]
        indexes = [models.Index(fields=["remind_at"], condition=Q(sent_at__isnull=True),
                                name="reminder_due")]

    def __str__(self) -> str:
        return self.text or str(self.task or "")

    @property
    def label(self) -> str:
        return self.text or (self.task.title if self.task_id else "")


class Notification(models.Model):
    """An in-app notification, shown under the bell until read."""

    user = models.ForeignKey(USER, related_name="notifications", on_delete=models.CASCADE)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    reminder = models.OneToOneField(Reminder, null=True, blank=True, related_name="+",
                                    on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"],
                                name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class NotificationPreferences(models.Model):
    user = models.OneToOneField(USER, related_name="notification_preferences",
                                on_delete=models.CASCADE)
    reminder_email = models.BooleanField(_("task reminders by email"), default=True)
    reminder_app = models.BooleanField(_("task reminders in the app"), default=True)
    digest = models.BooleanField(_("daily digest of my deals to follow up"), default=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), default=7, validators=[MaxValueValidator(23)],
        help_text=_("In your time zone."))

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class DigestSent(models.Model):
    """One follow-up digest per person and day, whoever runs the job and how often."""

    user = models.ForeignKey(USER, related_name="+", on_delete=models.CASCADE)
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A private, revocable iCalendar feed: the token is the only key."""

    class Scope(models.TextChoices):
        ME = "me", _("My calendar")
        OFFICE = "office", _("My office's calendar")

    user = models.ForeignKey(USER, related_name="calendar_feeds", on_delete=models.CASCADE)
    scope = models.CharField(_("calendar"), max_length=6, choices=Scope.choices,
                             default=Scope.ME)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_scope_display()}"

    def get_absolute_url(self) -> str:
        return reverse("pipeline:calendar_feed", args=[self.token])


__all__ = ["CalendarFeed", "DigestSent", "Notification", "NotificationPreferences", "Reminder",
           "Task"]
