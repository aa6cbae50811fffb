"""Reads of the logbook: a meeting with all its rounds, the decision register."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from circles.models import Circle, User
from circles.selectors import can_manage_circle

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


def can_record(user: User, circle: Circle, meeting: Meeting | None = None) -> bool:
    """Who keeps a circle's logbook: network admins, the circle's secretary, the
    secretary of the circle above (as for its structure), and the meeting's secretary."""
    if not user.is_authenticated:
        return False
    if meeting is not None and meeting.secretary_id == user.pk:
        return True
    return can_manage_circle(user, circle)


@dataclass
class MemberTurn:
    attendance: Attendance
    clarifying: RoundEntry | None = None
    reaction: RoundEntry | None = None
    answer: ConsentAnswer | None = None

    @property
    def person(self) -> User:
        return self.attendance.person

    @property
    def present(self) -> bool:
        return self.attendance.status == Attendance.Status.PRESENT


@dataclass
class VersionRounds:
    """What was said on one version, member by member (the members present)."""

    version: ProposalVersion
    turns: list[MemberTurn]

    @property
    def anything_said(self) -> bool:
        return any(t.clarifying or t.reaction or t.answer for t in self.turns)


@dataclass
class ProposalState:
    proposal: Proposal
    versions: list[ProposalVersion]
    turns: list[MemberTurn]
    objections: list[ConsentAnswer]
    blockers: list[str]
    decision: Decision | None = None
    rounds: list[VersionRounds] = field(default_factory=list)

    @property
    def earlier_rounds(self) -> list[VersionRounds]:
        return [r for r in self.rounds[:-1] if r.anything_said]

    @property
    def is_election(self) -> bool:
        return hasattr(self.proposal, "election")

    @property
    def latest(self) -> ProposalVersion:
        return self.versions[-1]

    @property
    def open_objections(self) -> list[ConsentAnswer]:
        return [o for o in self.objections if o.is_open_objection]

    @property
    def can_adopt(self) -> bool:
        return self.proposal.status == Proposal.Status.OPEN and not self.blockers


@dataclass
class ItemState:
    item: AgendaItem
    proposal: ProposalState | None = None
    election: Election | None = None
    nominations: list[Nomination] = field(default_factory=list)


def meeting_logbook(meeting: Meeting) -> dict:
    """Everything recorded at a meeting, in ten queries whatever its size."""
    attendances = list(meeting.attendances.select_related("person"))
    present = [a.person_id for a in attendances if a.status == Attendance.Status.PRESENT]
    names = {a.person_id: str(a.person) for a in attendances}
    items = list(meeting.items.all())
    proposals = {p.item_id: p for p in Proposal.objects.filter(item__meeting=meeting)
                 .select_related("author", "responsible", "election")}
    versions: dict[int, list[ProposalVersion]] = defaultdict(list)
    for version in ProposalVersion.objects.filter(proposal__in=proposals.values()) \
            .select_related("created_by").order_by("number"):
        versions[version.proposal_id].append(version)
    entries = defaultdict(dict)
    for entry in RoundEntry.objects.filter(version__proposal__in=proposals.values()):
        entries[entry.version_id][(entry.round, entry.member_id)] = entry
    answers: dict[int, list[ConsentAnswer]] = defaultdict(list)
    for answer in ConsentAnswer.objects.filter(version__proposal__in=proposals.values()) \
            .select_related("member", "version", "resolved_by"):
        answers[answer.version.proposal_id].append(answer)
    elections = {e.item_id: e for e in meeting.elections.select_related("candidate")}
    nominations = defaultdict(list)
    for nomination in Nomination.objects.filter(election__meeting=meeting) \
            .select_related("nominator", "nominee"):
        nominations[nomination.election_id].append(nomination)
    decisions = {d.proposal_id: d for d in meeting.decisions.all()}
    for user in User.objects.filter(pk__in={a.member_id for v in answers.values() for a in v}
                                    - set(names)):
        names[user.pk] = str(user)

    states = []
    for item in items:
        state = ItemState(item=item)
        proposal = proposals.get(item.pk)
        if proposal is not None:
            proposal_versions = versions[proposal.pk]
            latest = proposal_versions[-1]
            rounds = []
            for version in proposal_versions:
                said = entries.get(version.pk, {})
                by_member = {a.member_id: a for a in answers[proposal.pk]
                             if a.version_id == version.pk}
                rounds.append(VersionRounds(version=version, turns=[
                    MemberTurn(attendance=a,
                               clarifying=said.get((Round.CLARIFYING, a.person_id)),
                               reaction=said.get((Round.REACTIONS, a.person_id)),
                               answer=by_member.get(a.person_id))
                    for a in attendances]))
            turns = rounds[-1].turns
            facts = [AnswerFact(member_id=a.member_id, version_number=a.version.number,
                                consents=a.answer == ConsentAnswer.Answer.CONSENT,
                                open_objection=a.is_open_objection)
                     for a in answers[proposal.pk]]
            blockers = adoption_blockers(present=present, latest_version=latest.number,
                                         answers=facts, names=names) \
                if proposal.status == Proposal.Status.OPEN else []
            state.proposal = ProposalState(
                proposal=proposal, versions=proposal_versions, turns=turns,
                objections=[a for a in answers[proposal.pk]
                            if a.answer == ConsentAnswer.Answer.OBJECTION],
                blockers=blockers, decision=decisions.get(proposal.pk), rounds=rounds)
        election = elections.get(item.pk)
        if election is not None:
            state.election = election
            state.nominations = nominations[election.pk]
        states.append(state)
    return {"meeting": meeting, "attendances": attendances, "present_count": len(present),
            "items": states, "decisions": list(decisions.values())}


def decision_register(user: User, *, circle: Circle | None = None, q: str = "",
                      status: str = "", since: date | None = None,
                      until: date | None = None) -> QuerySet[Decision]:
    decisions = (Decision.objects.visible_to(user)
                 .select_related("circle", "circle__office", "superseded_by", "supersedes"))
    if circle is not None:
        decisions = decisions.filter(circle=circle)
    for word in q.split():
        decisions = decisions.filter(Q(title__icontains=word) | Q(text__icontains=word))
    if since:
        decisions = decisions.filter(decided_on__gte=since)
    if until:
        decisions = decisions.filter(decided_on__lte=until)
    today = timezone.localdate()
    if status == "in_force":
        decisions = decisions.in_force().filter(Q(review_date__isnull=True)
                                                | Q(review_date__gt=today))
    elif status == "review":
        decisions = decisions.due_for_review(today)
    elif status == "superseded":
        decisions = decisions.filter(superseded_by__isnull=False)
    return decisions.order_by("-decided_on", "-pk")


def decision_chain(decision: Decision) -> list[Decision]:
    """The decisions this one amends or replaces, and those that amend or replace it,
    oldest first (a handful of queries: chains are short)."""
    chain = [decision]
    current = decision
    while current.supersedes_id:
        current = Decision.objects.select_related("circle").get(pk=current.supersedes_id)
        chain.insert(0, current)
    current = decision
    while True:
        following = Decision.objects.filter(supersedes=current).first()
        if following is None:
            break
        chain.append(following)
        current = following
    return chain
