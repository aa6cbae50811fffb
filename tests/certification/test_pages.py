"""The certification pages: who sees and does what (every view, fragments included), bad
input kept on the form, and the public verification page showing nothing private."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certification import services
from certification.models import Certificate, Enrolment
from circles.decisions import services as logbook
from circles.models import OfficerRole
from tests.factories import (
    PersonFactory,
    UserFactory,
    certified_expert,
    experts_circle,
    give_role,
    join,
    network_path,
    walk_to_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor(office_a):
    expert = UserFactory(email="mentor@example.org", first_name="Mona", last_name="Mentor",
                         office=office_a)
    certified_expert(expert)
    return expert


@pytest.fixture
def enrolment(consultant_a, mentor, lead_a):
    return services.enrol(path=network_path(), office=consultant_a.office, user=consultant_a,
                          mentor=mentor, by=lead_a)


@pytest.fixture
def outsider(office_b):
    return UserFactory(email="outsider@example.org", office=office_b, is_office_lead=True)


def url(name, *args):
    return reverse(f"certification:{name}", args=args)


def login(client, user):
    client.force_login(user)
    return client


# --- Who sees what ----------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in(client, enrolment):
    certificate = Certificate.objects.first()
    for path in [url("overview"), url("candidates"), url("registry"), url("enrol"),
                 url("enrolment_detail", enrolment.pk),
                 url("certificate_pdf", certificate.pk)]:
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response.url, path
    for path in [url("evidence_add", enrolment.pk), url("stage_advance", enrolment.pk),
                 url("certificate_revoke", certificate.pk)]:
        assert "/accounts/login/" in client.post(path).url


def test_an_enrolment_is_seen_by_its_people_only(client, enrolment, consultant_a, mentor,
                                                 lead_a, colleague_a, outsider, admin):
    page = url("enrolment_detail", enrolment.pk)
    for person in [consultant_a, mentor, lead_a, admin]:
        assert login(client, person).get(page).status_code == 200, person
    for person in [colleague_a, outsider]:
        assert login(client, person).get(page).status_code == 404, person
    expert = UserFactory(email="expert@example.org", office=outsider.office)
    join(experts_circle(), expert)
    assert login(client, expert).get(page).status_code == 200  # the circle reviews all


def test_every_action_is_refused_to_people_who_may_not_act(client, enrolment, colleague_a,
                                                           consultant_a, outsider):
    stage = enrolment.current_stage
    entry = services.evidence_record(enrolment=enrolment, stage=stage, kind="attendance",
                                     by=consultant_a)
    actions = [url("evidence_add", enrolment.pk),
               url("evidence_strike", enrolment.pk, entry.pk),
               url("stage_advance", enrolment.pk),
               url("status_change", enrolment.pk, "paused"),
               url("mentor_change", enrolment.pk),
               url("due_date_change", enrolment.pk, stage.pk),
               url("review_propose", enrolment.pk),
               url("evidence_document", enrolment.pk, entry.pk)]
    for path in actions:  # not in their scope: as if it did not exist
        assert login(client, colleague_a).post(path).status_code == 404, path
        assert login(client, outsider).post(path).status_code == 404, path
    # The candidate sees the enrolment but does not manage it nor move themselves on.
    for path in actions[2:6]:
        assert login(client, consultant_a).post(path).status_code == 403, path
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"
    assert enrolment.evidence.count() == 1


def test_candidates_by_stage_for_leads_and_the_experts_circle(client, enrolment, lead_a,
                                                              consultant_a, office_b,
                                                              outsider, mentor):
    other = UserFactory(email="b.candidate@example.org", first_name="Bea", last_name="Other",
                        office=office_b)
    services.enrol(path=network_path(), office=office_b, user=other, by=outsider)
    assert login(client, consultant_a).get(url("candidates")).status_code == 403
    response = login(client, lead_a).get(url("candidates"))
    assert consultant_a.get_full_name() in response.text
    assert "Bea Other" not in response.text
    fragment = client.get(url("candidates"), {"late": "on"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.text and "Bea Other" not in fragment.text
    response = login(client, mentor).get(url("candidates"))  # mentor is in the circle
    assert "Bea Other" in response.text and consultant_a.get_full_name() in response.text


def test_my_path_and_my_mentees(client, enrolment, consultant_a, mentor):
    response = login(client, consultant_a).get(url("overview"))
    assert "Basic training" in response.text and "Next requirements" in response.text
    assert "Basic training days attended" in response.text
    response = login(client, mentor).get(url("overview"))
    assert "My mentees" in response.text and consultant_a.get_full_name() in response.text
    assert "You have been a Certified sociocracy expert" in response.text


def test_the_registry_lists_valid_certificates_by_office_and_language(client, mentor,
                                                                      consultant_a, office_b,
                                                                      lead_a):
    spanish = UserFactory(email="es@example.org", first_name="Lucía", last_name="García",
                          office=office_b, language="es")
    certified_expert(spanish)
    revoked = UserFactory(email="gone@example.org", first_name="Gone", last_name="Expert",
                          office=office_b)
    services.certificate_revoke(certificate=certified_expert(revoked), reason="Left.",
                                by=lead_a)
    login(client, consultant_a)
    listed = client.get(url("registry")).text
    assert "Mona Mentor" in listed and "Lucía García" in listed and "Gone Expert" not in listed
    by_office = client.get(url("registry"), {"office": office_b.pk}, HTTP_HX_REQUEST="true")
    assert "Lucía García" in by_office.text and "Mona Mentor" not in by_office.text
    assert "<html" not in by_office.text
    by_language = client.get(url("registry"), {"language": "es"}).text
    assert "Lucía García" in by_language and "Mona Mentor" not in by_language
    assert "mentor@example.org" not in listed  # no emails in the registry


# --- Enrolling --------------------------------------------------------------------------------


def test_a_lead_enrols_a_person_of_their_office(client, lead_a, consultant_a, mentor):
    response = login(client, lead_a).post(url("enrol"), {
        "path": network_path().pk, "user": consultant_a.pk, "office": consultant_a.office_id,
        "mentor": mentor.pk, "started_on": date.today().isoformat(), "notes": "Keen."})
    enrolment = Enrolment.objects.get(user=consultant_a)
    assert response.status_code == 302 and response.url == enrolment.get_absolute_url()
    assert (enrolment.mentor, enrolment.notes, enrolment.created_by) == (mentor, "Keen.",
                                                                        lead_a)


def test_a_mentor_who_is_not_certified_is_refused_next_to_the_field(client, lead_a,
                                                                     consultant_a, colleague_a):
    response = login(client, lead_a).post(url("enrol"), {
        "path": network_path().pk, "user": consultant_a.pk, "office": consultant_a.office_id,
        "mentor": colleague_a.pk, "started_on": date.today().isoformat(), "notes": "Keen."})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text  # only certified experts are offered
    assert "Keen." in response.text
    assert f'<option value="{colleague_a.pk}"' not in response.text.split('id="id_mentor"')[1]
    assert not Enrolment.objects.exists()


def test_a_consultant_enrols_a_client_they_own_from_a_deal(client, consultant_a, office_a,
                                                           colleague_a):
    mine = PersonFactory(office=office_a, owner=consultant_a, first_name="Amber",
                         last_name="Hilton")
    theirs = PersonFactory(office=office_a, owner=colleague_a)
    login(client, consultant_a)
    assert client.get(url("enrol")).status_code == 403  # no candidate they may enrol
    assert client.get(url("enrol"), {"person": theirs.pk}).status_code == 403
    form = client.get(url("enrol"), {"person": mine.pk})
    assert "Enrol Amber Hilton on a certification path" in form.text
    response = client.post(url("enrol"), {
        "person": mine.pk, "path": network_path().pk, "office": office_a.pk,
        "started_on": date.today().isoformat()})
    assert response.status_code == 302
    assert Enrolment.objects.get(person=mine).created_by == consultant_a


def test_nobody_enrols_a_contact_of_another_office(client, lead_a, office_b):
    stranger = PersonFactory(office=office_b)
    assert login(client, lead_a).get(url("enrol"), {"person": stranger.pk}).status_code == 404


# --- The enrolment page -----------------------------------------------------------------------


def test_the_mentor_records_evidence_and_moves_the_candidate_on(client, enrolment, mentor):
    login(client, mentor)
    page = url("enrolment_detail", enrolment.pk)
    for n in range(4):
        response = client.post(url("evidence_add", enrolment.pk), {
            "stage": enrolment.current_stage_id, "evidence-kind": "attendance",
            "evidence-occurred_on": date.today().isoformat(), "evidence-title": f"Day {n}"})
        assert response.status_code == 302
    response = client.post(url("evidence_add", enrolment.pk), {
        "stage": enrolment.current_stage_id, "evidence-kind": "reflection",
        "evidence-occurred_on": date.today().isoformat(), "evidence-title": "My take",
        "evidence-text": ""})
    assert response.status_code == 400
    assert "Write the text: it is the evidence." in response.text
    assert 'value="My take"' in response.text  # what was typed is kept
    client.post(url("evidence_add", enrolment.pk), {
        "stage": enrolment.current_stage_id, "evidence-kind": "reflection",
        "evidence-occurred_on": date.today().isoformat(), "evidence-text": "Consent works."})
    assert "move on to the next stage" in client.get(page).text
    response = client.post(url("stage_advance", enrolment.pk), follow=True)
    assert "On to the next stage." in response.text
    enrolment.refresh_from_db()
    assert enrolment.current_stage.name == "LEADERSHIP programme"


def test_evidence_posted_for_a_stage_left_behind_is_refused(client, enrolment, mentor,
                                                            consultant_a):
    stale = enrolment.current_stage_id
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    response = login(client, consultant_a).post(url("evidence_add", enrolment.pk), {
        "stage": stale, "evidence-kind": "attendance",
        "evidence-occurred_on": date.today().isoformat(), "evidence-title": "Late entry"})
    assert response.status_code == 400
    assert "evidence is recorded for the current stage" in response.text
    assert 'value="Late entry"' in response.text


def test_a_document_is_downloaded_only_by_those_who_see_the_enrolment(client, enrolment,
                                                                      consultant_a, outsider):
    login(client, consultant_a)
    client.post(url("evidence_add", enrolment.pk), {
        "stage": enrolment.current_stage_id, "evidence-kind": "document",
        "evidence-occurred_on": date.today().isoformat(),
        "evidence-document": SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan")})
    entry = enrolment.evidence.get(kind="document")
    response = client.get(url("evidence_document", enrolment.pk, entry.pk))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 plan"
    assert login(client, outsider).get(
        url("evidence_document", enrolment.pk, entry.pk)).status_code == 404


def test_the_mentor_proposes_the_certification_to_a_meeting_of_the_circle(client, enrolment,
                                                                          mentor):
    walk_to_review(enrolment, by=mentor, mentor=mentor)
    meeting = logbook.meeting_create(circle=experts_circle(), starts_at=timezone.now(),
                                     by=mentor)
    login(client, mentor)
    page = client.get(url("enrolment_detail", enrolment.pk)).text
    assert "Put the certification on the agenda" in page
    response = client.post(url("review_propose", enrolment.pk), {"review-meeting": meeting.pk})
    assert response.status_code == 302
    assert meeting.items.get().proposal.subject == enrolment
    page = client.get(url("enrolment_detail", enrolment.pk)).text
    assert "On the agenda of the experts" in page


def test_the_circle_secretary_revokes_and_the_verification_page_says_so(client, mentor,
                                                                       lead_a, admin):
    certificate = mentor.certificates.get()
    revoke = url("certificate_revoke", certificate.pk)
    assert login(client, lead_a).post(revoke, {"revoke-reason": "No."}).status_code == 403
    secretary = UserFactory(email="sec@example.org", office=lead_a.office)
    join(experts_circle(), secretary)
    give_role(experts_circle(), secretary, OfficerRole.Role.SECRETARY)
    response = login(client, secretary).post(revoke, {"revoke-reason": ""})
    assert response.status_code == 400 and "This field is required." in response.text
    client.post(revoke, {"revoke-reason": "Broke the code of conduct."})
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Broke the code of conduct."
    client.logout()
    page = client.get(url("verify", certificate.code)).text
    assert "This certificate was revoked" in page and "no longer valid" in page
    assert "code of conduct" not in page  # the reason stays inside the network


# --- Certificates -----------------------------------------------------------------------------


def test_the_holder_downloads_the_certificate_pdf(client, mentor, outsider, consultant_a):
    certificate = mentor.certificates.get()
    response = login(client, mentor).get(url("certificate_pdf", certificate.pk))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    certificate.refresh_from_db()
    assert certificate.pdf  # rendered once, kept
    for person in [outsider, consultant_a]:
        assert login(client, person).get(
            url("certificate_pdf", certificate.pk)).status_code == 404


def test_the_public_verification_page_shows_name_title_and_date_only(client, mentor):
    certificate = mentor.certificates.get()
    response = client.get(url("verify", certificate.code))
    assert response.status_code == 200
    text = response.text
    assert "Valid certificate" in text and "Mona Mentor" in text
    assert "Certified sociocracy expert" in text
    for private in [mentor.email, mentor.office.name, certificate.decision.reference]:
        assert private not in text
    assert client.get(url("verify", certificate.code.lower())).status_code == 200
    missing = client.get(url("verify", "AAAA-BBBB-CCCC"))
    assert missing.status_code == 404 and "No certificate has this code" in missing.text
    form = client.get(url("verify_form"), {"code": f" {certificate.code.lower()} "})
    assert form.status_code == 302 and form.url == url("verify", certificate.code)


# --- Tasks and the calendar ---------------------------------------------------------------------


def test_a_task_about_an_enrolment_shows_on_its_page(client, enrolment, mentor):
    login(client, mentor)
    form = client.get(reverse("pipeline:task_create"), {"enrolment": enrolment.pk})
    assert form.status_code == 200 and str(enrolment) in form.text
    response = client.post(reverse("pipeline:task_create"), {
        "title": "Check-in with the candidate", "due_date": date.today().isoformat(),
        "priority": "normal", "enrolment": enrolment.pk})
    assert response.status_code == 302
    task = enrolment.tasks.get()
    assert task.assignee == mentor
    page = client.get(url("enrolment_detail", enrolment.pk)).text
    assert "Check-in with the candidate" in page


def test_stage_due_dates_are_milestones_on_the_calendars_of_candidate_and_mentor(
        client, enrolment, consultant_a, mentor, colleague_a, lead_a):
    from pipeline.agenda.selectors import calendar_items

    progress = enrolment.stages.get(stage=enrolment.current_stage)
    start, end = progress.due_on - timedelta(days=3), progress.due_on + timedelta(days=3)
    for person in [consultant_a, mentor]:
        items = calendar_items(person, start=start, end=end, people=[person.pk])
        milestones = [i for i in items if i.kind == "milestone"]
        assert [(i.day, i.url) for i in milestones] == [
            (progress.due_on, enrolment.get_absolute_url())], person
        assert "Basic training due" in milestones[0].title
    office = calendar_items(lead_a, start=start, end=end, office_id=enrolment.office_id)
    assert any(i.kind == "milestone" for i in office)
    assert not [i for i in calendar_items(colleague_a, start=start, end=end,
                                          people=[colleague_a.pk]) if i.kind == "milestone"]
    response = login(client, consultant_a).get(reverse("pipeline:calendar"), {
        "view": "month", "date": progress.due_on.isoformat()})
    assert "cal-item--milestone" in response.text
