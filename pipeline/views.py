from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from circles.models import Office, visible_office_ids
from contacts.models import Person
from tsgcrm.db import generic_plans
from tsgcrm.exports import csv_response
from tsgcrm.forms import add_service_errors
from tsgcrm.http import next_on_site
from tsgcrm.pagination import Paginator

from .agenda.models import TASK_LINE
from .forms import (
    BoardFilterForm,
    DealForm,
    DealListFilterForm,
    FollowUpForm,
    InteractionForm,
    LoseForm,
    ObjectionForm,
)
from .models import Deal, Phase, Routine, RoutineCheck
from .reports.forms import DrillForm, apply_drill
from .selectors import (
    CARDS_PER_PAGE,
    CardWriter,
    apply_filters,
    board,
    board_deals,
    card,
    column_cards,
    deal_count,
    deal_rows,
    deal_rows_html,
    move_options,
    phase_setup,
)
from .services import (
    appreciation_email,
    deal_create,
    deal_follow_up,
    deal_lose,
    deal_move_phase,
    deal_update,
    deal_win,
    interaction_log,
    objection_record,
    routine_toggle,
)

LIST_SORTS = {"-created": ("-created_at", "-id"), "next_step": ("next_step_date", "id"),
              "-value": ("-value", "-id"), "title": ("title", "id")}


def _get_deal_for_user(request: HttpRequest, pk: int) -> Deal:
    return get_object_or_404(
        Deal.objects.visible_to(request.user).select_related(
            "phase", "office", "owner", "second_expert", "person", "organisation",
            "lost_reason"), pk=pk)


def _filters(request: HttpRequest, form_class=BoardFilterForm):
    offices = Office.objects.filter(pk__in=visible_office_ids(request.user))
    form = form_class(request.GET or None, offices=offices)
    return form, (form.cleaned_data if form.is_valid() else {})


@login_required
@vary_on_headers("HX-Request")
def board_view(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    deals = apply_filters(board_deals(request.user), data)
    query = request.GET.urlencode()
    offices = None if request.user.is_network_admin or request.user.is_superuser \
        else visible_office_ids(request.user)
    with generic_plans():
        columns = board(deals, offices=offices)
    write = CardWriter(get_token(request))
    for column in columns:
        column.cards_html = mark_safe("".join(  # noqa: S308 - escaped by CardWriter
            write(c, column.move_options) for c in column.cards))
    context = {"form": form, "columns": columns, "query": query}
    template = "pipeline/board.html"
    if request.htmx and request.htmx.target == "board":
        template += "#board"
    return render(request, template, context)


@login_required
def board_column(request: HttpRequest, number: int) -> HttpResponse:
    """The next page of cards of one column ("more")."""
    phase = get_object_or_404(Phase, number=number)
    _form, data = _filters(request)
    page = max(1, int(request.GET.get("page", "2") or 2))
    with generic_plans():
        deals = column_cards(apply_filters(board_deals(request.user), data), phase, page)
    phases, routine_counts = phase_setup()
    routine_count = routine_counts.get(phase.pk, 0)
    options, write = move_options(phases, phase), CardWriter(get_token(request))
    return render(request, "pipeline/board.html#column-cards", {
        "cards_html": mark_safe("".join(  # noqa: S308 - built with format_html
            write(card(d, routine_count), options)
            for d in deals[:CARDS_PER_PAGE])),
        "has_more": len(deals) > CARDS_PER_PAGE, "next_page": page + 1, "phase": phase,
        "query": request.GET.urlencode()})


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    # Only whether the person may see the deal: the service reads and locks it.
    deal = get_object_or_404(Deal.objects.visible_to(request.user).only("pk"), pk=pk)
    phase = get_object_or_404(Phase, number=request.POST.get("phase") or 0)
    version = request.POST.get("version")
    try:
        moved = deal_move_phase(deal_id=deal.pk, to_phase=phase, by=request.user,
                                expected_version=int(version) if version else None)
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            response = HttpResponse(status=200)
            response["HX-Reswap"] = "none"
            trigger_client_event(response, "board-error", {"message": message})
            return trigger_client_event(response, "board-changed", {})
        messages.error(request, message)
        return redirect(next_on_site(request, "pipeline:board"))
    text = _("“%(deal)s” moved to %(phase)s.") % {"deal": moved, "phase": phase.display_name}
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Reswap"] = "none"
        return trigger_client_event(response, "board-changed", {"message": text})
    messages.success(request, text)
    return redirect(next_on_site(request, "pipeline:board"))



def _deal_list_queryset(request: HttpRequest):
    form, data = _filters(request, DealListFilterForm)
    deals = apply_filters(Deal.objects.visible_to(request.user), data)
    drill = DrillForm(request.GET or None)
    if drill.is_valid():
        deals = apply_drill(deals, drill.cleaned_data)
    form.drill = drill
    return form, deals.order_by(*LIST_SORTS.get(data.get("sort") or "-created",
                                                LIST_SORTS["-created"]))


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    form, deals = _deal_list_queryset(request)
    with generic_plans():
        count = deal_count(deals, offices=visible_office_ids(request.user))
        page = Paginator(deal_rows(deals), 25, count=count).get_page(request.GET.get("page"))
        rows_html = mark_safe(deal_rows_html(page.object_list))  # noqa: S308 - escaped
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "pipeline/deal_list.html",
                  {"form": form, "page": page, "rows_html": rows_html,
                   "query": query.urlencode(), "drill": form.drill})


