"""Writes of the circle logbook. Each runs in one transaction and locks what it changes,
so two secretaries recording at once get a clear refusal, never a half-saved round."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from circles.models import Circle, Membership, OfficerRole, User
from circles.services import officer_assign, record_by

from .models import (
    AgendaItem,
    Attendance,
    ConsentAnswer,
    Decision,
    Election,
    Meeting,
    Nomination,
    Proposal,
    ProposalVersion,
    Round,
    RoundEntry,
)
from .rules import AnswerFact, adoption_blockers
from .signals import decision_adopted


def _open_meeting(meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.is_closed:
        raise ValidationError(_("This meeting is closed: its logbook can no longer change."))
    return meeting


def _insert_once(create, message: str):
    """Run create() in a savepoint; a unique constraint hit means someone recorded it
    first (two secretaries at once): refuse with `message`, nothing half-saved."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError as error:
        raise ValidationError(message) from error


# --- Meetings ------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(*, circle: Circle, starts_at: datetime, by: User, place: str = "",
                   video_link: str = "", facilitator: User | None = None,
                   secretary: User | None = None) -> Meeting:
    """A meeting of the circle, with its current members on the attendance list in
    turn order (by name; the secretary can change it)."""
    roles = {h.role: h.person for h in OfficerRole.objects.held().filter(circle=circle)
             .select_related("person")}
    meeting = Meeting(circle=circle, starts_at=starts_at, place=place, video_link=video_link,
                      facilitator=facilitator or roles.get(OfficerRole.Role.FACILITATOR),
                      secretary=secretary or roles.get(OfficerRole.Role.SECRETARY),
                      created_by=by)
    meeting.full_clean()
    record_by(meeting, by)
    meeting.save()
    members = (Membership.objects.current(timezone.localdate(starts_at)).filter(circle=circle)
               .select_related("person").order_by("person__last_name", "person__first_name"))
    Attendance.objects.bulk_create([Attendance(meeting=meeting, person=m.person, position=n)
                                    for n, m in enumerate(members, start=1)])
    return meeting


@transaction.atomic
def attendance_set(*, meeting: Meeting, person: User, status: str, by: User) -> Attendance:
    meeting = _open_meeting(meeting)
    if status not in Attendance.Status.values:
        raise ValidationError({"status": _("Choose present, absent or excused.")})
    attendance = Attendance.objects.filter(meeting=meeting, person=person).first()
    if attendance is None:
        if not Membership.objects.current().filter(circle_id=meeting.circle_id,
                                                   person=person).exists():
            raise ValidationError(_("%(person)s is not a member of this circle.")
                                  % {"person": person})
        attendance = Attendance(meeting=meeting, person=person,
                                position=meeting.attendances.count() + 1)
    attendance.status = status
    record_by(attendance, by)
    attendance.save()
    if meeting.status == Meeting.Status.PLANNED:
        meeting.status = Meeting.Status.OPEN
        record_by(meeting, by)
        meeting.save(update_fields=["status"])
    return attendance


@transaction.atomic
def attendance_all_present(*, meeting: Meeting, by: User) -> int:
    meeting = _open_meeting(meeting)
    changed = 0
    for attendance in meeting.attendances.exclude(status=Attendance.Status.PRESENT):
        attendance.status = Attendance.Status.PRESENT
        record_by(attendance, by)
        attendance.save(update_fields=["status"])
        changed += 1
    if meeting.status == Meeting.Status.PLANNED:
        meeting.status = Meeting.Status.OPEN
        meeting.save(update_fields=["status"])
    return changed


def _present_ids(meeting: Meeting) -> list[int]:
    return list(meeting.attendances.filter(status=Attendance.Status.PRESENT)
                .order_by("position", "pk").values_list("person_id", flat=True))


def _require_present(meeting: Meeting, member: User) -> None:
    if member.pk not in _present_ids(meeting):
        raise ValidationError(_("%(member)s is not marked present at this meeting: only "
                                "members present take part in the rounds.")
                              % {"member": member})


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, title: str, kind: str, notes: str = "",
                    by: User) -> AgendaItem:
    meeting = _open_meeting(meeting)
    last = meeting.items.aggregate(n=models.Max("position"))["n"] or 0
    item = AgendaItem(meeting=meeting, title=title, kind=kind, notes=notes, position=last + 1)
    item.full_clean()
    record_by(item, by)
    item.save()
    return item


@transaction.atomic
def meeting_close(*, meeting: Meeting, minutes: str, by: User) -> Meeting:
    """Close the meeting; the minutes PDF is rendered and sent to the members after
    commit. Open proposals stay open for a later meeting."""
    meeting = _open_meeting(meeting)
    meeting.minutes = minutes
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = timezone.now()
    record_by(meeting, by)
    meeting.save(update_fields=["minutes", "status", "closed_at"])
    from .tasks import send_meeting_minutes

    transaction.on_commit(lambda: send_meeting_minutes.delay(meeting.pk))
    return meeting


