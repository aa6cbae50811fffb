"""Reads of the certification paths: an enrolment's page, the candidates by stage, a
mentor's mentees, the registry of certified experts. Each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from circles.decisions.models import Meeting, Proposal
from circles.models import Circle, User

from . import rules
from .models import Certificate, Enrolment, Evidence, Stage, StageProgress
from .permissions import enrolments_visible_to
from .services import requirement_results, review_proposals


@dataclass
class StageView:
    progress: StageProgress
    stage: Stage
    results: list[rules.Met] = field(default_factory=list)
    entries: list[Evidence] = field(default_factory=list)
    is_current: bool = False

    @property
    def is_late(self) -> bool:
        return self.is_current and self.progress.is_late()


def enrolment_page(enrolment: Enrolment) -> dict:
    progresses = list(enrolment.stages.select_related("stage").order_by("stage__position"))
    stage_ids = {p.stage_id for p in progresses}
    results = requirement_results([enrolment.pk], stage_ids)
    entries = defaultdict(list)
    evidence = list(enrolment.evidence.select_related("recorded_by", "deal", "strikes")
                    .order_by("occurred_on", "pk"))
    struck = {e.strikes_id: e for e in evidence if e.kind == Evidence.Kind.STRIKE}
    for entry in evidence:
        entry.struck_by_entry = struck.get(entry.pk)
        entries[entry.stage_id].append(entry)
    stages = [StageView(progress=p, stage=p.stage, results=results[(enrolment.pk, p.stage_id)],
                        entries=entries[p.stage_id],
                        is_current=p.stage_id == enrolment.current_stage_id
                        and enrolment.is_live)
              for p in progresses]
    current = next((s for s in stages if s.stage.pk == enrolment.current_stage_id), None)
    certificate = Certificate.objects.filter(enrolment=enrolment).select_related(
        "decision", "decision__circle", "revoked_by").first()
    return {"enrolment": enrolment, "stages": stages, "current": current,
            "certificate": certificate,
            "reviews": list(review_proposals(enrolment).select_related("item__meeting",
                                                                       "decision"))}


def _with_due(queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    due = StageProgress.objects.filter(enrolment=OuterRef("pk"),
                                       stage=OuterRef("current_stage_id"))
    return (queryset.annotate(current_due=Subquery(due.values("due_on")[:1]))
            .select_related("user", "person", "mentor", "office", "current_stage", "path"))


def _attach_progress(enrolments: list[Enrolment], today: date) -> list[Enrolment]:
    results = requirement_results([e.pk for e in enrolments],
                                {e.current_stage_id for e in enrolments})
    for enrolment in enrolments:
        met = results.get((enrolment.pk, enrolment.current_stage_id), [])
        enrolment.results = met
        enrolment.percent = (sum(m.percent for m in met) // len(met)) if met else (
            100 if enrolment.status == Enrolment.Status.COMPLETED else 0)
        enrolment.is_late = (enrolment.status == Enrolment.Status.ACTIVE
                             and enrolment.current_due is not None
                             and enrolment.current_due < today)
        enrolment.next_needs = [m for m in met if not m.is_met]
    return enrolments


def my_enrolments(user: User) -> list[Enrolment]:
    return _attach_progress(list(_with_due(Enrolment.objects.filter(user=user))),
                            timezone.localdate())


def mentees(user: User) -> list[Enrolment]:
    return _attach_progress(
        list(_with_due(Enrolment.objects.live().filter(mentor=user))
             .order_by("current_stage__position", "started_on")), timezone.localdate())


@dataclass
class Column:
    position: int
    name: str
    kind: str
    enrolments: list[Enrolment] = field(default_factory=list)

    @property
    def late(self) -> int:
        return sum(1 for e in self.enrolments if e.is_late)


def candidates_by_stage(user: User, *, office_id: int | None = None,
                        path_id: int | None = None, late_only: bool = False,
                        status: str = "live") -> list[Column]:
    """The live candidates the person may see, in one column per stage (stages of all the
    path's versions, matched by their order)."""
    queryset = enrolments_visible_to(user)
    queryset = queryset.live() if status == "live" else queryset.filter(status=status)
    if office_id:
        queryset = queryset.filter(Q(office_id=office_id) | Q(office__parent_id=office_id))
    if path_id:
        queryset = queryset.filter(path_id=path_id)
    enrolments = _attach_progress(list(_with_due(queryset).order_by(
        "current_stage__position", "current_due", "pk")), timezone.localdate())
    if late_only:
        enrolments = [e for e in enrolments if e.is_late]
    columns: dict[int, Column] = {}
    versions = {e.version_id for e in enrolments}
    stages = Stage.objects.filter(version__in=versions) if versions else (
        Stage.objects.filter(version__path__active=True, version__published_on__isnull=False))
    for stage in stages.order_by("position", "-version__number"):
        columns.setdefault(stage.position, Column(position=stage.position,
                                                  name=stage.display_name, kind=stage.kind))
    for enrolment in enrolments:
        columns.setdefault(enrolment.current_stage.position, Column(
            position=enrolment.current_stage.position,
            name=enrolment.current_stage.display_name,
            kind=enrolment.current_stage.kind)).enrolments.append(enrolment)
    return [columns[k] for k in sorted(columns)]


def registry(*, office_id: int | None = None, language: str = "", query: str = ""
             ) -> QuerySet[Certificate]:
    """Certified experts: valid certificates, newest first; filter by the holder's office
    (with its sub-offices) and a language they work in."""
    certificates = (Certificate.objects.valid()
                    .select_related("holder", "holder__office", "enrolment__path")
                    .order_by("holder_name", "-issued_on"))
    if office_id:
        certificates = certificates.filter(Q(holder__office_id=office_id)
                                           | Q(holder__office__parent_id=office_id))
    if language:
        certificates = certificates.filter(Q(holder__language=language)
                                           | Q(holder__office__languages__contains=language))
    if query:
        certificates = certificates.filter(Q(holder_name__icontains=query)
                                           | Q(code__iexact=query.strip()))
    return certificates


def certified_experts() -> QuerySet[User]:
    """Who may mentor: active people holding a valid certificate."""
    return (User.objects.filter(is_active=True,
                                pk__in=Certificate.objects.valid().values("holder_id"))
            .order_by("last_name", "first_name"))


def review_meetings() -> QuerySet[Meeting]:
    """Meetings of the experts' circle a certification can be put on: not closed."""
    return (Meeting.objects.filter(circle__kind=Circle.Kind.EXPERTS, circle__active=True)
            .exclude(status=Meeting.Status.CLOSED).select_related("circle")
            .order_by("starts_at"))


def open_review(enrolment: Enrolment) -> Proposal | None:
    return review_proposals(enrolment).filter(status=Proposal.Status.OPEN).first()
