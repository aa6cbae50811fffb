"""Writes of the certification paths. Each runs in one transaction and locks the
enrolment it changes, so two people recording at once never half-advance a candidate."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from circles.decisions import services as decisions
from circles.decisions.models import AgendaItem, Decision, Meeting, Proposal
from circles.models import Circle, Membership, Office, User
from circles.services import membership_add, membership_end, record_by

from . import rules
from .models import (
    Certificate,
    Enrolment,
    Evidence,
    Path,
    PathVersion,
    Requirement,
    Stage,
    StageProgress,
)
from .permissions import experts_circle, is_certified

# Someone who records evidence about themselves may record these; the mentor's
# assessment is the mentor's alone.
SELF_RECORDED = {Evidence.Kind.ATTENDANCE, Evidence.Kind.HOURS, Evidence.Kind.PROJECT,
                 Evidence.Kind.REFLECTION, Evidence.Kind.DOCUMENT}


def _locked(enrolment: Enrolment) -> Enrolment:
    return (Enrolment.objects.select_for_update(of=("self",))
            .select_related("current_stage", "user", "person", "path").get(pk=enrolment.pk))


def _check_mentor(mentor: User | None, *, candidate: User | None) -> None:
    if mentor is None:
        return
    if candidate is not None and mentor.pk == candidate.pk:
        raise ValidationError({"mentor": _("A candidate cannot mentor themselves.")})
    if not mentor.is_active or not is_certified(mentor):
        raise ValidationError({"mentor": _("%(person)s is not a certified expert: only "
                                           "certified experts mentor candidates.")
                               % {"person": mentor}})


def _plan_due_dates(stages: list[Stage], start: date) -> list[tuple[date | None, date | None]]:
    """(start, due) of each stage if each takes its expected time, one after the other."""
    plan = []
    cursor: date | None = start
    for n, stage in enumerate(stages):
        begins = start if n == 0 else None
        due = cursor + timedelta(days=stage.expected_days) if (
            cursor is not None and stage.expected_days) else None
        plan.append((begins, due))
        cursor = due
    return plan


# --- Path templates ---------------------------------------------------------------------------


@transaction.atomic
def version_copy(*, version: PathVersion) -> PathVersion:
    """A new draft of the path, copied from `version`, to edit and then publish."""
    Path.objects.select_for_update().get(pk=version.path_id)
    if version.path.versions.filter(published_on__isnull=True).exists():
        raise ValidationError(_("This path already has a draft version: edit it."))
    number = (version.path.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = PathVersion.objects.create(path=version.path, number=number)
    for stage in version.stages.prefetch_related("requirements"):
        requirements = list(stage.requirements.all())
        stage.pk = None
        stage.version = draft
        stage.save()
        for requirement in requirements:
            requirement.pk = None
            requirement.stage = stage
            requirement.save()
    return draft


@transaction.atomic
def version_publish(*, version: PathVersion, today: date | None = None) -> PathVersion:
    version = PathVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError(_("This version is already published."))
    stages = list(version.stages.all())
    if not stages:
        raise ValidationError(_("A version needs at least one stage before it is published."))
    if not any(s.kind == Stage.Kind.REVIEW for s in stages):
        raise ValidationError(_("A path leads to a certification review by the experts' "
                                "circle: add a stage of that kind."))
    version.published_on = today or timezone.localdate()
    version.save(update_fields=["published_on"])
    return version


# --- Enrolments -------------------------------------------------------------------------------


@transaction.atomic
def enrol(*, path: Path, office: Office, by: User, user: User | None = None,
          person=None, mentor: User | None = None, started_on: date | None = None,
          source_deal=None, notes: str = "") -> Enrolment:
    """Enrol a candidate (a user, or a contact who is not a user yet) on the current
    version of `path`; every stage gets a planned due date from its expected duration."""
    if (user is None) == (person is None):
        raise ValidationError(_("Choose one candidate: a person of the network or a contact."))
    if not path.active:
        raise ValidationError({"path": _("This path takes no new enrolments.")})
    version = path.current_version()
    if version is None:
        raise ValidationError({"path": _("This path has no published version yet.")})
    started_on = started_on or timezone.localdate()
    if started_on > timezone.localdate() + timedelta(days=366):
        raise ValidationError({"started_on": _("Start within the coming year.")})
    _check_mentor(mentor, candidate=user)
    live = Enrolment.objects.live().filter(path=path)
    if user is not None and live.filter(user=user).exists():
        raise ValidationError(_("%(person)s is already on this path.") % {"person": user})
    if person is not None and live.filter(person=person).exists():
        raise ValidationError(_("%(person)s is already on this path.") % {"person": person})
    stages = list(version.stages.order_by("position"))
    enrolment = Enrolment(version=version, path=path, user=user, person=person, office=office,
                          mentor=mentor, started_on=started_on, current_stage=stages[0],
                          source_deal=source_deal, notes=notes, created_by=by)
    enrolment.full_clean(validate_constraints=False)
    record_by(enrolment, by)
    enrolment.save()
    StageProgress.objects.bulk_create([
        StageProgress(enrolment=enrolment, stage=stage, started_on=begins, due_on=due)
        for stage, (begins, due) in zip(stages, _plan_due_dates(stages, started_on),
                                        strict=True)])
    return enrolment


@transaction.atomic
def mentor_set(*, enrolment: Enrolment, mentor: User | None, by: User) -> Enrolment:
    enrolment = _locked(enrolment)
    _check_mentor(mentor, candidate=enrolment.user)
    enrolment.mentor = mentor
    record_by(enrolment, by)
    enrolment.save(update_fields=["mentor"])
    return enrolment


@transaction.atomic
def due_date_set(*, enrolment: Enrolment, stage: Stage, due_on: date, by: User) -> StageProgress:
    enrolment = _locked(enrolment)
    progress = StageProgress.objects.select_for_update().get(enrolment=enrolment, stage=stage)
    if progress.completed_on:
        raise ValidationError({"due_on": _("This stage is complete: its due date no longer "
                                           "matters.")})
    if due_on < (progress.started_on or enrolment.started_on):
        raise ValidationError({"due_on": _("A stage is due after it starts.")})
    progress.due_on = due_on
    record_by(progress, by)
    progress.save(update_fields=["due_on"])
    return progress


@transaction.atomic
def status_set(*, enrolment: Enrolment, status: str, by: User,
               today: date | None = None) -> Enrolment:
    """Pause, resume or withdraw. Resuming pushes the due dates of the stages not yet
    complete by the time the enrolment was paused."""
    enrolment = _locked(enrolment)
    today = today or timezone.localdate()
    allowed = {Enrolment.Status.PAUSED: {Enrolment.Status.ACTIVE},
               Enrolment.Status.ACTIVE: {Enrolment.Status.PAUSED},
               Enrolment.Status.WITHDRAWN: {Enrolment.Status.ACTIVE, Enrolment.Status.PAUSED}}
    if status not in allowed or enrolment.status not in allowed[status]:
        raise ValidationError(_("An enrolment that is %(status)s cannot change that way.")
                              % {"status": enrolment.get_status_display().lower()})
    if status == Enrolment.Status.ACTIVE and enrolment.paused_on:
        shift = today - enrolment.paused_on
        for progress in enrolment.stages.filter(completed_on__isnull=True,
                                                due_on__isnull=False):
            progress.due_on += shift
            record_by(progress, by)
            progress.save(update_fields=["due_on"])
    enrolment.paused_on = today if status == Enrolment.Status.PAUSED else None
    enrolment.status = status
    record_by(enrolment, by)
    enrolment.save(update_fields=["status", "paused_on"])
    return enrolment


# --- Evidence ---------------------------------------------------------------------------------


def _require_active(enrolment: Enrolment) -> None:
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ValidationError(_("This enrolment is %(status)s: nothing is recorded on it "
                                "until it is active again.")
                              % {"status": enrolment.get_status_display().lower()})


@transaction.atomic
def evidence_record(*, enrolment: Enrolment, stage: Stage, kind: str, by: User,
                    occurred_on: date | None = None, quantity: Decimal | None = None,
                    title: str = "", text: str = "", deal=None, document=None) -> Evidence:
    enrolment = _locked(enrolment)
    _require_active(enrolment)
    if stage.pk != enrolment.current_stage_id:
        raise ValidationError(_("%(candidate)s is in the stage “%(current)s”, not “%(stage)s”: "
                                "evidence is recorded for the current stage.")
                              % {"candidate": enrolment.candidate_name,
                                 "current": enrolment.current_stage.display_name,
                                 "stage": stage.display_name})
    if kind not in dict(Evidence.Kind.choices) or kind == Evidence.Kind.STRIKE:
        raise ValidationError({"kind": _("Choose what kind of evidence this is.")})
    if kind == Evidence.Kind.ASSESSMENT and by.pk != enrolment.mentor_id:
        raise ValidationError({"kind": _("Only the candidate's mentor records an "
                                         "assessment.")})
    if by.pk == enrolment.user_id and kind not in SELF_RECORDED:
        raise ValidationError({"kind": _("Candidates do not assess themselves.")})
    occurred_on = occurred_on or timezone.localdate()
    errors: dict[str, str] = {}
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = _("Evidence is recorded once it happened: the date is in the "
                                  "future.")
    if kind == Evidence.Kind.HOURS:
        if quantity is None or quantity <= 0:
            errors["quantity"] = _("Say how many hours.")
    else:
        quantity = Decimal(1)
    if kind in (Evidence.Kind.REFLECTION, Evidence.Kind.ASSESSMENT) and not text.strip():
        errors["text"] = _("Write the text: it is the evidence.")
    if kind == Evidence.Kind.PROJECT and not title.strip():
        errors["title"] = _("Name the client project.")
    if kind == Evidence.Kind.DOCUMENT and not document:
        errors["document"] = _("Attach the document.")
    if deal is not None:
        if kind != Evidence.Kind.PROJECT:
            errors["deal"] = _("Only a client project is linked to a deal.")
        elif deal.status != "won":
            errors["deal"] = _("Link a won deal: the project is real client work.")
    if errors:
        raise ValidationError(errors)
    evidence = Evidence(enrolment=enrolment, stage=stage, kind=kind, occurred_on=occurred_on,
                        quantity=quantity, title=title.strip(), text=text.strip(), deal=deal,
                        recorded_by=by)
    if document:
        evidence.document = document
    evidence.full_clean(exclude=["document"])
    evidence.save()
    return evidence


@transaction.atomic
def evidence_strike(*, evidence: Evidence, reason: str, by: User) -> Evidence:
    """Strike out a mistaken entry: a correction that says why; the entry stays visible."""
    enrolment = _locked(evidence.enrolment)
    _require_active(enrolment)
    if evidence.kind == Evidence.Kind.STRIKE:
        raise ValidationError(_("A correction is not struck out."))
    if Evidence.objects.filter(strikes=evidence).exists():
        raise ValidationError(_("This entry is already struck out."))
    if evidence.stage_id != enrolment.current_stage_id:
        raise ValidationError(_("Entries of a completed stage stay as they are."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is struck out.")})
    return Evidence.objects.create(enrolment=enrolment, stage_id=evidence.stage_id,
                                   kind=Evidence.Kind.STRIKE, strikes=evidence,
                                   text=reason.strip(), recorded_by=by)


def requirement_results(enrolment_ids: list[int], stage_ids: set[int]
                      ) -> dict[tuple[int, int], list[rules.Met]]:
    """(enrolment, stage) → how far its evidence goes towards each requirement, in two
    queries whatever the number of enrolments."""
    requirements = defaultdict(list)
    for requirement in Requirement.objects.filter(stage_id__in=stage_ids):
        requirements[requirement.stage_id].append(
            rules.Need(kind=requirement.kind, label=requirement.label, target=requirement.target))
    struck = Evidence.objects.filter(kind=Evidence.Kind.STRIKE,
                                     enrolment_id__in=enrolment_ids).values("strikes_id")
    totals: dict[tuple[int, int], list[rules.Fact]] = defaultdict(list)
    for row in (Evidence.objects.filter(enrolment_id__in=enrolment_ids, stage_id__in=stage_ids)
                .exclude(kind=Evidence.Kind.STRIKE).exclude(pk__in=struck)
                .values("enrolment_id", "stage_id", "kind").annotate(total=Sum("quantity"))):
        totals[(row["enrolment_id"], row["stage_id"])].append(
            rules.Fact(kind=row["kind"], quantity=row["total"] or Decimal(0)))
    return {(e, s): rules.requirements_met(requirements[s], totals[(e, s)])
            for e in enrolment_ids for s in stage_ids}


def stage_results(enrolment: Enrolment, stage: Stage) -> list[rules.Met]:
    """How far the evidence of `stage` goes towards each of its requirements."""
    return requirement_results([enrolment.pk], {stage.pk})[(enrolment.pk, stage.pk)]


def _next_stage(enrolment: Enrolment) -> Stage | None:
    return (Stage.objects.filter(version_id=enrolment.version_id,
                                 position__gt=enrolment.current_stage.position)
            .order_by("position").first())


def _move_on(enrolment: Enrolment, by: User, today: date) -> Enrolment:
    """Complete the current stage and start the next (or complete the enrolment)."""
    current = StageProgress.objects.select_for_update().get(
        enrolment=enrolment, stage_id=enrolment.current_stage_id)
    current.completed_on = today
    record_by(current, by)
    current.save(update_fields=["completed_on"])
    following = _next_stage(enrolment)
    if following is None:
        enrolment.status = Enrolment.Status.COMPLETED
        record_by(enrolment, by)
        enrolment.save(update_fields=["status"])
        return enrolment
    progress = StageProgress.objects.select_for_update().get(enrolment=enrolment,
                                                             stage=following)
    progress.started_on = today
    if following.expected_days:
        progress.due_on = today + timedelta(days=following.expected_days)
    record_by(progress, by)
    progress.save(update_fields=["started_on", "due_on"])
    enrolment.current_stage = following
    record_by(enrolment, by)
    enrolment.save(update_fields=["current_stage"])
    return enrolment


def advance_check(enrolment: Enrolment) -> list[str]:
    """Why the candidate cannot move on to the next stage now (empty: they can)."""
    stage = enrolment.current_stage
    return rules.advance_blockers(
        stage_kind=stage.kind, stage_name=stage.display_name, status=enrolment.status,
        met=stage_results(enrolment, stage), is_last=_next_stage(enrolment) is None)


@transaction.atomic
def stage_advance(*, enrolment: Enrolment, by: User, today: date | None = None) -> Enrolment:
    enrolment = _locked(enrolment)
    problems = advance_check(enrolment)
    if problems:
        raise ValidationError(problems)
    return _move_on(enrolment, by, today or timezone.localdate())


# --- Certification by the experts' circle -----------------------------------------------------


def review_proposals(enrolment: Enrolment):
    return Proposal.objects.filter(subject_type=ContentType.objects.get_for_model(Enrolment),
                                   subject_id=enrolment.pk)


@transaction.atomic
def review_propose(*, enrolment: Enrolment, meeting: Meeting, by: User) -> Proposal:
    """Put the candidate's certification on the agenda of a meeting of the experts'
    circle, as a proposal the circle decides on by consent."""
    enrolment = _locked(enrolment)
    _require_active(enrolment)
    if enrolment.current_stage.kind != Stage.Kind.REVIEW:
        raise ValidationError(_("%(candidate)s is not at the certification review yet (now: "
                                "“%(stage)s”).") % {"candidate": enrolment.candidate_name,
                                                     "stage": enrolment.current_stage.display_name})
    missing = [m for m in stage_results(enrolment, enrolment.current_stage) if not m.is_met]
    if missing:
        raise ValidationError([_("Before the review: %(requirement)s, %(done)s of %(target)s.")
                               % {"requirement": m.need.label, "done": rules.number(m.done),
                                  "target": m.need.target} for m in missing])
    if meeting.circle.kind != Circle.Kind.EXPERTS:
        raise ValidationError({"meeting": _("Certification is decided by the experts' "
                                            "circle: choose one of its meetings.")})
    if meeting.is_closed:
        raise ValidationError({"meeting": _("This meeting is closed: choose a coming one.")})
    if review_proposals(enrolment).filter(status=Proposal.Status.OPEN).exists():
        raise ValidationError(_("The certification of %(candidate)s is already on an agenda.")
                              % {"candidate": enrolment.candidate_name})
    if enrolment.user_id is None and not enrolment.person.email:
        raise ValidationError(_("%(candidate)s has no email address: a certified expert gets "
                                "an account of the network. Add their email first.")
                              % {"candidate": enrolment.candidate_name})
    title = _("Certification of %(candidate)s") % {"candidate": enrolment.candidate_name}
    item = decisions.agenda_item_add(meeting=meeting, title=title,
                                     kind=AgendaItem.Kind.PROPOSAL, by=by)
    summary = []
    for progress in enrolment.stages.select_related("stage").filter(completed_on__isnull=False):
        summary.append(_("- %(stage)s: completed on %(date)s")
                       % {"stage": progress.stage.display_name,
                          "date": date_format(progress.completed_on)})
    text = _("%(candidate)s is certified: %(title)s, and joins the circle of certified "
             "experts.\n\nPath: %(path)s (version %(version)s), started on %(start)s.\n"
             "%(stages)s") % {
        "candidate": enrolment.candidate_name, "title": enrolment.path.display_title,
        "path": enrolment.path.display_name, "version": enrolment.version.number,
        "start": date_format(enrolment.started_on), "stages": "\n".join(summary)}
    return decisions.proposal_submit(item=item, title=title, text=text, author=by, by=by,
                                     responsible=enrolment.mentor, subject=enrolment)


def _account_for(enrolment: Enrolment, by: User) -> User:
    """The candidate's user account; a contact gets one (in the enrolment's office) when
    certified, and an email to choose a password."""
    if enrolment.user_id:
        return enrolment.user
    person = enrolment.person
    if not person.email:
        raise ValidationError(_("%(candidate)s has no email address: a certified expert gets "
                                "an account of the network. Add their email first.")
                              % {"candidate": enrolment.candidate_name})
    existing = User.objects.filter(email__iexact=person.email).first()
    if existing is not None:
        return existing
    languages = dict(settings.LANGUAGES)
    user = User.objects.create_user(
        email=person.email, first_name=person.first_name or person.last_name,
        last_name=person.last_name, office=enrolment.office, is_consultant=True,
        language=person.language if person.language in languages else settings.LANGUAGE_CODE)
    from circles.services import password_reset_email_send

    transaction.on_commit(lambda: password_reset_email_send(user=user,
                                                            site_url=settings.SITE_URL))
    return user


@transaction.atomic
def certify(*, enrolment: Enrolment, decision: Decision, by: User) -> Certificate:
    """Certify the candidate on the strength of an adopted decision of the experts'
    circle: the certificate, membership of the circle, and the next stage."""
    enrolment = _locked(enrolment)
    if decision.pk is None or decision.circle.kind != Circle.Kind.EXPERTS:
        raise ValidationError(_("Only an adopted decision of the experts' circle certifies "
                                "a candidate."))
    if decision.subject_type_id != ContentType.objects.get_for_model(Enrolment).pk or \
            decision.subject_id != enrolment.pk:
        raise ValidationError(_("This decision is not about the certification of "
                                "%(candidate)s.") % {"candidate": enrolment.candidate_name})
    if Decision.objects.filter(supersedes=decision).exists():
        raise ValidationError(_("This decision was superseded."))
    _require_active(enrolment)
    if enrolment.current_stage.kind != Stage.Kind.REVIEW:
        raise ValidationError(_("%(candidate)s is not at the certification review (now: "
                                "“%(stage)s”).") % {"candidate": enrolment.candidate_name,
                                                     "stage": enrolment.current_stage.display_name})
    if Certificate.objects.filter(enrolment=enrolment).exists():
        raise ValidationError(_("%(candidate)s is already certified on this path.")
                              % {"candidate": enrolment.candidate_name})
    holder = _account_for(enrolment, by)
    if enrolment.user_id is None:
        enrolment.user = holder
        record_by(enrolment, by)
        enrolment.save(update_fields=["user"])
    certificate = Certificate(enrolment=enrolment, holder=holder,
                              holder_name=holder.get_full_name(), title=enrolment.path.title,
                              title_fr=enrolment.path.title_fr or enrolment.path.title,
                              decision=decision, issued_on=decision.decided_on)
    record_by(certificate, by)
    certificate.save()
    circle = decision.circle
    if not Membership.objects.current().filter(circle=circle, person=holder).exists():
        membership_add(circle=circle, person=holder, since=timezone.localdate(), by=by)
    _move_on(enrolment, by, timezone.localdate())
    from .tasks import issue_certificate

    transaction.on_commit(lambda: issue_certificate.delay(certificate.pk))
    return certificate


def on_decision_adopted(sender, *, decision: Decision, by: User, **kwargs) -> None:
    """A decision adopted in a meeting: if it decides a certification, certify."""
    if decision.subject_type_id == ContentType.objects.get_for_model(Enrolment).pk:
        certify(enrolment=Enrolment.objects.get(pk=decision.subject_id), decision=decision,
                by=by)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, by: User,
                       today: date | None = None) -> Certificate:
    """Revoke with a reason: the verification page says so, and the holder leaves the
    circle of certified experts."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.is_revoked:
        raise ValidationError(_("This certificate was already revoked on %(date)s.")
                              % {"date": date_format(certificate.revoked_on)})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason: it is kept with the "
                                           "certificate.")})
    today = today or timezone.localdate()
    certificate.revoked_on = today
    certificate.revoked_reason = reason.strip()
    certificate.revoked_by = by
    record_by(certificate, by)
    certificate.save(update_fields=["revoked_on", "revoked_reason", "revoked_by"])
    enrolment = Enrolment.objects.select_for_update().get(pk=certificate.enrolment_id)
    if enrolment.is_live:  # no continued development without the certificate
        enrolment.status = Enrolment.Status.WITHDRAWN
        record_by(enrolment, by)
        enrolment.save(update_fields=["status"])
    circle = experts_circle()
    if circle is not None and not Certificate.objects.valid().filter(
            holder_id=certificate.holder_id).exists():
        for membership in Membership.objects.filter(circle=circle, person_id=certificate.holder_id,
                                                    until__isnull=True):
            # A member until yesterday: from today the holder is no longer one.
            membership_end(membership=membership,
                           until=max(today - timedelta(days=1), membership.since), by=by)
    return certificate