# --- Proposals and rounds -------------------------------------------------------------------


def _locked_proposal(proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.OPEN:
        raise ValidationError(_("This proposal is %(status)s: it can no longer change.")
                              % {"status": proposal.get_status_display().lower()})
    return proposal


def latest_version(proposal: Proposal) -> ProposalVersion:
    return proposal.versions.order_by("-number").first()


@transaction.atomic
def proposal_submit(*, item: AgendaItem, title: str, text: str, author: User, by: User,
                    evaluation_criteria: str = "", review_date: date | None = None,
                    responsible: User | None = None,
                    subject: models.Model | None = None) -> Proposal:
    """A proposal on an agenda item; `subject` is what it decides on (its decision keeps
    the link)."""
    meeting = _open_meeting(item.meeting)
    if hasattr(item, "proposal"):
        raise ValidationError(_("This agenda item already has a proposal."))
    if review_date and review_date <= timezone.localdate():
        raise ValidationError({"review_date": _("A review date lies in the future.")})
    proposal = Proposal(circle_id=meeting.circle_id, item=item, title=title, author=author,
                        responsible=responsible, version_count=1)
    if subject is not None:
        proposal.subject_type = ContentType.objects.get_for_model(subject)
        proposal.subject_id = subject.pk
    proposal.full_clean()
    record_by(proposal, by)
    proposal.save()
    ProposalVersion.objects.create(proposal=proposal, number=1, text=text,
                                   evaluation_criteria=evaluation_criteria,
                                   review_date=review_date, created_by=by)
    return proposal


@transaction.atomic
def proposal_amend(*, proposal: Proposal, text: str, change_reason: str, by: User,
                   evaluation_criteria: str | None = None, review_date: date | None = None,
                   resolves: list[int] | None = None,
                   expected_version: int | None = None) -> ProposalVersion:
    """Amend: a new version; the objections it answers are resolved by it. The consent
    round then starts again on the new version."""
    proposal = _locked_proposal(proposal)
    if expected_version is not None and expected_version != proposal.version_count:
        raise ValidationError(_("Someone amended this proposal meanwhile (now version "
                                "%(number)s): read it again before amending.")
                              % {"number": proposal.version_count})
    if not change_reason.strip():
        raise ValidationError({"change_reason": _("Say why the proposal changes: the "
                                                  "history shows it.")})
    if review_date and review_date <= timezone.localdate():
        raise ValidationError({"review_date": _("A review date lies in the future.")})
    previous = latest_version(proposal)
    proposal.version_count += 1
    proposal.save(update_fields=["version_count"])
    version = ProposalVersion.objects.create(
        proposal=proposal, number=proposal.version_count, text=text,
        evaluation_criteria=previous.evaluation_criteria if evaluation_criteria is None
        else evaluation_criteria,
        review_date=review_date or previous.review_date, change_reason=change_reason,
        created_by=by)
    if resolves:
        objections = ConsentAnswer.objects.filter(
            version__proposal=proposal, pk__in=resolves, answer=ConsentAnswer.Answer.OBJECTION,
            resolution=ConsentAnswer.Resolution.OPEN)
        for objection in objections:
            objection.resolution = ConsentAnswer.Resolution.AMENDED
            objection.resolved_by = version
            objection.resolved_at = timezone.now()
            record_by(objection, by)
            objection.save(update_fields=["resolution", "resolved_by", "resolved_at"])
    return version


@transaction.atomic
def round_record(*, proposal: Proposal, round: str, member: User, text: str,
                 by: User) -> RoundEntry:
    """A clarifying question or quick reaction of a present member on the latest version."""
    proposal = _locked_proposal(proposal)
    if round not in (Round.CLARIFYING, Round.REACTIONS):
        raise ValidationError(_("Unknown round."))
    meeting = proposal.item.meeting if proposal.item else None
    if meeting is None:
        raise ValidationError(_("This proposal is on no meeting's agenda."))
    _open_meeting(meeting)
    _require_present(meeting, member)
    version = latest_version(proposal)
    return _insert_once(
        lambda: RoundEntry.objects.create(version=version, round=round, member=member,
                                          text=text, recorded_by=by),
        _("%(member)s's turn in this round is already recorded.") % {"member": member})


@transaction.atomic
def consent_record(*, proposal: Proposal, member: User, answer: str, by: User,
                   argument: str = "") -> ConsentAnswer:
    """A present member's consent or objection (with its argument) on the latest version."""
    proposal = _locked_proposal(proposal)
    meeting = proposal.item.meeting if proposal.item else None
    if meeting is None:
        raise ValidationError(_("This proposal is on no meeting's agenda."))
    _open_meeting(meeting)
    _require_present(meeting, member)
    if answer not in ConsentAnswer.Answer.values:
        raise ValidationError({"answer": _("Record consent or an objection.")})
    if answer == ConsentAnswer.Answer.OBJECTION and not argument.strip():
        raise ValidationError({"argument": _("An objection carries its argument: what "
                                             "would go wrong, and why.")})
    version = latest_version(proposal)
    return _insert_once(
        lambda: _save_answer(ConsentAnswer(version=version, member=member, answer=answer,
                                           argument=argument.strip(), recorded_by=by), by),
        _("%(member)s has already answered in this consent round (version %(number)s).")
        % {"member": member, "number": version.number})


def _save_answer(answer: ConsentAnswer, by: User) -> ConsentAnswer:
    record_by(answer, by)
    answer.save()
    return answer


@transaction.atomic
def objection_withdraw(*, objection: ConsentAnswer, by: User) -> ConsentAnswer:
    _locked_proposal(objection.version.proposal)
    objection = ConsentAnswer.objects.select_for_update().get(pk=objection.pk)
    if not objection.is_open_objection:
        raise ValidationError(_("This objection is not open."))
    objection.resolution = ConsentAnswer.Resolution.WITHDRAWN
    objection.resolved_at = timezone.now()
    record_by(objection, by)
    objection.save(update_fields=["resolution", "resolved_at"])
    return objection


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by: User) -> Proposal:
    proposal = _locked_proposal(proposal)
    now = timezone.now()
    for objection in ConsentAnswer.objects.filter(
            version__proposal=proposal, answer=ConsentAnswer.Answer.OBJECTION,
            resolution=ConsentAnswer.Resolution.OPEN):
        objection.resolution = ConsentAnswer.Resolution.PROPOSAL_WITHDRAWN
        objection.resolved_at = now
        record_by(objection, by)
        objection.save(update_fields=["resolution", "resolved_at"])
    proposal.status = Proposal.Status.WITHDRAWN
    record_by(proposal, by)
    proposal.save(update_fields=["status"])
    if hasattr(proposal, "election"):
        election = proposal.election
        election.status = Election.Status.WITHDRAWN
        election.save(update_fields=["status"])
    return proposal


