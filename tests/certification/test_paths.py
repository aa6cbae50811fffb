"""Certification paths through their services: enrolment, evidence, stage progression,
certification by a decision of the experts' circle, revocation, versions of a path."""

import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from certification import services
from certification.models import Certificate, Enrolment, Evidence, Stage, StageProgress
from certification.permissions import is_certified
from circles.decisions import services as logbook
from circles.decisions.models import Decision
from circles.models import Membership, OfficerRole
from tests.factories import (
    CircleFactory,
    PersonFactory,
    UserFactory,
    certified_expert,
    certify_by_decision,
    experts_circle,
    give_role,
    join,
    network_path,
    walk_to_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor(office_a):
    expert = UserFactory(email="mentor@example.org", office=office_a)
    certified_expert(expert)
    return expert


@pytest.fixture
def enrolment(consultant_a, mentor, lead_a):
    return services.enrol(path=network_path(), office=consultant_a.office, user=consultant_a,
                          mentor=mentor, by=lead_a)


def record(enrolment, kind, by, **fields):
    enrolment.refresh_from_db()
    return services.evidence_record(enrolment=enrolment, stage=enrolment.current_stage,
                                    kind=kind, by=by, **fields)


def finish_basic_training(enrolment, by):
    for n in range(4):
        record(enrolment, "attendance", by, title=f"Day {n + 1}")
    record(enrolment, "reflection", by, text="Consent is not a vote.")


# --- Enrolment --------------------------------------------------------------------------------


def test_enrolment_plans_every_stage_from_its_expected_duration(enrolment):
    progress = list(enrolment.stages.select_related("stage").order_by("stage__position"))
    assert [p.stage.name for p in progress] == [
        "Basic training", "LEADERSHIP programme", "Community of practice",
        "Certification review", "Continued development"]
    start = enrolment.started_on
    assert progress[0].started_on == start
    assert progress[0].due_on == start + timedelta(days=60)
    assert progress[1].due_on == start + timedelta(days=60 + 548)  # 18 months
    assert progress[1].started_on is None
    assert progress[4].due_on is None  # open-ended
    assert enrolment.current_stage == progress[0].stage
    assert enrolment.version.number == 1


def test_a_mentor_must_be_a_certified_expert(consultant_a, colleague_a, lead_a):
    with pytest.raises(ValidationError) as error:
        services.enrol(path=network_path(), office=consultant_a.office, user=consultant_a,
                       mentor=colleague_a, by=lead_a)
    assert "not a certified expert" in error.value.message_dict["mentor"][0]
    assert not Enrolment.objects.exists()


def test_nobody_mentors_themselves_and_a_revoked_expert_no_longer_mentors(mentor, enrolment,
                                                                           lead_a):
    with pytest.raises(ValidationError, match="cannot mentor themselves"):
        services.enrol(path=network_path(), office=mentor.office, user=mentor, mentor=mentor,
                       by=lead_a)
    services.certificate_revoke(certificate=mentor.certificates.get(), reason="Left.",
                                by=lead_a)
    assert not is_certified(mentor)
    with pytest.raises(ValidationError, match="not a certified expert"):
        services.mentor_set(enrolment=enrolment, mentor=mentor, by=lead_a)


def test_one_live_enrolment_per_person_and_path(enrolment, consultant_a, lead_a):
    with pytest.raises(ValidationError, match="already on this path"):
        services.enrol(path=network_path(), office=consultant_a.office, user=consultant_a,
                       by=lead_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(version=enrolment.version, user=consultant_a,
                                 office=enrolment.office, current_stage=enrolment.current_stage,
                                 created_by=lead_a)
    services.status_set(enrolment=enrolment, status="withdrawn", by=lead_a)
    again = services.enrol(path=network_path(), office=consultant_a.office, user=consultant_a,
                           by=lead_a)
    assert again.status == "active"


def test_an_enrolment_keeps_the_version_it_started_on(enrolment, consultant_a1, lead_a):
    draft = services.version_copy(version=enrolment.version)
    assert draft.number == 2 and not draft.is_published
    basic = draft.stages.get(position=1)
    basic.requirements.filter(kind="attendance").update(target=6)
    services.version_publish(version=draft)
    later = services.enrol(path=network_path(), office=consultant_a1.office, user=consultant_a1,
                           by=lead_a)
    assert later.version == draft
    enrolment.refresh_from_db()
    assert enrolment.version.number == 1
    assert [m.need.target for m in services.stage_results(enrolment, enrolment.current_stage)
            ] == [4, 1]
    assert [m.need.target for m in services.stage_results(later, later.current_stage)] == [6, 1]
    with pytest.raises(ValidationError, match="already has a draft|already published"):
        services.version_publish(version=draft)


def test_a_version_without_a_review_stage_is_not_published(enrolment):
    draft = services.version_copy(version=enrolment.version)
    draft.stages.filter(kind=Stage.Kind.REVIEW).delete()
    with pytest.raises(ValidationError, match="certification review"):
        services.version_publish(version=draft)


# --- Evidence and progression -----------------------------------------------------------------


def test_the_candidate_advances_only_when_every_requirement_is_met(enrolment, mentor,
                                                                   consultant_a):
    for n in range(3):
        record(enrolment, "attendance", consultant_a, title=f"Day {n + 1}")
    record(enrolment, "reflection", consultant_a, text="What I take from it.")
    with pytest.raises(ValidationError) as error:
        services.stage_advance(enrolment=enrolment, by=mentor)
    assert error.value.messages == ["Basic training days attended: 3 of 4."]
    record(enrolment, "attendance", consultant_a, title="Day 4")
    services.stage_advance(enrolment=enrolment, by=mentor)
    enrolment.refresh_from_db()
    assert enrolment.current_stage.name == "LEADERSHIP programme"
    basic, programme = enrolment.stages.order_by("stage__position")[:2]
    assert basic.completed_on == date.today()
    assert programme.started_on == date.today()
    assert programme.due_on == date.today() + timedelta(days=548)


def test_struck_out_evidence_no_longer_counts(enrolment, mentor, consultant_a):
    finish_basic_training(enrolment, consultant_a)
    mistaken = enrolment.evidence.filter(kind="attendance").first()
    services.evidence_strike(evidence=mistaken, reason="Was the same day twice.", by=mentor)
    assert services.advance_check(enrolment) == ["Basic training days attended: 3 of 4."]
    with pytest.raises(ValidationError, match="already struck out"):
        services.evidence_strike(evidence=mistaken, reason="Again.", by=mentor)
    with pytest.raises(ValidationError) as error:
        services.evidence_strike(evidence=enrolment.evidence.exclude(pk=mistaken.pk).first(),
                                 reason="  ", by=mentor)
    assert "reason" in error.value.message_dict


def test_evidence_is_append_only(enrolment, consultant_a):
    entry = record(enrolment, "attendance", consultant_a, title="Day 1")
    entry.title = "Changed"
    with pytest.raises(ValidationError, match="never edited"):
        entry.save()
    with pytest.raises(ValidationError, match="never deleted"):
        entry.delete()
    assert Evidence.objects.get(pk=entry.pk).title == "Day 1"


def test_evidence_for_another_stage_is_refused(enrolment, consultant_a):
    later = enrolment.version.stages.get(position=3)
    with pytest.raises(ValidationError, match="is in the stage “Basic training”"):
        services.evidence_record(enrolment=enrolment, stage=later, kind="project",
                                 title="A project", by=consultant_a)
    assert not enrolment.evidence.exists()


def test_bad_evidence_gets_a_message_per_field(enrolment, consultant_a, mentor):
    cases = [
        ({"kind": "hours", "quantity": None}, "quantity"),
        ({"kind": "reflection", "text": " "}, "text"),
        ({"kind": "project", "title": ""}, "title"),
        ({"kind": "document"}, "document"),
        ({"kind": "attendance", "occurred_on": date.today() + timedelta(days=1)},
         "occurred_on"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as error:
            record(enrolment, by=consultant_a, **fields)
        assert field in error.value.message_dict, fields
    with pytest.raises(ValidationError, match="Only the candidate's mentor"):
        record(enrolment, "assessment", consultant_a, text="I am great.")
    assessment = record(enrolment, "assessment", mentor, text="Listens well.")
    assert assessment.recorded_by == mentor
    hours = record(enrolment, "hours", consultant_a, quantity=Decimal("2.5"))
    assert hours.quantity == Decimal("2.5")


def test_a_project_links_only_a_won_deal(enrolment, consultant_a, mentor):
    from contacts.services import person_create
    from pipeline.models import Deal
    from pipeline.services import deal_create

    walk_to_review(enrolment, by=mentor, mentor=mentor)
    practice = enrolment.version.stages.get(kind="practice")
    Enrolment.objects.filter(pk=enrolment.pk).update(current_stage=practice)
    StageProgress.objects.filter(enrolment=enrolment, stage=practice).update(completed_on=None)
    enrolment.refresh_from_db()
    client = person_create(office=consultant_a.office, by=consultant_a,
                           data={"first_name": "Inès", "last_name": "Client"})
    open_deal = deal_create(office=consultant_a.office, by=consultant_a,
                            data={"title": "Workshop for Inès", "person": client,
                                  "value": Decimal("900")})
    with pytest.raises(ValidationError) as error:
        record(enrolment, "project", consultant_a, title="Workshop", deal=open_deal)
    assert "won deal" in error.value.message_dict["deal"][0]
    Deal.objects.filter(pk=open_deal.pk).update(status=Deal.Status.WON)
    open_deal.refresh_from_db()
    entry = record(enrolment, "project", consultant_a, title="Workshop", deal=open_deal)
    assert entry.deal == open_deal


def test_pausing_refuses_evidence_and_resuming_moves_the_due_dates(enrolment, consultant_a,
                                                                   lead_a):
    due_before = enrolment.stages.get(stage=enrolment.current_stage).due_on
    services.status_set(enrolment=enrolment, status="paused", by=lead_a,
                        today=date.today() - timedelta(days=20))
    with pytest.raises(ValidationError, match="is paused"):
        record(enrolment, "attendance", consultant_a)
    with pytest.raises(ValidationError):
        services.status_set(enrolment=enrolment, status="paused", by=lead_a)
    services.status_set(enrolment=enrolment, status="active", by=lead_a)
    assert enrolment.stages.get(stage=enrolment.current_stage).due_on == (
        due_before + timedelta(days=20))


def test_a_due_date_before_the_stage_starts_is_refused(enrolment, lead_a):
    with pytest.raises(ValidationError) as error:
        services.due_date_set(enrolment=enrolment, stage=enrolment.current_stage,
                              due_on=enrolment.started_on - timedelta(days=1), by=lead_a)
    assert "due_on" in error.value.message_dict


# --- Certification ----------------------------------------------------------------------------


@pytest.fixture
def review_meeting(mentor, lead_a):
    circle = experts_circle()
    secretary = UserFactory(email="secretary@example.org", office=mentor.office)
    join(circle, secretary)
    give_role(circle, secretary, OfficerRole.Role.SECRETARY)
    meeting = logbook.meeting_create(circle=circle, starts_at=timezone.now(), by=secretary)
    logbook.attendance_all_present(meeting=meeting, by=secretary)
    return meeting, secretary


def adopt(meeting, secretary, proposal):
    for attendance in meeting.attendances.select_related("person"):
        logbook.consent_record(proposal=proposal, member=attendance.person, answer="consent",
                               by=secretary)
    return logbook.proposal_adopt(proposal=proposal, by=secretary)


def test_adopting_the_decision_certifies_the_candidate(enrolment, mentor, consultant_a,
                                                       review_meeting,
                                                       django_capture_on_commit_callbacks):
    meeting, secretary = review_meeting
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    enrolment.refresh_from_db()
    proposal = services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)
    assert proposal.subject == enrolment
    assert not Certificate.objects.filter(enrolment=enrolment).exists()
    with django_capture_on_commit_callbacks() as callbacks:
        decision = adopt(meeting, secretary, proposal)
    certificate = Certificate.objects.get(enrolment=enrolment)
    assert certificate.decision == decision and decision.subject == enrolment
    assert certificate.holder == consultant_a
    assert certificate.title == "Certified sociocracy expert"
    assert certificate.title_fr == "Expert certifié en sociocratie"
    assert len(certificate.code) == 14 and certificate.code.count("-") == 2
    assert Membership.objects.current().filter(circle=experts_circle(),
                                               person=consultant_a).exists()
    enrolment.refresh_from_db()
    assert enrolment.current_stage.kind == "development"
    assert enrolment.stages.get(stage__kind="review").completed_on == date.today()
    assert is_certified(consultant_a)
    assert callbacks  # the certificate is rendered and sent after commit


def test_certifying_without_an_adopted_decision_is_refused(enrolment, mentor, lead_a):
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    enrolment.refresh_from_db()
    other_circle = CircleFactory(parent=experts_circle())
    wrong_circle = Decision.objects.create(circle=other_circle, title="Certify", text=".",
                                           decided_on=date.today(), recorded_by=lead_a)
    with pytest.raises(ValidationError, match="Only an adopted decision of the experts'"):
        services.certify(enrolment=enrolment, decision=wrong_circle, by=lead_a)
    unsaved = Decision(circle=experts_circle(), title="Certify", text=".",
                       decided_on=date.today(), recorded_by=lead_a)
    with pytest.raises(ValidationError, match="Only an adopted decision"):
        services.certify(enrolment=enrolment, decision=unsaved, by=lead_a)
    about_nothing = Decision.objects.create(circle=experts_circle(), title="Other", text=".",
                                            decided_on=date.today(), recorded_by=lead_a)
    with pytest.raises(ValidationError, match="not about the certification"):
        services.certify(enrolment=enrolment, decision=about_nothing, by=lead_a)
    assert not Certificate.objects.exists() or not Certificate.objects.filter(
        enrolment=enrolment).exists()


def test_a_refused_certification_undoes_the_adoption(enrolment, mentor, review_meeting,
                                                     lead_a):
    meeting, secretary = review_meeting
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    enrolment.refresh_from_db()
    proposal = services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)
    services.status_set(enrolment=enrolment, status="paused", by=lead_a)
    with pytest.raises(ValidationError, match="is paused"):
        adopt(meeting, secretary, proposal)
    proposal.refresh_from_db()
    assert proposal.status == "open"
    assert not Decision.objects.filter(proposal=proposal).exists()


def test_the_review_needs_the_dossier_the_right_stage_and_circle(enrolment, mentor,
                                                                 review_meeting):
    meeting, _secretary = review_meeting
    with pytest.raises(ValidationError, match="not at the certification review"):
        services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)
    review = enrolment.version.stages.get(kind="review")
    Enrolment.objects.filter(pk=enrolment.pk).update(current_stage=review)
    enrolment.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)
    assert "Certification dossier, 0 of 1" in " ".join(error.value.messages)
    services.evidence_record(enrolment=enrolment, stage=review, kind="assessment",
                             text="Ready.", by=mentor)
    services.evidence_record(enrolment=enrolment, stage=review, kind="document", by=mentor,
                             document=ContentFile(b"dossier", name="dossier.pdf"))
    other = logbook.meeting_create(circle=CircleFactory(parent=experts_circle()),
                                   starts_at=meeting.starts_at, by=mentor)
    with pytest.raises(ValidationError) as error:
        services.review_propose(enrolment=enrolment, meeting=other, by=mentor)
    assert "meeting" in error.value.message_dict
    services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)
    with pytest.raises(ValidationError, match="already on an agenda"):
        services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)