@login_required
def deal_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _form, deals = _deal_list_queryset(request)
    deals = deals.select_related("phase", "owner", "person", "organisation", "lost_reason")
    header = ["id", "title", "contact", "organisation", "product", "value", "currency",
              "phase", "status", "probability", "expected_close", "next_step",
              "next_step_date", "owner", "lost_reason", "created_at"]
    rows = ([d.pk, d.title, str(d.person or ""), str(d.organisation or ""), d.product,
             d.value, d.currency, d.phase.number, d.status, d.effective_probability,
             d.expected_close or "", d.next_step, d.next_step_date or "", str(d.owner),
             str(d.lost_reason or ""), d.created_at.isoformat()]
            for d in deals.iterator(chunk_size=2000))
    return csv_response("deals", header, rows)


@login_required
def deal_create_view(request: HttpRequest) -> HttpResponse:
    office = request.user.office
    if office is None:
        raise PermissionDenied
    person = None
    person_id = request.GET.get("person") or request.POST.get("person")
    if person_id and str(person_id).isdigit():
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    initial = {"owner": request.user, "currency": office.currency}
    if person:
        initial["title"] = _("%(product)s for %(name)s") % {
            "product": Deal.Product.BASIC_TRAINING.label, "name": person}
    form = DealForm(request.POST or None, office=office, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["person"] = person
        if person:
            data["organisation"] = next(iter(person.organisations.all()), None)
        try:
            deal = deal_create(office=office, by=request.user, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Deal created."))
            return redirect(deal)
    return render(request, "pipeline/deal_form.html", {"form": form, "person": person})


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    form = DealForm(request.POST or None, instance=deal, office=deal.office)
    if request.method == "POST" and form.is_valid():
        try:
            deal_update(deal=deal, by=request.user, data=form.cleaned_data,
                        expected_version=form.cleaned_data.get("version"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(deal)
    return render(request, "pipeline/deal_form.html", {"form": form, "deal": deal})


def _detail_context(request: HttpRequest, deal: Deal) -> dict:
    routines = list(Routine.objects.filter(phase=deal.phase).order_by("-kind", "order"))
    done = set(RoutineCheck.objects.filter(deal=deal).values_list("routine_id", flat=True))
    context = {
        "deal": deal, "routines": [(r, r.pk in done) for r in routines],
        "routine_total": sum(1 for r in routines if r.kind == Routine.Kind.ROUTINE),
        "routine_done": sum(1 for r in routines if r.kind == Routine.Kind.ROUTINE
                            and r.pk in done),
        "moves": deal.moves.select_related("from_phase", "to_phase", "moved_by")[:50],
        "interactions": deal.interactions.select_related("created_by")[:50],
        "objections": deal.objections.select_related("created_by")[:50],
        "phases": list(Phase.objects.order_by("number")),
        "interaction_form": InteractionForm(), "objection_form": ObjectionForm(),
        "lose_form": LoseForm(), "follow_up_form": FollowUpForm(),
        "days_in_phase": (timezone.now() - deal.phase_entered_at).days,
        "open_tasks": deal.tasks.filter(status="open").select_related(*TASK_LINE)[:30],
        "done_tasks": deal.tasks.filter(status="done").select_related(*TASK_LINE)
        .order_by("-done_at")[:30],
    }
    if deal.status == Deal.Status.WON:
        context["appreciation"] = appreciation_email(deal, request.user)
    return context


@login_required
@vary_on_headers("HX-Request")
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    return render(request, "pipeline/deal_detail.html", _detail_context(request, deal))


@login_required
@require_POST
def routine_toggle_view(request: HttpRequest, pk: int, routine_pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    routine = get_object_or_404(Routine, pk=routine_pk, phase=deal.phase)
    routine_toggle(deal=deal, routine=routine, by=request.user,
                   done=request.POST.get("done") == "1")
    if request.htmx:
        return render(request, "pipeline/deal_detail.html#checklist",
                      _detail_context(request, deal))
    return redirect(f"{deal.get_absolute_url()}#checklist")


def _after(request: HttpRequest, deal: Deal, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{deal.get_absolute_url()}{anchor}")


def _failed(request: HttpRequest, deal: Deal, form_name: str, form) -> HttpResponse:
    context = _detail_context(request, deal)
    context[form_name] = form
    return render(request, "pipeline/deal_detail.html", context, status=200)


@login_required
@require_POST
def interaction_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        interaction_log(office=deal.office, by=request.user, deal=deal,
                        data=form.cleaned_data)
        return _after(request, deal, _("Interaction logged."), "#interactions")
    return _failed(request, deal, "interaction_form", form)


@login_required
@require_POST
def objection_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        objection_record(deal=deal, by=request.user, data=form.cleaned_data)
        return _after(request, deal, _("Objection recorded."), "#objections")
    return _failed(request, deal, "objection_form", form)


@login_required
@require_POST
def deal_close(request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    try:
        if outcome == "won":
            deal_win(deal=deal, by=request.user, expected_version=expected)
            return _after(request, deal, _("Won! The deal moves on to service delivery."))
        if outcome == "lost":
            form = LoseForm(request.POST)
            if not form.is_valid():
                return _failed(request, deal, "lose_form", form)
            deal_lose(deal=deal, by=request.user, reason=form.cleaned_data["reason"],
                      note=form.cleaned_data["note"], expected_version=expected)
            return _after(request, deal, _("The deal is closed as lost; it stays on record "
                                           "for a later win-back."))
        if outcome == "no_deal":
            deal_lose(deal=deal, by=request.user, reason=None, no_deal=True,
                      note=request.POST.get("note", "")[:2000], expected_version=expected)
            return _after(request, deal, _("The no-deal is on record."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(deal)
    raise PermissionDenied


@login_required
@require_POST
def deal_follow_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get_deal_for_user(request, pk)
    win_back = request.POST.get("win_back") == "1"
    if win_back and deal.status != Deal.Status.LOST:
        messages.error(request, _("Only a lost deal can be won back."))
        return redirect(deal)
    form = FollowUpForm(request.POST)
    product = deal.product if win_back else (form.cleaned_data["product"]
                                             if form.is_valid() else None)
    if product is None:
        return _failed(request, deal, "follow_up_form", form)
    new = deal_follow_up(deal=deal, by=request.user, product=product, win_back=win_back)
    messages.success(request, _("A new deal is open: %(deal)s.") % {"deal": new})
    return redirect(new)

