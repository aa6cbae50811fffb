"""Tasks, the calendar, notifications, notification settings and the iCal feed."""

from __future__ import annotations

import calendar as cal
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from certification.permissions import enrolments_visible_to
from circles.models import Circle, Office, User, visible_office_ids
from contacts.models import Organisation, Person
from tsgcrm.forms import add_service_errors
from tsgcrm.http import next_on_site
from tsgcrm.pagination import Paginator

from . import services
from .forms import FeedForm, PreferencesForm, ReminderForm, TaskForm, TaskMoveForm
from .ical import feed_calendar
from .models import (
    TASK_LINE,
    CalendarFeed,
    Notification,
    NotificationPreferences,
    Reminder,
    Task,
)
from .selectors import (
    STEPS_PER_DAY,
    calendar_items,
    feed_items,
    next_steps_per_day,
    office_people,
)


def _links(user: User) -> dict:
    """What a task may be about: records the person may see."""
    from pipeline.models import Deal

    return {"deal": Deal.objects.visible_to(user), "person": Person.objects.visible_to(user),
            "organisation": Organisation.objects.visible_to(user),
            "circle": Circle.objects.visible_to(user),
            "enrolment": enrolments_visible_to(user)}


def _get_task_for_user(request: HttpRequest, pk: int) -> Task:
    return get_object_or_404(Task.objects.visible_to(request.user)
                             .select_related(*TASK_LINE, "assignee__office"), pk=pk)


def _may_change(user: User, task: Task) -> bool:
    return (task.assignee_id == user.pk or task.created_by_id == user.pk
            or user.is_network_admin or user.is_superuser
            or (user.is_office_lead and task.office_id in visible_office_ids(user)))


# --- Tasks ------------------------------------------------------------------------------------


def _render_task_list(request: HttpRequest, reminder_form: ReminderForm) -> HttpResponse:
    scope = request.GET.get("scope", "me")
    status = request.GET.get("status", Task.Status.OPEN)
    tasks = Task.objects.visible_to(request.user).select_related(*TASK_LINE)
    if scope != "office":
        tasks = tasks.filter(assignee=request.user)
    if status in Task.Status.values:
        tasks = tasks.filter(status=status)
    page = Paginator(tasks.order_by("due_date", "due_time", "pk"), 30).get_page(
        request.GET.get("page"))
    return render(request, "pipeline/task_list.html", {
        "page": page, "scope": scope, "status": status, "statuses": Task.Status.choices,
        "today": services.local_today(request.user), "reminder_form": reminder_form,
        "reminders": Reminder.objects.filter(user=request.user, sent_at__isnull=True,
                                             task__isnull=True)[:10]})


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    return _render_task_list(request, ReminderForm())


@login_required
@vary_on_headers("HX-Request")
def task_create(request: HttpRequest) -> HttpResponse:
    if request.user.office_id is None:
        raise PermissionDenied(_("Only people who work in an office keep tasks."))
    links = _links(request.user)
    initial = {"due_date": request.GET.get("due_date") or services.local_today(request.user),
               "assignee": request.user.pk}
    for name in links:
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
            if name == "deal" and not request.GET.get("title"):
                deal = links["deal"].filter(pk=request.GET[name]).first()
                if deal is not None and deal.next_step:
                    initial["title"] = deal.next_step
    form = TaskForm(request.POST or None, people=office_people(request.user), links=links,
                    initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        remind = data.pop("remind_before")
        try:
            task = services.task_create(data=data, by=request.user, remind_before=remind)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:  # added from the calendar's dialog
                response = HttpResponse(status=204)
                response["HX-Trigger"] = "calendar-changed, task-added"
                return response
            messages.success(request, _("Task “%(task)s” added.") % {"task": task})
            return redirect(next_on_site(request, task.deal.get_absolute_url() if task.deal
                                  else "pipeline:task_list"))
    template = "pipeline/task_form.html"
    if request.htmx:
        template += "#task-form"
    return render(request, template, {"form": form, "task": None, "in_dialog": request.htmx,
                                      "next": next_on_site(request, "")})


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task_for_user(request, pk)
    editable = _may_change(request.user, task) and task.is_open
    form = TaskForm(request.POST or None, instance=task, people=office_people(request.user),
                    links=_links(request.user))
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            remind = data.pop("remind_before")
            try:
                services.task_update(task=task, data=data, by=request.user,
                                     remind_before=remind)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Task saved."))
                return redirect(next_on_site(request, "pipeline:task_list"))
    return render(request, "pipeline/task_form.html", {
        "form": form, "task": task, "editable": editable, "next": next_on_site(request, ""),
        "history": task.history.select_related("history_user")[:20]})


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = _get_task_for_user(request, pk)
    if not _may_change(request.user, task):
        raise PermissionDenied
    try:
        if action == "done":
            successor = services.task_complete(task=task, by=request.user)
            text = _("Done: “%(task)s”.") % {"task": task}
            if successor is not None:
                text += " " + _("Next one on %(date)s.") % {"date": successor.due_date}
        elif action == "cancel":
            services.task_cancel(task=task, by=request.user)
            text = _("Cancelled: “%(task)s”.") % {"task": task}
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, text)
    return redirect(next_on_site(request, "pipeline:task_list"))


