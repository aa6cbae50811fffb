"""The circle logbook's pages. The meeting screen is one htmx region (#logbook): every
action posts, the service records it, and the region comes back re-rendered — one click
per member, no page reload; without JavaScript the same forms post and redirect."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from circles.models import Circle, User
from circles.selectors import circle_members
from tsgcrm.forms import add_service_errors
from tsgcrm.pagination import Paginator

from . import notices, services
from .forms import (
    AgendaItemForm,
    AmendForm,
    CloseForm,
    ElectionForm,
    MeetingForm,
    NominationForm,
    ProposalForm,
    ProposeForm,
    RegisterFilterForm,
    TurnForm,
)
from .models import AgendaItem, Attendance, ConsentAnswer, Decision, Election, Meeting, Proposal
from .selectors import can_record, decision_chain, decision_register, meeting_logbook


def _get_circle_for_user(request: HttpRequest, pk: int) -> Circle:
    return get_object_or_404(Circle.objects.visible_to(request.user)
                             .select_related("office", "parent"), pk=pk)


def _get_meeting_for_user(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.filter(circle__in=Circle.objects.visible_to(request.user))
        .select_related("circle", "circle__parent", "facilitator", "secretary"), pk=pk)


def _get_recordable_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = _get_meeting_for_user(request, pk)
    if not can_record(request.user, meeting.circle, meeting):
        raise PermissionDenied(_("Only the circle's secretary keeps its logbook."))
    return meeting


def _present(meeting: Meeting):
    return User.objects.filter(pk__in=meeting.attendances.filter(
        status=Attendance.Status.PRESENT).values("person_id")).order_by("last_name")


# --- The meeting screen ---------------------------------------------------------------------


def _logbook_context(request: HttpRequest, meeting: Meeting, bound: dict | None = None,
                     errors: list[str] | None = None) -> dict:
    context = meeting_logbook(meeting)
    bound = bound or {}
    members = circle_members(meeting.circle)
    editable = can_record(request.user, meeting.circle, meeting) and not meeting.is_closed
    turn_errors = bound.get("turn", {})
    for state in context["items"]:
        if state.proposal is not None:
            for turn in state.proposal.turns:
                turn.errors = {round: turn_errors[(state.proposal.proposal.pk, round,
                                                   turn.person.pk)]
                               for round in ("clarifying", "reactions", "consent")
                               if (state.proposal.proposal.pk, round, turn.person.pk)
                               in turn_errors}
        if state.proposal is not None and state.proposal.proposal.status == "open":
            key = f"amend-{state.proposal.proposal.pk}"
            state.amend_form = bound.get(key) or AmendForm(
                objections=state.proposal.open_objections,
                initial={"text": state.proposal.latest.text,
                         "review_date": state.proposal.latest.review_date,
                         "version": state.proposal.proposal.version_count},
                prefix=key)
        elif state.item.kind == AgendaItem.Kind.PROPOSAL and state.proposal is None:
            key = f"proposal-{state.item.pk}"
            state.proposal_form = bound.get(key) or ProposalForm(
                members=members, prefix=key, initial={"title": state.item.title})
        if state.election is not None and state.election.status in (
                Election.Status.NOMINATING, Election.Status.CHANGES):
            key = f"nomination-{state.election.pk}"
            state.nomination_form = bound.get(key) or NominationForm(
                present=_present(meeting), members=members, prefix=key)
            nominees = User.objects.filter(pk__in=[n.nominee_id for n in state.nominations])
            state.propose_form = bound.get(f"propose-{state.election.pk}") or ProposeForm(
                nominees=nominees, prefix=f"propose-{state.election.pk}")
    context.update({
        "circle": meeting.circle, "editable": editable, "errors": errors or [],
        "agenda_form": bound.get("agenda") or AgendaItemForm(prefix="agenda"),
        "election_form": bound.get("election") or ElectionForm(prefix="election", initial={
            "term_start": timezone.localdate(meeting.starts_at)}),
        "close_form": bound.get("close") or CloseForm(prefix="close",
                                                       initial={"minutes": meeting.minutes}),
        "statuses": Attendance.Status.choices,
    })
    return context


def _render_logbook(request: HttpRequest, meeting: Meeting, **kwargs) -> HttpResponse:
    template = "circles/meeting_detail.html"
    if request.htmx:
        template += "#logbook"
    return render(request, template, _logbook_context(request, meeting, **kwargs))


@login_required
@vary_on_headers("HX-Request")
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_logbook(request, _get_meeting_for_user(request, pk))


def _record(request: HttpRequest, meeting: Meeting, action: Callable[[], object], *,
            form: forms.Form | None = None, key: str = "",
            done: str = "") -> HttpResponse:
    """Run one service call for the meeting screen. A refusal comes back on the screen,
    next to the form that caused it, with what was typed kept."""
    try:
        action()
    except ValidationError as error:
        meeting.refresh_from_db()
        if form is not None:
            add_service_errors(form, error)
            return _render_logbook(request, meeting, bound={key: form})
        return _render_logbook(request, meeting, errors=error.messages)
    if request.htmx:
        meeting.refresh_from_db()
        return _render_logbook(request, meeting)
    if done:
        messages.success(request, done)
    return redirect(meeting)


def _invalid(request: HttpRequest, meeting: Meeting, key: str, form: forms.Form):
    return _render_logbook(request, meeting, bound={key: form})


@login_required
@require_POST
def attendance_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    person = get_object_or_404(User, pk=person_pk)
    return _record(request, meeting, lambda: services.attendance_set(
        meeting=meeting, person=person, status=request.POST.get("status", ""),
        by=request.user))


@login_required
@require_POST
def attendance_all_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    return _record(request, meeting, lambda: services.attendance_all_present(
        meeting=meeting, by=request.user))


@login_required
@require_POST
def agenda_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    form = AgendaItemForm(request.POST, prefix="agenda")
    if not form.is_valid():
        return _invalid(request, meeting, "agenda", form)
    return _record(request, meeting, lambda: services.agenda_item_add(
        meeting=meeting, by=request.user, **form.cleaned_data), form=form, key="agenda")


@login_required
@require_POST
def proposal_submit_view(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    item = get_object_or_404(meeting.items, pk=item_pk)
    key = f"proposal-{item.pk}"
    form = ProposalForm(request.POST, members=circle_members(meeting.circle), prefix=key)
    if not form.is_valid():
        return _invalid(request, meeting, key, form)
    return _record(request, meeting, lambda: services.proposal_submit(
        item=item, author=request.user, by=request.user, **form.cleaned_data),
        form=form, key=key)


def _get_proposal(meeting: Meeting, proposal_pk: int) -> Proposal:
    return get_object_or_404(Proposal, pk=proposal_pk, item__meeting=meeting)


@login_required
@require_POST
def proposal_amend_view(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    proposal = _get_proposal(meeting, proposal_pk)
    key = f"amend-{proposal.pk}"
    objections = ConsentAnswer.objects.filter(version__proposal=proposal,
                                              answer=ConsentAnswer.Answer.OBJECTION,
                                              resolution="").select_related("member")
    form = AmendForm(request.POST, objections=objections, prefix=key)
    if not form.is_valid():
        return _invalid(request, meeting, key, form)
    data = form.cleaned_data
    return _record(request, meeting, lambda: services.proposal_amend(
        proposal=proposal, text=data["text"], change_reason=data["change_reason"],
        review_date=data["review_date"], resolves=[int(r) for r in data["resolves"]],
        expected_version=data["version"], by=request.user), form=form, key=key)


@login_required
@require_POST
def turn_view(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    """One member's turn: a clarifying question, a reaction, consent or an objection."""
    meeting = _get_recordable_meeting(request, pk)
    proposal = _get_proposal(meeting, proposal_pk)
    form = TurnForm(request.POST)
    if not form.is_valid():
        return _render_logbook(request, meeting, errors=[_("Choose a member and a round.")])
    data = form.cleaned_data
    member = data["member"]
    if data["round"] == "consent":
        def action():
            return services.consent_record(proposal=proposal, member=member,
                                           answer=data["answer"], argument=data["text"],
                                           by=request.user)
    else:
        def action():
            return services.round_record(proposal=proposal, round=data["round"],
                                         member=member, text=data["text"], by=request.user)
    try:
        action()
    except ValidationError as error:
        meeting.refresh_from_db()
        # The message goes next to this member's row, with what was typed kept.
        return _render_logbook(request, meeting, bound={"turn": {
            (proposal.pk, data["round"], member.pk): {"errors": error.messages,
                                                      "text": data["text"]}}})
    return _record(request, meeting, lambda: None)