def test_a_client_gets_an_account_when_certified(office_a, mentor, lead_a,
                                                 django_capture_on_commit_callbacks):
    client = PersonFactory(office=office_a, first_name="Amber", last_name="Hilton",
                           email="amber@example.com", language="fr")
    enrolment = services.enrol(path=network_path(), office=office_a, person=client,
                               mentor=mentor, by=lead_a)
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    enrolment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        certificate = certify_by_decision(enrolment, by=lead_a)
    holder = certificate.holder
    assert (holder.email, holder.office, holder.language) == ("amber@example.com", office_a,
                                                              "fr")
    assert not holder.has_usable_password()
    enrolment.refresh_from_db()
    assert enrolment.user == holder and enrolment.person == client


def test_a_client_without_email_cannot_go_to_review(office_a, mentor, lead_a, review_meeting):
    meeting, _secretary = review_meeting
    client = PersonFactory(office=office_a, email="")
    enrolment = services.enrol(path=network_path(), office=office_a, person=client,
                               mentor=mentor, by=lead_a)
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    enrolment.refresh_from_db()
    with pytest.raises(ValidationError, match="no email address"):
        services.review_propose(enrolment=enrolment, meeting=meeting, by=mentor)


def test_revocation_keeps_the_reason_and_leaves_the_circle(mentor, lead_a):
    certificate = mentor.certificates.get()
    assert Membership.objects.current().filter(circle=experts_circle(), person=mentor).exists()
    with pytest.raises(ValidationError) as error:
        services.certificate_revoke(certificate=certificate, reason="", by=lead_a)
    assert "reason" in error.value.message_dict
    services.certificate_revoke(certificate=certificate, reason="Left the network.",
                                by=lead_a)
    certificate.refresh_from_db()
    assert certificate.revoked_on == date.today()
    assert certificate.revoked_reason == "Left the network."
    tomorrow = date.today() + timedelta(days=1)
    assert not Membership.objects.current(tomorrow).filter(circle=experts_circle(),
                                                           person=mentor).exists()
    assert certificate.enrolment.status == "withdrawn"
    with pytest.raises(ValidationError, match="already revoked"):
        services.certificate_revoke(certificate=certificate, reason="Again.", by=lead_a)


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,  # noqa: S607
                            capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def test_certificate_pdf_is_bilingual_and_carries_the_code(mentor):
    from certification.notices import certificate_pdf

    certificate = mentor.certificates.get()
    text = pdf_text(certificate_pdf(certificate))
    assert certificate.holder_name in text
    assert "Certified sociocracy expert" in text and "Expert certifié en sociocratie" in text
    assert "certifie que" in text  # the French side
    assert certificate.code in text
