from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from tsgcrm.forms import add_service_errors

from .chart import layout
from .forms import EndDateForm, MembershipForm, OfficerRoleForm
from .history import circle_changes
from .models import Circle, Membership, Office, OfficerRole, User
from .selectors import can_manage_circle, circle_structure, network_structure
from .services import membership_add, membership_end, officer_assign, officer_end


def _get_office_for_user(request: HttpRequest, pk: int) -> Office:
    """The office, if the person may see it; a 404 otherwise (never a 403 that confirms it)."""
    return get_object_or_404(
        Office.objects.visible_to(request.user).select_related("parent"), pk=pk
    )


@login_required
def office_list(request: HttpRequest) -> HttpResponse:
    offices = (
        Office.objects.visible_to(request.user)
        .select_related("parent")
        .annotate(people=Count("members", filter=Q(members__is_active=True)))
        .order_by("country", "parent__name", "name")
    )
    return render(request, "circles/office_list.html", {"offices": offices})


@login_required
def office_detail(request: HttpRequest, pk: int) -> HttpResponse:
    office = _get_office_for_user(request, pk)
    members = User.objects.filter(office=office, is_active=True).order_by("last_name", "first_name")
    sub_offices = (
        Office.objects.visible_to(request.user)
        .filter(parent=office)
        .annotate(people=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(
            Prefetch("members", queryset=User.objects.filter(is_office_lead=True, is_active=True),
                     to_attr="leads")
        )
    )
    return render(
        request,
        "circles/office_detail.html",
        {"office": office, "members": members, "sub_offices": sub_offices},
    )


# --- Circles ----------------------------------------------------------------------------


def _get_circle_for_user(request: HttpRequest, pk: int) -> Circle:
    return get_object_or_404(
        Circle.objects.visible_to(request.user).select_related("office", "parent"), pk=pk
    )


def _office_filter(request: HttpRequest) -> tuple[Office | None, list[Office]]:
    offices = list(Office.objects.visible_to(request.user).filter(parent__isnull=True)
                   .order_by("name"))
    chosen = None
    raw = request.GET.get("office", "")
    if raw.isdigit():
        chosen = next((o for o in offices if o.pk == int(raw)), None)
        if chosen is None:
            chosen = Office.objects.visible_to(request.user).filter(pk=int(raw)).first()
    return chosen, offices


@login_required
def circle_chart(request: HttpRequest) -> HttpResponse:
    office, offices = _office_filter(request)
    structure = network_structure(request.user, office=office)
    chart = layout(structure)
    return render(request, "circles/chart.html", {
        "chart": chart, "office": office, "offices": offices,
        "breach_count": len(structure.breaches),
    })


@login_required
def structure_health(request: HttpRequest) -> HttpResponse:
    office, offices = _office_filter(request)
    structure = network_structure(request.user, office=office)
    return render(request, "circles/health.html", {
        "breaches": structure.breaches, "office": office, "offices": offices,
        "circle_count": len(structure.nodes),
    })


def _circle_people_context(request: HttpRequest, circle: Circle, **forms) -> dict:
    node = circle_structure(circle)
    manage = can_manage_circle(request.user, circle)
    context = {
        "circle": circle, "node": node, "can_manage": manage,
        "changes": circle_changes(circle, limit=40),
        "role_history": (OfficerRole.objects.filter(circle=circle, ended_on__isnull=False)
                         .select_related("person").order_by("-ended_on")[:30]),
    }
    if manage:
        context["membership_form"] = forms.get("membership_form") or MembershipForm(
            circle=circle)
        context["role_form"] = forms.get("role_form") or OfficerRoleForm(circle=circle)
        context["end_form"] = EndDateForm()
    return context


def _render_people(request: HttpRequest, circle: Circle, status: int = 200,
                   **forms) -> HttpResponse:
    context = _circle_people_context(request, circle, **forms)
    template = "circles/circle_detail.html"
    if request.htmx:
        template += "#circle-people"
    else:
        context.update(_circle_page_extras(request, circle))
    return render(request, template, context, status=status)


def _circle_page_extras(request: HttpRequest, circle: Circle) -> dict:
    children = (Circle.objects.visible_to(request.user).filter(parent=circle, active=True)
                .select_related("office").order_by("name"))
    recent = circle.meetings.order_by("-starts_at")[:5]
    return {"children": children, "recent_meetings": recent}


@login_required
@vary_on_headers("HX-Request")
def circle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circle = _get_circle_for_user(request, pk)
    return _render_people(request, circle)


def _get_managed_circle(request: HttpRequest, pk: int) -> Circle:
    circle = _get_circle_for_user(request, pk)
    if not can_manage_circle(request.user, circle):
        raise PermissionDenied
    return circle


def _after_change(request: HttpRequest, circle: Circle, message: str) -> HttpResponse:
    if request.htmx:
        response = _render_people(request, circle)
        return trigger_client_event(response, "circle-changed", {"message": message})
    messages.success(request, message)
    return redirect(f"{circle.get_absolute_url()}#officers")


def _apply(form: forms.Form, action) -> bool:
    """Run a service; turn its validation errors into errors next to the form's fields."""
    try:
        action()
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


@login_required
@require_POST
def membership_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    circle = _get_managed_circle(request, pk)
    form = MembershipForm(request.POST, circle=circle)
    if form.is_valid() and _apply(form, lambda: membership_add(
            circle=circle, person=form.cleaned_data["person"],
            since=form.cleaned_data["since"], by=request.user)):
        return _after_change(request, circle, _("%(person)s joined the circle.")
                             % {"person": form.cleaned_data["person"]})
    return _render_people(request, circle, membership_form=form)


@login_required
@require_POST
def membership_end_view(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    circle = _get_managed_circle(request, pk)
    membership = get_object_or_404(Membership.objects.current().select_related("person"),
                                   pk=membership_pk, circle=circle)
    form = EndDateForm(request.POST)
    if form.is_valid() and _apply(form, lambda: membership_end(
            membership=membership, until=form.cleaned_data["on"], by=request.user)):
        return _after_change(request, circle, _("%(person)s left the circle.")
                             % {"person": membership.person})
    messages.error(request, _("Choose a valid end date, on or after the start."))
    return _render_people(request, circle)


@login_required
@require_POST
def officer_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    circle = _get_managed_circle(request, pk)
    form = OfficerRoleForm(request.POST, circle=circle)
    if form.is_valid() and _apply(form, lambda: officer_assign(
            circle=circle, person=form.cleaned_data["person"], role=form.cleaned_data["role"],
            started_on=form.cleaned_data["started_on"],
            term_end=form.cleaned_data["term_end"], by=request.user)):
        role = dict(OfficerRole.Role.choices)[form.cleaned_data["role"]]
        return _after_change(request, circle, _("%(person)s is now %(role)s.")
                             % {"person": form.cleaned_data["person"], "role": role.lower()})
    return _render_people(request, circle, role_form=form)


@login_required
@require_POST
def officer_end_view(request: HttpRequest, pk: int, holding_pk: int) -> HttpResponse:
    circle = _get_managed_circle(request, pk)
    holding = get_object_or_404(OfficerRole.objects.held().select_related("person"),
                                pk=holding_pk, circle=circle)
    form = EndDateForm(request.POST)
    if form.is_valid() and _apply(form, lambda: officer_end(
            holding=holding, ended_on=form.cleaned_data["on"], by=request.user)):
        return _after_change(request, circle, _("%(person)s handed over the role of %(role)s.")
                             % {"person": holding.person,
                                "role": holding.get_role_display().lower()})
    messages.error(request, _("Choose a valid end date, on or after the term start."))
    return _render_people(request, circle)
