"""A realistic logbook for a few demo circles, recorded through the real services.

Idempotent: a circle that already has meetings is left alone. Past meetings are recorded
as they would have been; only their dates (and one decision's review date, to show one
due for review) are set back afterwards, as history the app did not witness.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from circles.models import Circle, OfficerRole, User

from . import services
from .models import Decision, Meeting, Proposal, ProposalVersion

# (circle name, secretary email, [(title, text, review in days, objection, amendment)])
LOGBOOKS = [
    ("TSG United Kingdom circle", "emma.taylor@tsg.example", [
        ("Weekly pipeline review",
         "Consultants review their open deals together every Monday at 9:00 for 30 "
         "minutes, phase by phase, starting with overdue next steps.",
         180, "Mondays at 9 clash with client calls booked at the start of the week.",
         "Consultants review their open deals together every Monday at 14:00 for 30 "
         "minutes, phase by phase, starting with overdue next steps."),
        ("Two experts at first meetings",
         "A first meeting with a prospect's decision makers is attended by two experts, "
         "one of them certified.", 365, None, None),
    ]),
    ("TSG General circle", "emma.taylor@tsg.example", [
        ("Monthly newsletter",
         "Each office sends its newsletter once a month, in the languages of its "
         "contacts, to those who consented.", 10, None, None),
    ]),
    ("TSG France circle", "pierre.lambert@tsg.example", [
        ("Persona « Dirigeante de PME »",
         "Le cercle adopte le persona « Dirigeante de PME » pour les campagnes de "
         "l'année, avec ses objections préparées.", 200,
         "Le persona ne dit pas la taille de l'entreprise : nos offres diffèrent au-delà "
         "de 50 salariés.",
         "Le cercle adopte le persona « Dirigeante de PME (15 personnes) » pour les "
         "campagnes de l'année, avec ses objections préparées."),
    ]),
]


def _adopt_all(proposal: Proposal, meeting: Meeting, secretary: User, present: list[User],
               objection: str | None, amendment: str | None):
    if objection and len(present) > 1:
        objector = present[-1]
        answer = services.consent_record(proposal=proposal, member=objector,
                                          answer="objection", argument=objection,
                                          by=secretary)
        services.proposal_amend(proposal=proposal, text=amendment or proposal.title,
                                change_reason=objection, resolves=[answer.pk],
                                by=secretary)
    for member in present:
        services.round_record(proposal=proposal, round="clarifying", member=member, text="",
                              by=secretary)
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=secretary)
    return services.proposal_adopt(proposal=proposal, by=secretary)


@transaction.atomic
def build_demo_logbook() -> dict[str, int]:
    created_meetings = 0
    now = timezone.now()
    for circle_name, secretary_email, proposals in LOGBOOKS:
        circle = Circle.objects.filter(name=circle_name).first()
        secretary = User.objects.filter(email=secretary_email).first()
        if circle is None or secretary is None or circle.meetings.exists():
            continue
        # A closed meeting two months ago: its proposals adopted, one after an objection.
        past = services.meeting_create(circle=circle, starts_at=now, by=secretary,
                                       place="Video call")
        services.attendance_all_present(meeting=past, by=secretary)
        present = [a.person for a in past.attendances.select_related("person")]
        for title, text, review_days, objection, amendment in proposals:
            item = services.agenda_item_add(meeting=past, title=title, kind="proposal",
                                            by=secretary)
            proposal = services.proposal_submit(
                item=item, title=title, text=text, author=secretary, by=secretary,
                review_date=timezone.localdate() + timedelta(days=review_days),
                evaluation_criteria="Reviewed against the pipeline report of the quarter.")
            _adopt_all(proposal, past, secretary, present, objection, amendment)
        if circle_name == "TSG United Kingdom circle":
            holding = OfficerRole.objects.held().filter(
                circle=circle, role=OfficerRole.Role.SECRETARY).select_related("person").first()
            if holding is not None:
                _elect(past, holding.person, secretary, present)
        services.meeting_close(meeting=past, minutes="A calm meeting; thanks to all.",
                               by=secretary)
        Meeting.objects.filter(pk=past.pk).update(
            starts_at=now - timedelta(days=60), closed_at=now - timedelta(days=60))
        Decision.objects.filter(meeting=past).update(
            decided_on=timezone.localdate() - timedelta(days=60))
        created_meetings += 1
        # The next meeting, in two days: a proposal on the agenda, rounds under way.
        upcoming = services.meeting_create(circle=circle, starts_at=now + timedelta(days=2),
                                           by=secretary, place="Office, room 2")
        services.attendance_all_present(meeting=upcoming, by=secretary)
        item = services.agenda_item_add(meeting=upcoming, title="Follow-up calls",
                                        kind="proposal", by=secretary)
        proposal = services.proposal_submit(
            item=item, title="Follow-up calls within a week",
            text="Every interaction with a prospect gets a follow-up call or email within "
                 "seven days, logged in the CRM.", author=secretary, by=secretary,
            review_date=timezone.localdate() + timedelta(days=120))
        first = upcoming.attendances.select_related("person").first()
        if first is not None:
            services.round_record(proposal=proposal, round="clarifying", member=first.person,
                                  text="Does an automatic newsletter count as follow-up?",
                                  by=secretary)
        created_meetings += 1
    # One decision of the General circle is now due for review, as the register shows.
    general = Decision.objects.filter(circle__name="TSG General circle").first()
    if general is not None and created_meetings:
        Decision.objects.filter(pk=general.pk).update(
            review_date=timezone.localdate() - timedelta(days=3))
        ProposalVersion.objects.filter(proposal=general.proposal).update(
            review_date=timezone.localdate() - timedelta(days=3))
    return {"meetings": created_meetings, "decisions": Decision.objects.count()}


def _elect(meeting: Meeting, candidate: User, secretary: User, present: list[User]) -> None:
    today = timezone.localdate()
    election = services.election_create(
        meeting=meeting, role=OfficerRole.Role.SECRETARY,
        role_description="Keeps the circle's logbook, prepares the agenda with the leader "
                         "and the facilitator, and sends the minutes.",
        term_start=today, term_end=today + timedelta(days=730), by=secretary)
    for member in present:
        services.nomination_record(election=election, nominator=member, nominee=candidate,
                                   reasons="Keeps a precise logbook.", by=secretary)
    proposal = services.election_propose(election=election, candidate=candidate,
                                         by=secretary)
    for member in present:
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=secretary)
    services.proposal_adopt(proposal=proposal, by=secretary)