@login_required
@require_POST
def objection_withdraw_view(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    objection = get_object_or_404(ConsentAnswer, pk=answer_pk,
                                  version__proposal__item__meeting=meeting)
    return _record(request, meeting, lambda: services.objection_withdraw(
        objection=objection, by=request.user))


@login_required
@require_POST
def proposal_withdraw_view(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    proposal = _get_proposal(meeting, proposal_pk)
    return _record(request, meeting, lambda: services.proposal_withdraw(
        proposal=proposal, by=request.user))


@login_required
@require_POST
def proposal_adopt_view(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    proposal = _get_proposal(meeting, proposal_pk)
    supersedes = None
    if request.POST.get("supersedes"):
        supersedes = Decision.objects.filter(circle=meeting.circle,
                                             pk=request.POST["supersedes"]).first()
    return _record(request, meeting, lambda: services.proposal_adopt(
        proposal=proposal, supersedes=supersedes, change=request.POST.get("change", ""),
        by=request.user), done=_("Adopted by consent."))


@login_required
@require_POST
def election_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    form = ElectionForm(request.POST, prefix="election")
    if not form.is_valid():
        return _invalid(request, meeting, "election", form)
    return _record(request, meeting, lambda: services.election_create(
        meeting=meeting, by=request.user, **form.cleaned_data), form=form, key="election")


def _get_election(meeting: Meeting, election_pk: int) -> Election:
    return get_object_or_404(Election, pk=election_pk, meeting=meeting)


@login_required
@require_POST
def nomination_view(request: HttpRequest, pk: int, election_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    election = _get_election(meeting, election_pk)
    key = f"nomination-{election.pk}"
    form = NominationForm(request.POST, present=_present(meeting),
                          members=circle_members(meeting.circle), prefix=key)
    if not form.is_valid():
        return _invalid(request, meeting, key, form)
    return _record(request, meeting, lambda: services.nomination_record(
        election=election, by=request.user, **form.cleaned_data), form=form, key=key)


@login_required
@require_POST
def election_change_round_view(request: HttpRequest, pk: int,
                               election_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    election = _get_election(meeting, election_pk)
    return _record(request, meeting, lambda: services.election_change_round(
        election=election, by=request.user))


@login_required
@require_POST
def election_propose_view(request: HttpRequest, pk: int, election_pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    election = _get_election(meeting, election_pk)
    key = f"propose-{election.pk}"
    form = ProposeForm(request.POST, prefix=key, nominees=User.objects.filter(
        pk__in=election.nominations.values("nominee_id")))
    if not form.is_valid():
        return _invalid(request, meeting, key, form)
    return _record(request, meeting, lambda: services.election_propose(
        election=election, candidate=form.cleaned_data["candidate"], by=request.user),
        form=form, key=key)


@login_required
@require_POST
def meeting_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_recordable_meeting(request, pk)
    form = CloseForm(request.POST, prefix="close")
    if not form.is_valid():
        return _invalid(request, meeting, "close", form)
    return _record(request, meeting, lambda: services.meeting_close(
        meeting=meeting, minutes=form.cleaned_data["minutes"], by=request.user),
        form=form, key="close",
        done=_("Meeting closed: the minutes are being sent to the members."))


@login_required
def minutes_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes as a PDF: the one sent to the members once it exists, else rendered
    now (a meeting in progress gets a draft)."""
    meeting = _get_meeting_for_user(request, pk)
    name = notices.minutes_filename(meeting)
    if meeting.minutes_pdf:
        return FileResponse(meeting.minutes_pdf.open("rb"), content_type="application/pdf",
                            filename=name)
    response = HttpResponse(notices.minutes_pdf(meeting), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- Meetings of a circle, the register -------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest, pk: int) -> HttpResponse:
    circle = _get_circle_for_user(request, pk)
    editable = can_record(request.user, circle)
    form = None
    if editable:
        form = MeetingForm(request.POST or None, circle=circle)
        if request.method == "POST" and form.is_valid():
            try:
                meeting = services.meeting_create(circle=circle, by=request.user,
                                                  **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect(meeting)
    elif request.method == "POST":
        raise PermissionDenied
    meetings = Paginator(circle.meetings.select_related("facilitator", "secretary"), 20
                         ).get_page(request.GET.get("page"))
    return render(request, "circles/meeting_list.html", {
        "circle": circle, "page": meetings, "form": form, "editable": editable,
        "decisions": circle.decisions.select_related("superseded_by")[:10]})


@login_required
@vary_on_headers("HX-Request")
def decision_register_view(request: HttpRequest) -> HttpResponse:
    circles = Circle.objects.visible_to(request.user).order_by("name")
    form = RegisterFilterForm(request.GET or None, circles=circles)
    data = form.cleaned_data if form.is_valid() else {}
    decisions = decision_register(request.user, circle=data.get("circle"),
                                  q=data.get("q", ""), status=data.get("status", ""),
                                  since=data.get("since"), until=data.get("until"))
    page = Paginator(decisions, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "circles/decision_register.html"
    if request.htmx and request.htmx.target == "register":
        template += "#register"
    return render(request, template, {"form": form, "page": page,
                                      "query": query.urlencode()})


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.visible_to(request.user).select_related(
            "circle", "meeting", "proposal", "responsible", "recorded_by", "subject_type"),
        pk=pk)
    proposal = decision.proposal
    return render(request, "circles/decision_detail.html", {
        "decision": decision, "chain": decision_chain(decision),
        "consenting": decision.consenting.order_by("last_name"),
        "versions": proposal.versions.select_related("created_by") if proposal else [],
        "objections": ConsentAnswer.objects.filter(
            version__proposal=proposal, answer=ConsentAnswer.Answer.OBJECTION
        ).select_related("member", "version", "resolved_by") if proposal else [],
        "subject": decision.subject, "personas": decision.personas.all()})
