"""The report pages: an office's pipeline report, the network report, their CSV tables,
the PDF made by a worker (with its progress) and report subscriptions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.models import Circle, Membership, Office, User
from tsgcrm.exports import csv_response
from tsgcrm.forms import add_service_errors

from . import services
from .figures import ReportError
from .forms import NetworkReportForm, OfficeReportForm, PeriodForm, SubscriptionForm
from .models import ReportRun, ReportSubscription


def _offices(user: User):
    if not (user.is_office_lead or user.is_network_admin or user.is_superuser):
        raise PermissionDenied(_("Pipeline reports are for office leads."))
    # Each national office, then its sub-offices.
    return (Office.objects.visible_to(user).filter(active=True)
            .order_by(Coalesce("parent__name", "name"), F("parent_id").asc(nulls_first=True),
                      "name"))


def sees_network(user: User) -> bool:
    """Network admins, and the members of the top and integration circles."""
    if user.is_network_admin or user.is_superuser:
        return True
    return Membership.objects.current().filter(
        person=user, circle__kind__in=[Circle.Kind.TOP, Circle.Kind.INTEGRATION],
        circle__office__isnull=True).exists()


def _office_form(request: HttpRequest) -> OfficeReportForm:
    offices = _offices(request.user)
    initial = {**PeriodForm.default_initial(),
               "office": request.user.office_id if request.user.office_id else None}
    return OfficeReportForm(request.GET or None, offices=offices, initial=initial)


def _chosen(form: OfficeReportForm) -> dict | None:
    """The report asked for; with nothing asked yet, the person's office for the last
    90 days."""
    if form.is_bound:
        return form.cleaned_data if form.is_valid() else None
    offices = form.fields["office"].queryset
    return {"start": form.initial["start"], "end": form.initial["end"],
            "office": offices.filter(pk=form.initial["office"]).first() or offices.first()}


@login_required
def office_report_view(request: HttpRequest) -> HttpResponse:
    form = _office_form(request)
    chosen = _chosen(form)
    context = {"form": form, "kind": "office"}
    if chosen and chosen["office"] is not None:
        run = ReportRun(kind=ReportRun.Kind.OFFICE, office=chosen["office"],
                        start=chosen["start"], end=chosen["end"],
                        currency=chosen["office"].currency)
        try:
            context.update(services.report_context(run))
        except ReportError as error:
            form.add_error(None, str(error))
        query = {"office": run.office_id, "start": run.start, "end": run.end}
        context.update({
            "query": urlencode(query), "drill": urlencode({**query, "office": run.office_id}),
            "subscription_form": SubscriptionForm(),
            "subscriptions": ReportSubscription.objects.filter(user=request.user)
            .select_related("office")})
    return render(request, "pipeline/report.html", context)


@login_required
def network_report_view(request: HttpRequest) -> HttpResponse:
    if not sees_network(request.user):
        raise PermissionDenied(_("The network report is for the top and integration circles."))
    form = NetworkReportForm(request.GET or None,
                             initial={**PeriodForm.default_initial(), "currency": "EUR"})
    context = {"form": form, "kind": "network"}
    data = form.cleaned_data if form.is_bound and form.is_valid() else (
        None if form.is_bound else {**form.initial})
    if data:
        run = ReportRun(kind=ReportRun.Kind.NETWORK, start=data["start"], end=data["end"],
                        currency=data["currency"])
        context.update(services.report_context(run))
        context["query"] = urlencode({"start": run.start, "end": run.end,
                                      "currency": run.currency})
    return render(request, "pipeline/report.html", context)


# --- CSV tables -------------------------------------------------------------------------------


def _money(money) -> str:
    return "" if money.total is None else str(money.total)


def _office_tables(context: dict) -> dict:
    report = context["report"]
    return {
        "funnel": (["phase", "open_deals", "open_value", "entered", "left",
                    "conversion_to_next_pct", "stays_ended", "average_days", "median_days"],
                   [[r.phase.number, r.open_count, _money(r.open_value), r.entered, r.left,
                     r.conversion if r.conversion is not None else "", r.stays,
                     r.average_days if r.average_days is not None else "",
                     r.median_days if r.median_days is not None else ""]
                    for r in report.phases]),
        "closed": (["status", "deals", "value"],
                   [[status, state["count"], _money(state["value"])]
                    for status, state in report.closed.items()]),
        "lost_reasons": (["reason", "deals"], [list(r) for r in report.lost_reasons]),
        "forecast": (["expected_close", "weighted_value"],
                     [[month, _money(money)] for month, money in report.forecast]),
        "sources": (["lead_source", "deals_created", "won"],
                    [[code or "unknown", n, won] for code, _label, n, won in report.sources]),
        "objections": (["category", "open", "resolved", "blocking", "total"],
                       [[label, counts.get("open", 0), counts.get("resolved", 0),
                         counts.get("blocking", 0), total]
                        for label, counts, total in report.objections]),
        "activity": (["person", "interactions", "tasks_done", "deals_moved"],
                     [[str(r["person"]), r["interactions"], r["tasks"], r["moves"]]
                      for r in report.activity]),
        "overdue": (["owner", "overdue_next_steps"],
                    [[str(user), n] for user, n in report.overdue]),
    }


def _network_tables(context: dict) -> dict:
    return {"offices": (
        ["office", "open_deals", "open_value", "weighted_forecast", "new_deals", "won",
         "won_value", "lost", "no_deal", "win_rate_pct"],
        [[row.office.name, row.open_count, _money(row.open_value), _money(row.weighted),
          row.entered, row.won_count, _money(row.won_value), row.lost_count,
          row.no_deal_count, row.win_rate if row.win_rate is not None else ""]
         for row in context["rows"]])}


@login_required
def report_csv(request: HttpRequest, kind: str, table: str) -> HttpResponse:
    if kind == "network":
        if not sees_network(request.user):
            raise PermissionDenied
        form = NetworkReportForm(request.GET)
        if not form.is_valid():
            raise Http404
        run = ReportRun(kind=kind, start=form.cleaned_data["start"],
                        end=form.cleaned_data["end"], currency=form.cleaned_data["currency"])
        tables = _network_tables(services.report_context(run))
    else:
        form = OfficeReportForm(request.GET, offices=_offices(request.user))
        if not form.is_valid():
            raise Http404
        office = form.cleaned_data["office"]
        run = ReportRun(kind=ReportRun.Kind.OFFICE, office=office,
                        start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                        currency=office.currency)
        tables = _office_tables(services.report_context(run))
    if table not in tables:
        raise Http404
    header, rows = tables[table]
    return csv_response(f"report-{table}-{run.start:%Y%m%d}-{run.end:%Y%m%d}", header, rows)


# --- The PDF ----------------------------------------------------------------------------------


@login_required
@require_POST
def report_pdf_request(request: HttpRequest, kind: str) -> HttpResponse:
    if kind == "network":
        if not sees_network(request.user):
            raise PermissionDenied
        form = NetworkReportForm(request.POST)
        office = None
    else:
        form = OfficeReportForm(request.POST, offices=_offices(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a valid period before asking for the PDF."))
        return redirect("pipeline:report" if kind != "network" else "pipeline:network_report")
    data = form.cleaned_data
    if kind != "network":
        office = data["office"]
    try:
        run = services.report_request(
            user=request.user, kind=kind, office=office, start=data["start"], end=data["end"],
            currency=data.get("currency") or office.currency)
    except ValidationError as error:
        add_service_errors(form, error)
        messages.error(request, " ".join(error.messages))
        return redirect("pipeline:report")
    if request.htmx:
        return _run_fragment(request, run)
    return redirect("pipeline:report_run", pk=run.pk)


def _get_run(request: HttpRequest, pk: int) -> ReportRun:
    run = get_object_or_404(ReportRun.objects.select_related("office"), pk=pk)
    if run.requested_by_id != request.user.pk and not (
            request.user.is_network_admin or request.user.is_superuser):
        raise Http404
    return run


def _run_fragment(request: HttpRequest, run: ReportRun) -> HttpResponse:
    return render(request, "pipeline/_report_run.html", {"run": run})


@login_required
def report_run(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's progress: an htmx fragment that polls until the PDF is ready."""
    run = _get_run(request, pk)
    if request.htmx:
        return _run_fragment(request, run)
    return render(request, "pipeline/report_run.html", {"run": run})


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run(request, pk)
    if run.status != ReportRun.Status.DONE or not run.pdf:
        raise Http404
    return FileResponse(run.pdf.open("rb"), as_attachment=True, filename=run.filename,
                        content_type="application/pdf")


# --- Subscriptions ----------------------------------------------------------------------------


@login_required
@require_POST
def subscription_add(request: HttpRequest) -> HttpResponse:
    office = get_object_or_404(_offices(request.user), pk=request.POST.get("office"))
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        services.subscription_save(user=request.user, office=office,
                                   frequency=form.cleaned_data["frequency"])
        messages.success(request, _("You will receive this report by email."))
    else:
        messages.error(request, _("Choose every week or every month."))
    return redirect(reverse("pipeline:report") + "?" + urlencode({"office": office.pk}))


@login_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(ReportSubscription, pk=pk, user=request.user)
    subscription.delete()
    messages.success(request, _("You will no longer receive this report."))
    return redirect("pipeline:report")