@login_required
@require_POST
def reminder_add(request: HttpRequest) -> HttpResponse:
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            services.reminder_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Reminder set."))
            return redirect("pipeline:task_list")
    return _render_task_list(request, form)  # the list as before, the errors in the form


# --- The calendar -----------------------------------------------------------------------------


def _calendar_scope(request: HttpRequest) -> tuple[list[int] | None, Office | None, User | None]:
    """Whose calendar: mine, a colleague's (one I may see), or an office's."""
    office_id = request.GET.get("office", "")
    if office_id.isdigit():
        office = Office.objects.visible_to(request.user).filter(pk=office_id).first()
        if office is None:
            raise Http404
        return None, office, None
    person_id = request.GET.get("person", "")
    if person_id.isdigit() and int(person_id) != request.user.pk:
        person = office_people(request.user).filter(pk=person_id).first()
        if person is None:
            raise Http404
        return [person.pk], None, person
    return [request.user.pk], None, request.user


def _parse_day(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return default


@login_required
@vary_on_headers("HX-Request")
def calendar_view(request: HttpRequest) -> HttpResponse:
    today = services.local_today(request.user)
    view = request.GET.get("view", "month")
    if view not in ("month", "week", "day"):
        view = "month"
    day = _parse_day(request.GET.get("date", ""), today)
    people, office, person = _calendar_scope(request)
    if view == "month":
        first = day.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        last = day.replace(day=cal.monthrange(day.year, day.month)[1])
        end = last + dt.timedelta(days=6 - last.weekday())
        previous, following = (first - dt.timedelta(days=1)).replace(day=1), \
            last + dt.timedelta(days=1)
    elif view == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=6)
        previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    else:
        start = end = day
        previous, following = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    items = calendar_items(request.user, start=start, end=end, people=people,
                           office_id=office.pk if office else None)
    by_day: dict[dt.date, list] = {}
    for item in items:
        by_day.setdefault(item.day, []).append(item.html(details=view != "month"))
    by_day = {d: mark_safe("".join(entries))  # noqa: S308 - escaped by Item.html
              for d, entries in by_day.items()}
    steps = next_steps_per_day(request.user, start=start, end=end, people=people,
                               office_id=office.pk if office else None)
    more = {d: n - STEPS_PER_DAY for d, n in steps.items() if n > STEPS_PER_DAY}
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    cells = [(d, d.isoformat(), by_day.get(d, ""), more.get(d, 0)) for d in days]
    weeks = [cells[n:n + 7] for n in range(0, len(cells), 7)]
    query = request.GET.copy()
    for key in ("date", "view"):
        query.pop(key, None)
    context = {
        "view": view, "day": day, "today": today, "weeks": weeks,
        "days": cells, "previous": previous,
        "following": following, "person": person, "office": office,
        "people": office_people(request.user), "query": query.urlencode(),
        "offices": Office.objects.visible_to(request.user).order_by("name"),
        "weekdays": days[:7],
    }
    template = "pipeline/calendar.html"
    if request.htmx and request.htmx.target == "calendar":
        template += "#calendar"
    return render(request, template, context)