def adoption_check(proposal: Proposal) -> list[str]:
    """Why `proposal` cannot be adopted now (empty: it can)."""
    meeting = proposal.item.meeting if proposal.item else None
    if meeting is None:
        return [_("This proposal is on no meeting's agenda.")]
    present = _present_ids(meeting)
    version = latest_version(proposal)
    answers = [AnswerFact(member_id=a.member_id, version_number=a.version.number,
                          consents=a.answer == ConsentAnswer.Answer.CONSENT,
                          open_objection=a.is_open_objection)
               for a in ConsentAnswer.objects.filter(version__proposal=proposal)
               .select_related("version")]
    names = {u.pk: str(u) for u in User.objects.filter(
        pk__in=set(present) | {a.member_id for a in answers})}
    return adoption_blockers(present=present, latest_version=version.number,
                             answers=answers, names=names)


@transaction.atomic
def proposal_adopt(*, proposal: Proposal, by: User, supersedes: Decision | None = None,
                   change: str = "", subject: models.Model | None = None) -> Decision:
    """Adopt the proposal as a decision of the circle, if the consent rules allow it.
    For an election, the elected person takes the role in the same transaction."""
    proposal = _locked_proposal(proposal)
    problems = adoption_check(proposal)
    if problems:
        raise ValidationError(problems)
    meeting = proposal.item.meeting
    version = latest_version(proposal)
    if supersedes is not None:
        if supersedes.circle_id != proposal.circle_id:
            raise ValidationError(_("A decision amends or replaces only a decision of the "
                                    "same circle."))
        if Decision.objects.filter(supersedes=supersedes).exists():
            raise ValidationError(_("%(decision)s is already superseded.")
                                  % {"decision": supersedes})
        change = change or Decision.Change.REPLACES
    election = getattr(proposal, "election", None)
    if election is not None:
        holding = officer_assign(circle=proposal.circle, person=election.candidate,
                                 role=election.role, started_on=election.term_start,
                                 term_end=election.term_end, by=by)
        election.status = Election.Status.ELECTED
        election.holding = holding
        record_by(election, by)
        election.save(update_fields=["status", "holding"])
        subject = holding
    if subject is None and proposal.subject_type_id:
        subject = proposal.subject
    decision = Decision(
        circle_id=proposal.circle_id, meeting=meeting, proposal=proposal, title=proposal.title,
        text=version.text, evaluation_criteria=version.evaluation_criteria,
        decided_on=timezone.localdate(meeting.starts_at), review_date=version.review_date,
        responsible=proposal.responsible, supersedes=supersedes,
        change=change if supersedes else "", recorded_by=by)
    if subject is not None:
        decision.subject_type = ContentType.objects.get_for_model(subject)
        decision.subject_id = subject.pk
    decision.save()
    decision.consenting.set(ConsentAnswer.objects.filter(
        version=version, answer=ConsentAnswer.Answer.CONSENT).values_list("member_id",
                                                                          flat=True))
    proposal.status = Proposal.Status.ADOPTED
    record_by(proposal, by)
    proposal.save(update_fields=["status"])
    # What the decision decides on acts on it here, in the same transaction: a refusal
    # (a ValidationError) undoes the adoption and comes back to the secretary.
    decision_adopted.send(sender=Decision, decision=decision, by=by)
    return decision


