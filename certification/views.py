"""Pages of the certification paths: my path and my mentees, the candidates by stage,
an enrolment with its evidence, the registry of certified experts, and the public
verification page of a certificate."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from circles.models import Office, User
from contacts.models import Person
from pipeline.agenda.models import TASK_LINE, Task
from pipeline.models import Deal
from tsgcrm.forms import add_service_errors
from tsgcrm.pagination import Paginator

from . import notices, services
from .forms import (
    CandidatesFilterForm,
    DueDateForm,
    EnrolForm,
    EvidenceForm,
    MentorForm,
    RegistryFilterForm,
    ReviewForm,
    RevokeForm,
    StrikeForm,
    VerifyForm,
    evidence_kinds,
)
from .models import Certificate, Enrolment, Evidence, StageProgress
from .permissions import (
    can_advance,
    can_manage,
    can_record,
    can_revoke,
    enrolments_visible_to,
    follows_candidates,
    sees_all,
)
from .selectors import (
    candidates_by_stage,
    certified_experts,
    enrolment_page,
    mentees,
    my_enrolments,
    open_review,
    registry,
    review_meetings,
)


def _get_enrolment(request: HttpRequest, pk: int) -> Enrolment:
    return get_object_or_404(
        enrolments_visible_to(request.user).select_related(
            "user", "person", "mentor", "office", "current_stage", "path", "version",
            "source_deal"), pk=pk)


def _managed_offices(user: User):
    if sees_all(user):
        return Office.objects.filter(active=True)
    return Office.objects.visible_to(user)


# --- Dashboards -------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """A person's own path, their mentees, and (for those who follow candidates) a link
    to all candidates by stage."""
    user = request.user
    return render(request, "certification/overview.html", {
        "mine": my_enrolments(user), "mentees": mentees(user),
        "follows_candidates": follows_candidates(user),
        "certificates": Certificate.objects.filter(holder=user).select_related("enrolment__path"),
    })


@login_required
def candidates(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not follows_candidates(user):
        raise PermissionDenied(_("Office leads and the experts' circle follow the candidates."))
    form = CandidatesFilterForm(request.GET or None, offices=_managed_offices(user))
    filters = form.cleaned_data if form.is_valid() else {}
    columns = candidates_by_stage(
        user, office_id=filters["office"].pk if filters.get("office") else None,
        path_id=filters["path"].pk if filters.get("path") else None,
        late_only=bool(filters.get("late")), status=filters.get("status") or "live")
    template = "certification/candidates.html"
    if request.htmx:
        template += "#board"
    return render(request, template, {
        "form": form, "columns": columns, "total": sum(len(c.enrolments) for c in columns),
        "late": sum(c.late for c in columns), "follows_candidates": True})


@login_required
def registry_view(request: HttpRequest) -> HttpResponse:
    form = RegistryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    certificates = registry(office_id=filters["office"].pk if filters.get("office") else None,
                            language=filters.get("language") or "",
                            query=filters.get("q") or "")
    page = Paginator(certificates, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "certification/registry.html"
    if request.htmx:
        template += "#registry"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode(),
                                      "follows_candidates": follows_candidates(request.user)})


# --- Enrolling --------------------------------------------------------------------------------


def _id_or_404(value: str) -> int:
    """An id from the address bar: anything but digits is a missing page, not a server
    error (a text compared with an id column raises ValueError)."""
    if not value.isdigit():
        raise Http404
    return int(value)


@login_required
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    person = None
    source = request.GET.get("person") or request.POST.get("person")
    if source:
        person = get_object_or_404(Person.objects.visible_to(user).select_related("office"),
                                   pk=_id_or_404(source))
    deal = None
    if request.GET.get("deal") or request.POST.get("deal"):
        deal = get_object_or_404(Deal.objects.visible_to(user),
                                 pk=_id_or_404(request.GET.get("deal")
                                               or request.POST.get("deal")))
    owns_person = person is not None and person.owner_id == user.pk
    if not (can_manage(user, office_id=person.office_id if person else None) or owns_person):
        raise PermissionDenied(_("Office leads and the experts' circle enrol candidates; a "
                                 "consultant enrols the contacts they own."))
    offices = _managed_offices(user)
    if owns_person and not offices.filter(pk=person.office_id).exists():
        offices = Office.objects.filter(pk=person.office_id)
    initial = {"started_on": timezone.localdate(),
               "office": person.office_id if person else user.office_id}
    form = EnrolForm(request.POST or None, initial=initial, person=person, offices=offices,
                     mentors=certified_experts(),
                     users=User.objects.filter(is_active=True, office__in=offices)
                     .order_by("last_name", "first_name"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = services.enrol(
                path=data["path"], office=data["office"], by=user,
                user=data.get("user"), person=person, mentor=data["mentor"],
                started_on=data["started_on"], source_deal=deal, notes=data["notes"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(candidate)s is enrolled.")
                             % {"candidate": enrolment.candidate_name})
            return redirect(enrolment)
    return render(request, "certification/enrol_form.html",
                  {"form": form, "person": person, "deal": deal})


# --- An enrolment -----------------------------------------------------------------------------


def _project_deals(user: User, enrolment: Enrolment):
    """Won deals a client project may be linked to: those the candidate worked on."""
    if not enrolment.user_id:
        return Deal.objects.none()
    return (Deal.objects.visible_to(user).filter(status=Deal.Status.WON)
            .filter(Q(owner_id=enrolment.user_id) | Q(second_expert_id=enrolment.user_id))
            .select_related("person", "organisation").order_by("-closed_at"))


def _enrolment_context(request: HttpRequest, enrolment: Enrolment,
                       bound: dict[str, forms.Form] | None = None,
                       errors: list[str] | None = None) -> dict:
    user = request.user
    bound = bound or {}
    context = enrolment_page(enrolment)
    manage = can_manage(user, enrolment)
    record = can_record(user, enrolment) and enrolment.status == Enrolment.Status.ACTIVE
    kinds = evidence_kinds(is_mentor=enrolment.mentor_id == user.pk)
    deals = _project_deals(user, enrolment)
    tasks = Task.objects.visible_to(user).filter(enrolment=enrolment).select_related(*TASK_LINE)
    context.update({
        "manage": manage, "record": record, "errors": errors or [],
        "advance": can_advance(user, enrolment) and enrolment.status == "active",
        "advance_blockers": services.advance_check(enrolment) if enrolment.is_live else [],
        "evidence_form": bound.get("evidence") or EvidenceForm(
            kinds=kinds, deals=deals, prefix="evidence",
            initial={"occurred_on": timezone.localdate()}),
        "strike_form": bound.get("strike") or StrikeForm(prefix="strike"),
        "strike_pk": getattr(bound.get("strike"), "evidence_pk", None),
        "mentor_form": bound.get("mentor") or MentorForm(
            mentors=certified_experts(), prefix="mentor",
            initial={"mentor": enrolment.mentor_id}),
        "due_form": bound.get("due") or DueDateForm(prefix="due"),
        "due_stage": getattr(bound.get("due"), "stage_pk", None),
        "review_form": bound.get("review") or ReviewForm(meetings=review_meetings(),
                                                         prefix="review"),
        "open_review": open_review(enrolment),
        "revoke_form": bound.get("revoke") or RevokeForm(prefix="revoke"),
        "can_revoke": can_revoke(user),
        "can_propose": can_advance(user, enrolment),
        "today": timezone.localdate(),
        "open_tasks": tasks.filter(status=Task.Status.OPEN)[:30],
        "done_tasks": tasks.filter(status=Task.Status.DONE).order_by("-done_at")[:30],
    })
    return context


def _render_enrolment(request: HttpRequest, enrolment: Enrolment, status: int = 200,
                      **kwargs) -> HttpResponse:
    return render(request, "certification/enrolment_detail.html",
                  _enrolment_context(request, enrolment, **kwargs), status=status)


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_enrolment(request, _get_enrolment(request, pk))


def _act(request: HttpRequest, enrolment: Enrolment, action: Callable[[], object], *,
         done: str, form: forms.Form | None = None, key: str = "") -> HttpResponse:
    """Run one service call; a refusal comes back on the page, next to the form that
    caused it, with what was typed kept."""
    try:
        action()
    except ValidationError as error:
        enrolment.refresh_from_db()
        if form is not None:
            add_service_errors(form, error)
            return _render_enrolment(request, enrolment, status=400, bound={key: form})
        return _render_enrolment(request, enrolment, status=400, errors=error.messages)
    messages.success(request, done)
    return redirect(enrolment)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_record(request.user, enrolment),
             _("Only the candidate, their mentor and the people who follow the candidate "
               "record evidence."))
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence",
                        kinds=evidence_kinds(is_mentor=enrolment.mentor_id == request.user.pk),
                        deals=_project_deals(request.user, enrolment))
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"evidence": form})
    data = form.cleaned_data
    stage_pk = request.POST.get("stage") or enrolment.current_stage_id
    stage = get_object_or_404(enrolment.version.stages, pk=stage_pk)
    return _act(request, enrolment, lambda: services.evidence_record(
        enrolment=enrolment, stage=stage, kind=data["kind"], by=request.user,
        occurred_on=data["occurred_on"], quantity=data["quantity"], title=data["title"],
        text=data["text"], deal=data["deal"], document=data["document"]),
        form=form, key="evidence", done=_("Evidence recorded."))


@login_required
@require_POST
def evidence_strike(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_record(request.user, enrolment), _("You do not record on this enrolment."))
    evidence = get_object_or_404(Evidence, pk=evidence_pk, enrolment=enrolment)
    form = StrikeForm(request.POST, prefix="strike")
    form.evidence_pk = evidence.pk
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"strike": form})
    return _act(request, enrolment, lambda: services.evidence_strike(
        evidence=evidence, reason=form.cleaned_data["reason"], by=request.user),
        form=form, key="strike", done=_("The entry is struck out."))


@login_required
def evidence_document(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, enrolment=enrolment)
    if not evidence.document:
        raise Http404
    return FileResponse(evidence.document.open("rb"), as_attachment=True,
                        filename=evidence.document.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def stage_advance(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_advance(request.user, enrolment),
             _("The mentor and the people who follow the candidate move them on."))
    return _act(request, enrolment, lambda: services.stage_advance(enrolment=enrolment,
                                                                   by=request.user),
                done=_("On to the next stage."))


@login_required
@require_POST
def status_change(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_manage(request.user, enrolment),
             _("Office leads and the experts' circle pause or withdraw enrolments."))
    labels = {"paused": _("The enrolment is paused."), "active": _("The enrolment resumes."),
              "withdrawn": _("The enrolment is withdrawn.")}
    if status not in labels:
        raise Http404
    return _act(request, enrolment, lambda: services.status_set(
        enrolment=enrolment, status=status, by=request.user), done=labels[status])


@login_required
@require_POST
def mentor_change(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_manage(request.user, enrolment),
             _("Office leads and the experts' circle choose mentors."))
    form = MentorForm(request.POST, prefix="mentor", mentors=User.objects.filter(
        is_active=True))
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"mentor": form})
    return _act(request, enrolment, lambda: services.mentor_set(
        enrolment=enrolment, mentor=form.cleaned_data["mentor"], by=request.user),
        form=form, key="mentor", done=_("Mentor saved."))


@login_required
@require_POST
def due_date_change(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_manage(request.user, enrolment),
             _("Office leads and the experts' circle set due dates."))
    progress = get_object_or_404(StageProgress.objects.select_related("stage"),
                                 enrolment=enrolment, stage_id=stage_pk)
    form = DueDateForm(request.POST, prefix="due")
    form.stage_pk = progress.stage_id
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"due": form})
    return _act(request, enrolment, lambda: services.due_date_set(
        enrolment=enrolment, stage=progress.stage, due_on=form.cleaned_data["due_on"],
        by=request.user), form=form, key="due", done=_("Due date saved."))


@login_required
@require_POST
def review_propose(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _get_enrolment(request, pk)
    _require(can_advance(request.user, enrolment),
             _("The mentor and the people who follow the candidate propose the "
               "certification."))
    form = ReviewForm(request.POST, prefix="review", meetings=review_meetings())
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"review": form})
    return _act(request, enrolment, lambda: services.review_propose(
        enrolment=enrolment, meeting=form.cleaned_data["meeting"], by=request.user),
        form=form, key="review",
        done=_("The certification is on the agenda of the experts' circle."))


# --- Certificates -----------------------------------------------------------------------------


def _get_certificate(request: HttpRequest, pk: int) -> Certificate:
    certificate = get_object_or_404(
        Certificate.objects.select_related("decision__circle", "holder", "enrolment"), pk=pk)
    if certificate.holder_id != request.user.pk and not enrolments_visible_to(
            request.user).filter(pk=certificate.enrolment_id).exists():
        raise Http404
    return certificate


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _get_certificate(request, pk)
    if certificate.is_revoked:
        messages.error(request, _("This certificate was revoked: it is no longer issued."))
        return redirect(certificate.enrolment)
    if not certificate.pdf:
        # Not rendered yet by the worker: render it now, and keep it.
        certificate.pdf.save(notices.certificate_filename(certificate),
                             ContentFile(notices.certificate_pdf(certificate)), save=False)
        Certificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=certificate.pdf.name)
    return FileResponse(certificate.pdf.open("rb"), content_type="application/pdf",
                        as_attachment=True, filename=notices.certificate_filename(certificate))


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _get_certificate(request, pk)
    _require(can_revoke(request.user),
             _("Only the leader or the secretary of the experts' circle, or a network admin, "
               "revokes a certificate."))
    enrolment = certificate.enrolment
    form = RevokeForm(request.POST, prefix="revoke")
    if not form.is_valid():
        return _render_enrolment(request, enrolment, status=400, bound={"revoke": form})
    return _act(request, enrolment, lambda: services.certificate_revoke(
        certificate=certificate, reason=form.cleaned_data["reason"], by=request.user),
        form=form, key="revoke", done=_("The certificate is revoked."))


# --- Public verification ----------------------------------------------------------------------


@never_cache
def verify(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Anyone may check a certificate by its code: the page shows the name, the title and
    the date, or that it was revoked; nothing else."""
    form = VerifyForm(request.GET or None, initial={"code": (code or "").strip().upper()})
    if code is None and form.is_valid():
        return redirect("certification:verify", code=form.cleaned_data["code"])
    certificate = None
    if code is not None:
        certificate = (Certificate.objects.filter(code=code.strip().upper())
                       .only("holder_name", "title", "title_fr", "issued_on", "revoked_on",
                             "code").first())
    return render(request, "certification/verify.html", {
        "form": form, "code": code, "certificate": certificate},
        status=404 if code is not None and certificate is None else 200)
