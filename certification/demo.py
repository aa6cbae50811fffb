"""Demo certification paths: founding certified experts with their certificates, one
certificate revoked, and candidates at every stage, recorded through the real services.

The founders' path happened before the app: their evidence and completed stages are
written as history (dates set back), then the experts' circle certifies them in a past
meeting through the real consent process. Candidates after them are followed through the
services, with founders as mentors. Idempotent: nothing happens if certificates exist.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from circles.decisions import services as logbook
from circles.decisions.models import Decision, Meeting
from circles.models import Circle, OfficerRole, User
from contacts.models import Person
from pipeline.models import Deal

from . import services
from .models import Certificate, Enrolment, Evidence, Path, StageProgress

FOUNDERS = ["genevieve.tremblay@tsg.example", "isabelle.peeters@tsg.example",
            "joost.bakker@tsg.example", "julien.bernard@tsg.example",
            "james.wright@tsg.example", "annewies.devries@tsg.example",
            "javier.martinez@tsg.example", "sophie.dubois@tsg.example",
            "pieter.janssens@tsg.example"]
REVOKED = ("pieter.janssens@tsg.example",
           "Left the network and no longer takes part in the exchange of practice.")
# (candidate email, mentor email, stage position reached, how far in it (0–1), status)
CANDIDATES = [
    ("emma.taylor@tsg.example", "james.wright@tsg.example", 1, 0.5, "active"),
    ("oliver.brown@tsg.example", "james.wright@tsg.example", 2, 0.4, "active"),
    ("femke.visser@tsg.example", "joost.bakker@tsg.example", 2, 0.3, "paused"),
    ("camille.martin@tsg.example", "julien.bernard@tsg.example", 3, 0.6, "active"),
    ("carmen.lopez@tsg.example", "javier.martinez@tsg.example", 4, 1.0, "active"),
    ("helene.dupont@tsg.example", "isabelle.peeters@tsg.example", 3, 1.0, "active"),
]
LATE = "oliver.brown@tsg.example"


def _history(enrolment: Enrolment, by: User, *, stage_count: int, started_days_ago: int,
             mentor: User | None) -> None:
    """Write the evidence and completed stages of a path walked before the app existed."""
    today = timezone.localdate()
    day = today - timedelta(days=started_days_ago)
    Enrolment.objects.filter(pk=enrolment.pk).update(started_on=day)
    progresses = list(enrolment.stages.select_related("stage").order_by("stage__position"))
    for progress in progresses[:stage_count]:
        stage = progress.stage
        begins = day
        for requirement in stage.requirements.all():
            repeat = 1 if requirement.kind == Evidence.Kind.HOURS else requirement.target
            for n in range(repeat):
                entry = Evidence(
                    enrolment=enrolment, stage=stage, kind=requirement.kind,
                    occurred_on=day + timedelta(days=n),
                    quantity=Decimal(requirement.target) if requirement.kind == "hours" else 1,
                    title=f"{requirement.label} {n + 1}",
                    text="Recorded from the paper file." if requirement.kind in (
                        "reflection", "assessment") else "",
                    recorded_by=mentor if requirement.kind == "assessment" and mentor else by)
                if requirement.kind == Evidence.Kind.DOCUMENT:
                    entry.document.save("dossier.txt", ContentFile(b"Certification dossier"),
                                        save=False)
                entry.save()
        day += timedelta(days=stage.expected_days or 30)
        StageProgress.objects.filter(pk=progress.pk).update(
            started_on=begins, due_on=day, completed_on=min(day, today))
    if stage_count < len(progresses):
        current = progresses[stage_count]
        StageProgress.objects.filter(pk=current.pk).update(
            started_on=min(day, today),
            due_on=min(day, today) + timedelta(days=current.stage.expected_days or 365))
        Enrolment.objects.filter(pk=enrolment.pk).update(current_stage=current.stage)


def _record_some(enrolment: Enrolment, by: User, share: float) -> None:
    """Evidence for a share of each requirement of the current stage, via the services."""
    enrolment.refresh_from_db()
    stage = enrolment.current_stage
    today = timezone.localdate()
    for requirement in stage.requirements.all():
        done = int(requirement.target * share)
        if requirement.kind == Evidence.Kind.ASSESSMENT:
            recorder = enrolment.mentor
        else:
            recorder = enrolment.user or by
        if requirement.kind == Evidence.Kind.HOURS and done:
            services.evidence_record(enrolment=enrolment, stage=stage, kind="hours",
                                     by=recorder, quantity=Decimal(done),
                                     occurred_on=today - timedelta(days=10),
                                     title="Study and practice")
            continue
        for n in range(done):
            document = (ContentFile(b"Certification dossier", name="dossier.txt")
                        if requirement.kind == Evidence.Kind.DOCUMENT else None)
            services.evidence_record(
                enrolment=enrolment, stage=stage, kind=requirement.kind, by=recorder,
                occurred_on=today - timedelta(days=3 * (done - n)),
                title=f"{requirement.label} {n + 1}", document=document,
                text="Clear progress; ready for the next step." if requirement.kind in (
                    "reflection", "assessment") else "")


def _consent_all(meeting: Meeting, secretary: User, proposal) -> Decision:
    for attendance in meeting.attendances.filter(status="present").select_related("person"):
        logbook.consent_record(proposal=proposal, member=attendance.person, answer="consent",
                               by=secretary)
    return logbook.proposal_adopt(proposal=proposal, by=secretary)


@transaction.atomic
def build_demo_certification() -> dict[str, int]:
    path = Path.objects.filter(active=True).order_by("pk").first()
    circle = Circle.objects.filter(kind=Circle.Kind.EXPERTS, office__isnull=True).first()
    if path is None or circle is None or Certificate.objects.exists():
        return {"certificates": Certificate.objects.count(),
                "enrolments": Enrolment.objects.count()}
    people = {u.email: u for u in User.objects.filter(
        email__in=FOUNDERS + [c[0] for c in CANDIDATES] + [c[1] for c in CANDIDATES])}
    secretary = (OfficerRole.objects.held().filter(circle=circle, role="secretary")
                 .select_related("person").first())
    secretary = secretary.person if secretary else people[FOUNDERS[0]]
    now = timezone.now()

    # The founders, certified a year ago in a meeting of the experts' circle.
    founding = logbook.meeting_create(circle=circle, starts_at=now, by=secretary,
                                      place="Network days, Brussels")
    logbook.attendance_all_present(meeting=founding, by=secretary)
    stages = path.current_version().stages.count()
    for n, email in enumerate(FOUNDERS):
        founder = people.get(email)
        if founder is None:
            continue
        enrolment = services.enrol(path=path, office=founder.office, user=founder,
                                   by=secretary)
        mentor = people.get(FOUNDERS[n - 1]) if n else None
        _history(enrolment, secretary, stage_count=stages - 2, started_days_ago=1500 + 40 * n,
                 mentor=mentor)
        _history_review(enrolment, secretary, mentor or founder)
        enrolment.refresh_from_db()
        proposal = services.review_propose(enrolment=enrolment, meeting=founding,
                                           by=secretary)
        _consent_all(founding, secretary, proposal)
    logbook.meeting_close(meeting=founding, minutes="The founding certifications.",
                          by=secretary)
    year_ago = now - timedelta(days=365)
    Meeting.objects.filter(pk=founding.pk).update(starts_at=year_ago, closed_at=year_ago)
    Decision.objects.filter(meeting=founding).update(decided_on=year_ago.date())
    Certificate.objects.update(issued_on=year_ago.date())
    StageProgress.objects.filter(completed_on=timezone.localdate()).update(
        completed_on=year_ago.date())
    StageProgress.objects.filter(started_on=timezone.localdate(),
                                 enrolment__certificate__isnull=False).update(
        started_on=year_ago.date())

    revoked = Certificate.objects.filter(holder__email=REVOKED[0]).first()
    if revoked is not None:
        services.certificate_revoke(certificate=revoked, reason=REVOKED[1],
                                    by=people[FOUNDERS[0]])

    # Candidates at every stage, mentored by founders.
    for email, mentor_email, position, share, status in CANDIDATES:
        candidate, mentor = people.get(email), people.get(mentor_email)
        if candidate is None or mentor is None:
            continue
        enrolment = services.enrol(path=path, office=candidate.office, user=candidate,
                                   mentor=mentor, by=mentor)
        if position > 1:
            before = enrolment.version.stages.filter(position__lt=position)
            walked = sum(stage.expected_days or 0 for stage in before)
            _history(enrolment, mentor, stage_count=position - 1,
                     started_days_ago=walked + 40 * position, mentor=mentor)
        _record_some(enrolment, mentor, share)
        if email == "helene.dupont@tsg.example":
            services.stage_advance(enrolment=enrolment, by=mentor)
            _record_some(enrolment, mentor, 1.0)
        if email == LATE:
            StageProgress.objects.filter(enrolment=enrolment,
                                         stage=enrolment.current_stage).update(
                due_on=timezone.localdate() - timedelta(days=12))
        if status == "paused":
            services.status_set(enrolment=enrolment, status="paused", by=mentor)

    # Two reviews on the agenda of the circle's next meeting, for its secretary to run.
    upcoming = logbook.meeting_create(circle=circle, starts_at=now + timedelta(days=5),
                                      by=secretary, place="Video call")
    for enrolment in Enrolment.objects.filter(
            status="active", current_stage__kind="review",
            certificate__isnull=True).order_by("pk"):
        services.review_propose(enrolment=enrolment, meeting=upcoming, by=secretary)

    # A client from the post-selling phase, driven to the path by their consultant.
    deal = (Deal.objects.filter(status=Deal.Status.WON, person__isnull=False,
                                person__email__gt="", office__name__contains="United Kingdom")
            .select_related("person", "owner").order_by("pk").first())
    if deal is not None and deal.owner is not None:
        client: Person = deal.person
        services.enrol(path=path, office=client.office, person=client, by=deal.owner,
                       mentor=people.get("james.wright@tsg.example"), source_deal=deal,
                       notes="Asked about certification at the satisfaction review.")
    return {"certificates": Certificate.objects.count(),
            "enrolments": Enrolment.objects.count()}


def _history_review(enrolment: Enrolment, by: User, assessor: User) -> None:
    """The founder's certification dossier and recommendation, from the paper file."""
    enrolment.refresh_from_db()
    stage = enrolment.current_stage
    entry = Evidence(enrolment=enrolment, stage=stage, kind=Evidence.Kind.DOCUMENT,
                     title="Certification dossier", recorded_by=by,
                     occurred_on=timezone.localdate() - timedelta(days=30))
    entry.document.save("dossier.txt", ContentFile(b"Certification dossier"), save=False)
    entry.save()
    Evidence.objects.create(enrolment=enrolment, stage=stage, kind=Evidence.Kind.ASSESSMENT,
                            title="Recommendation", text="Ready for certification.",
                            recorded_by=assessor,
                            occurred_on=timezone.localdate() - timedelta(days=20))