# --- Elections ------------------------------------------------------------------------------


@transaction.atomic
def election_create(*, meeting: Meeting, role: str, role_description: str, term_start: date,
                    term_end: date, by: User) -> Election:
    meeting = _open_meeting(meeting)
    if role not in dict(Election.ELECTABLE):
        raise ValidationError({"role": _("Only the facilitator, the secretary and the second "
                                         "link are elected.")})
    if term_end <= term_start:
        raise ValidationError({"term_end": _("The term must end after it starts.")})
    if not role_description.strip():
        raise ValidationError({"role_description": _("Describe the role before electing "
                                                     "someone to it.")})
    label = dict(Election.ELECTABLE)[role]
    item = agenda_item_add(meeting=meeting, title=_("Election: %(role)s") % {"role": label},
                           kind=AgendaItem.Kind.ELECTION, by=by)
    election = Election(meeting=meeting, item=item, role=role,
                        role_description=role_description, term_start=term_start,
                        term_end=term_end)
    record_by(election, by)
    election.save()
    return election


def _locked_election(election: Election, *statuses: str) -> Election:
    election = Election.objects.select_for_update().select_related("meeting").get(
        pk=election.pk)
    _open_meeting(election.meeting)
    if election.status not in statuses:
        raise ValidationError(_("The election is at another step (%(status)s).")
                              % {"status": election.get_status_display().lower()})
    return election


@transaction.atomic
def nomination_record(*, election: Election, nominator: User, nominee: User, by: User,
                      reasons: str = "") -> Nomination:
    election = _locked_election(election, Election.Status.NOMINATING, Election.Status.CHANGES)
    _require_present(election.meeting, nominator)
    if not Membership.objects.current().filter(circle_id=election.meeting.circle_id,
                                               person=nominee).exists():
        raise ValidationError({"nominee": _("%(person)s is not a member of this circle: "
                                            "only members are elected.")
                               % {"person": nominee}})
    round = (Nomination.Round.NOMINATION if election.status == Election.Status.NOMINATING
             else Nomination.Round.CHANGE)
    return _insert_once(
        lambda: Nomination.objects.create(election=election, round=round, nominator=nominator,
                                          nominee=nominee, reasons=reasons.strip(),
                                          recorded_by=by),
        _("%(member)s's nomination in this round is already recorded.")
        % {"member": nominator})


@transaction.atomic
def election_change_round(*, election: Election, by: User) -> Election:
    election = _locked_election(election, Election.Status.NOMINATING)
    if not election.nominations.exists():
        raise ValidationError(_("Record the nominations before the change round."))
    election.status = Election.Status.CHANGES
    record_by(election, by)
    election.save(update_fields=["status"])
    return election


@transaction.atomic
def election_propose(*, election: Election, candidate: User, by: User) -> Proposal:
    """The facilitator proposes a candidate: a proposal the circle then consents to."""
    election = _locked_election(election, Election.Status.NOMINATING, Election.Status.CHANGES)
    if not election.nominations.filter(nominee=candidate).exists():
        raise ValidationError({"candidate": _("Propose someone who was nominated.")})
    role = election.get_role_display()
    text = _("%(person)s holds the role of %(role)s from %(start)s until %(end)s.\n\n"
             "%(description)s") % {"person": candidate, "role": role.lower(),
                                   "start": date_format(election.term_start),
                                   "end": date_format(election.term_end),
                                   "description": election.role_description}
    proposal = Proposal(circle_id=election.meeting.circle_id, item=election.item,
                        title=_("%(person)s elected %(role)s") % {"person": candidate,
                                                                   "role": role.lower()},
                        author=by, responsible=candidate, version_count=1)
    record_by(proposal, by)
    proposal.save()
    ProposalVersion.objects.create(proposal=proposal, number=1, text=text,
                                   review_date=election.term_end, created_by=by)
    election.candidate = candidate
    election.proposal = proposal
    election.status = Election.Status.CONSENT
    record_by(election, by)
    election.save(update_fields=["candidate", "proposal", "status"])
    return proposal
