"""The newsletter pages, for office leads (their office and sub-offices) and network
admins: segments with a live count, newsletters with their language versions, preview,
test send, scheduling, pause/resume/cancel, and the statistics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.models import Office, User
from contacts.models import Person
from pipeline.reports import charts
from tsgcrm.forms import add_service_errors

from . import services
from .forms import (
    NewsletterForm,
    PreviewForm,
    ScheduleForm,
    SegmentForm,
    SenderForm,
    VersionFormSet,
    office_languages,
)
from .models import Newsletter, Segment, Sender


def can_manage(user: User) -> bool:
    return user.is_active and (user.is_office_lead or user.is_network_admin
                               or user.is_superuser)


def _offices(user: User):
    if not can_manage(user):
        raise PermissionDenied(_("Newsletters are for office leads."))
    return Office.objects.visible_to(user)


def _segment(user: User, pk: int) -> Segment:
    segment = get_object_or_404(Segment.objects.select_related("office"), pk=pk,
                                office__in=_offices(user))
    if segment.whole_network and not (user.is_network_admin or user.is_superuser):
        raise Http404
    return segment


def _newsletter(user: User, pk: int) -> Newsletter:
    return get_object_or_404(Newsletter.objects.select_related("office", "segment"), pk=pk,
                             office__in=_offices(user))


@login_required
def newsletter_list(request: HttpRequest) -> HttpResponse:
    offices = _offices(request.user)
    newsletters = (Newsletter.objects.filter(office__in=offices)
                   .select_related("office", "segment").order_by("-created_at"))
    status = request.GET.get("status", "")
    if status in Newsletter.Status.values:
        newsletters = newsletters.filter(status=status)
    page = Paginator(newsletters, 25).get_page(request.GET.get("page"))
    figures = services.list_figures([n.pk for n in page.object_list])
    return render(request, "newsletters/newsletter_list.html", {
        "page": page, "rows": [(n, figures.get(n.pk)) for n in page.object_list],
        "status": status, "statuses": Newsletter.Status.choices,
        "sender_office": request.user.office_id or offices.values_list("pk", flat=True).first()})


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    offices = _offices(request.user)
    segments = Segment.objects.filter(office__in=offices).select_related("office")
    if not (request.user.is_network_admin or request.user.is_superuser):
        segments = segments.filter(whole_network=False)
    rows = [(s, services.segment_counts(services.criteria_of(s))) for s in segments]
    return render(request, "newsletters/segment_list.html", {"rows": rows})


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    form = SegmentForm(request.POST or None, instance=segment, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            if saved.created_by_id is None:
                saved.created_by = request.user
            saved.save()
            form.save_m2m()
        messages.success(request, _("Segment saved."))
        return redirect("newsletters:segment_edit", saved.pk)
    counts = None
    criteria = form.criteria() if form.is_bound else (
        services.criteria_of(segment) if segment else None)
    if criteria and criteria.get("office"):
        counts = services.segment_counts(criteria)
    return render(request, "newsletters/segment_form.html", {
        "form": form, "segment": segment, "counts": counts,
        "stats": services.segment_stats(segment) if segment else []})


@login_required
def segment_create(request: HttpRequest) -> HttpResponse:
    _offices(request.user)
    return _segment_form(request, None)


@login_required
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _segment_form(request, _segment(request.user, pk))


@login_required
@require_POST
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count while a segment is edited (an htmx fragment)."""
    _offices(request.user)
    form = SegmentForm(request.POST, user=request.user)
    criteria = form.criteria()
    counts = services.segment_counts(criteria) if criteria and criteria.get("office") else None
    return render(request, "newsletters/_segment_count.html", {"counts": counts})