@login_required
@require_POST
def calendar_move(request: HttpRequest) -> HttpResponse:
    """Dropping an item on another day (htmx), or the same as a plain form."""
    from pipeline.models import Deal
    from pipeline.services import deal_next_step_move

    form = TaskMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a day."), status=400)
    data = form.cleaned_data
    try:
        if data["kind"] == "task":
            task = _get_task_for_user(request, data["pk"])
            if not _may_change(request.user, task):
                raise PermissionDenied
            services.task_move(task=task, due_date=data["date"], by=request.user)
        else:
            deal = get_object_or_404(Deal.objects.visible_to(request.user), pk=data["pk"])
            deal_next_step_move(deal=deal, date=data["date"], by=request.user)
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            response = HttpResponse(message, status=200)
            response["HX-Reswap"] = "none"
            response["HX-Trigger"] = "calendar-error"
            return response
        messages.error(request, message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = "calendar-changed"
        return response
    return redirect(next_on_site(request, "pipeline:calendar"))


# --- Notifications, settings and feeds -----------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user).select_related("reminder")
    if request.method == "POST":
        items.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("pipeline:notifications")
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "pipeline/notifications.html", {"page": page})


@login_required
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread count, loaded after the page (so pages pay nothing for it)."""
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "pipeline/_bell.html", {"unread": unread})


@login_required
@require_POST
def notification_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Notification, pk=pk, user=request.user, reminder__isnull=False)
    try:
        services.reminder_snooze(reminder=note.reminder, by=request.user,
                                 minutes=int(request.POST.get("minutes", "0") or 0))
    except (ValidationError, ValueError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Snoozed."))
    return redirect(next_on_site(request, "pipeline:notifications"))


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs = NotificationPreferences.objects.filter(user=request.user).first() \
        or NotificationPreferences(user=request.user)
    form = PreferencesForm(request.POST if request.POST.get("form") == "prefs" else None,
                           instance=prefs)
    feed_form = FeedForm(request.POST if request.POST.get("form") == "feed" else None,
                         user=request.user)
    if request.method == "POST":
        if request.POST.get("form") == "prefs" and form.is_valid():
            services.preferences_save(user=request.user, data=form.cleaned_data)
            messages.success(request, _("Notification settings saved."))
            return redirect("pipeline:notification_settings")
        if request.POST.get("form") == "feed" and feed_form.is_valid():
            try:
                services.feed_create(user=request.user, scope=feed_form.cleaned_data["scope"])
            except ValidationError as error:
                add_service_errors(feed_form, error)
            else:
                messages.success(request, _("Calendar link created: add it to your calendar "
                                            "app as a subscription."))
                return redirect("pipeline:notification_settings")
        if request.POST.get("form") == "revoke":
            feed = get_object_or_404(CalendarFeed, pk=request.POST.get("feed") or 0,
                                     user=request.user)
            services.feed_revoke(feed=feed, by=request.user)
            messages.success(request, _("Calendar link revoked: it no longer works."))
            return redirect("pipeline:notification_settings")
    return render(request, "pipeline/notification_settings.html", {
        "form": form, "feed_form": feed_form,
        "feeds": CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True)})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCal feed: the token is the key; a wrong or revoked one is a plain 404
    that says nothing about why."""
    feed = (CalendarFeed.objects.filter(token=token, revoked_at__isnull=True,
                                        user__is_active=True)
            .select_related("user", "user__office").first())
    if feed is None:
        raise Http404
    timezone.activate(feed.user.effective_time_zone)
    name = _("tsgcrm · %(who)s") % {"who": feed.user.office if feed.scope == "office"
                                    else feed.user}
    response = HttpResponse(feed_calendar(feed_items(feed), name=name),
                            content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def deal_nudges(request: HttpRequest, pk: int) -> HttpResponse:
    from pipeline.models import Deal

    deal = get_object_or_404(Deal.objects.visible_to(request.user), pk=pk)
    muted = request.POST.get("muted") == "1"
    services.deal_mute_nudges(deal=deal, muted=muted, by=request.user)
    messages.success(request, _("This deal is left out of your daily digest.") if muted
                     else _("This deal is back in your daily digest."))
    return redirect(deal)