def _newsletter_form(request: HttpRequest, newsletter: Newsletter | None) -> HttpResponse:
    if newsletter and not newsletter.editable:
        messages.error(request, _("A newsletter that is being sent or was sent cannot be "
                                  "changed."))
        return redirect(newsletter)
    form = NewsletterForm(request.POST or None, instance=newsletter, user=request.user)
    initial = []
    if newsletter is None:
        office = Office.objects.filter(pk=request.user.office_id).first()
        initial = [{"language": code} for code in office_languages(office)]
    formset = VersionFormSet(request.POST or None, instance=newsletter or Newsletter(),
                             prefix="versions", initial=initial)
    if newsletter is None:
        formset.extra = len(initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            if saved.created_by_id is None:
                saved.created_by = request.user
            saved.save()
            formset.instance = saved
            formset.save()
        messages.success(request, _("Newsletter saved. Preview it and send yourself a test."))
        return redirect(saved)
    return render(request, "newsletters/newsletter_form.html", {
        "form": form, "formset": formset, "newsletter": newsletter,
        "placeholders": ["{{ first_name }}", '{{ first_name|default:"friend" }}']})


@login_required
def newsletter_create(request: HttpRequest) -> HttpResponse:
    _offices(request.user)
    return _newsletter_form(request, None)


@login_required
def newsletter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _newsletter_form(request, _newsletter(request.user, pk))


def _detail_context(newsletter: Newsletter, schedule_form: ScheduleForm) -> dict:
    context = {"newsletter": newsletter, "versions": newsletter.versions.all(),
               "schedule_form": schedule_form}
    if newsletter.editable:
        context["problems"] = services.newsletter_problems(newsletter)
        context["counts"] = services.segment_counts(services.criteria_of(newsletter.segment))
    if newsletter.started_at:
        stats = services.newsletter_stats(newsletter)
        context["stats"] = stats
        context["chart"] = charts.column_chart(
            ident="opens", title=_("Opens per day"),
            columns=[(f"{row['day']:%d/%m}", row["opens"], str(row["opens"]))
                     for row in stats["by_day"]]) if stats["by_day"] else None
    return context


@login_required
def newsletter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = _newsletter(request.user, pk)
    if request.htmx and request.GET.get("part") == "progress":
        # Polled every few seconds while it sends: the figures alone.
        return render(request, "newsletters/newsletter_detail.html#progress", {
            "newsletter": newsletter,
            "stats": services.newsletter_figures(newsletter) if newsletter.started_at
            else None})
    return render(request, "newsletters/newsletter_detail.html",
                  _detail_context(newsletter, ScheduleForm(newsletter=newsletter)))


@login_required
@require_POST
def newsletter_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = _newsletter(request.user, pk)
    form = ScheduleForm(request.POST, newsletter=newsletter)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.newsletter_schedule(
                newsletter=newsletter,
                send_at=data["send_at"] if data["when"] == "later" else None,
                send_at_b=data.get("send_at_b"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Newsletter scheduled.") if data["when"] == "later"
                             else _("Sending has started."))
            return redirect(newsletter)
    newsletter.refresh_from_db()
    return render(request, "newsletters/newsletter_detail.html",
                  _detail_context(newsletter, form), status=400)


def _action(service, done: str):
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        newsletter = _newsletter(request.user, pk)
        try:
            service(newsletter=newsletter)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return redirect(newsletter)
    return view


newsletter_pause = _action(services.newsletter_pause, _("Sending paused."))
newsletter_resume = _action(services.newsletter_resume, _("Sending resumed where it stopped."))
newsletter_cancel = _action(services.newsletter_cancel, _("Newsletter cancelled."))
newsletter_unschedule = _action(services.newsletter_unschedule, _("Back to draft."))


def _preview_people(newsletter: Newsletter):
    return (services.segment_people(services.criteria_of(newsletter.segment))
            .order_by("last_name", "first_name", "pk"))


@login_required
def newsletter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = _newsletter(request.user, pk)
    people = _preview_people(newsletter)
    form = PreviewForm(request.GET or None, newsletter=newsletter,
                       people=Person.objects.filter(pk__in=list(
                           people.values_list("pk", flat=True)[:100])))
    shown, error = None, None
    language = newsletter.language
    person, variant = None, ""
    if form.is_bound and form.is_valid():
        language = form.cleaned_data["language"]
        person, variant = form.cleaned_data["person"], form.cleaned_data.get("variant", "")
    try:
        shown = services.preview(newsletter, language=language,
                                 reader=services.reader_of(person, request.user),
                                 variant=variant)
    except ValidationError as problem:
        error = problem.messages
    return render(request, "newsletters/preview.html", {
        "newsletter": newsletter, "form": form, "shown": shown, "errors": error})


@login_required
@require_POST
def newsletter_test(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = _newsletter(request.user, pk)
    person = None
    if request.POST.get("person"):
        person = _preview_people(newsletter).filter(pk=request.POST["person"]).first()
    try:
        sent = services.send_test(newsletter, user=request.user, person=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(count)s test message(s) sent to %(email)s.")
                         % {"count": sent, "email": request.user.email})
    return redirect(newsletter)


@login_required
def sender_edit(request: HttpRequest, office: int) -> HttpResponse:
    """Who an office's newsletters come from, the footer's postal address and the rate."""
    office = get_object_or_404(_offices(request.user), pk=office)
    sender = Sender.objects.filter(office=office).first() or Sender(
        office=office, from_name=office.name, postal_address=f"{office.name}\n{office.city}")
    form = SenderForm(request.POST or None, instance=sender)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Sender saved."))
        return redirect("newsletters:list")
    return render(request, "newsletters/sender_form.html", {
        "form": form, "office": office, "offices": _offices(request.user)})
