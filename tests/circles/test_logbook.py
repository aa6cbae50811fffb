"""The circle logbook: consent rules, versioning, elections, scoping, reminders."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from circles.decisions import services
from circles.decisions.models import (
    Attendance,
    ConsentAnswer,
    Decision,
    Election,
    Proposal,
    ReviewNotice,
)
from circles.decisions.notices import review_reminders_send
from circles.decisions.rules import AnswerFact, adoption_blockers
from circles.models import OfficerRole
from tests.factories import CircleFactory, UserFactory, give_role, join, top_circle

pytestmark = pytest.mark.django_db
SEC = OfficerRole.Role.SECRETARY
today = date.today()


# --- The rules, without a database ------------------------------------------------------


def fact(member, version, consents=True, open_objection=False):
    return AnswerFact(member_id=member, version_number=version, consents=consents,
                      open_objection=open_objection)


@pytest.mark.parametrize("answers, adoptable", [
    ([fact(1, 2), fact(2, 2)], True),                       # everyone consents to v2
    ([fact(1, 2), fact(2, 1)], False),                      # 2 consented to an older version
    ([fact(1, 2)], False),                                  # 2 has not answered
    ([fact(1, 2), fact(2, 2), fact(3, 1, False, True)], False),  # an open objection (absent)
    ([fact(1, 2), fact(2, 2), fact(3, 1, False, False)], True),  # resolved objection
])
def test_adoption_needs_every_present_member_on_the_latest_version(answers, adoptable):
    blockers = adoption_blockers(present=[1, 2], latest_version=2, answers=answers,
                                 names={1: "Ann", 2: "Bo", 3: "Cy"})
    assert (blockers == []) is adoptable


def test_nobody_present_blocks_adoption():
    assert adoption_blockers(present=[], latest_version=1, answers=[], names={})


# --- Services on the real database -----------------------------------------------------------


@pytest.fixture
def circle(office_a, consultant_a, colleague_a, consultant_a1):
    c = CircleFactory(name="Circle of A", parent=top_circle(), office=office_a)
    join(c, consultant_a, colleague_a)
    give_role(c, colleague_a, SEC)
    return c


@pytest.fixture
def meeting(circle, colleague_a, consultant_a):
    m = services.meeting_create(circle=circle, starts_at=timezone.now(), by=colleague_a)
    services.attendance_all_present(meeting=m, by=colleague_a)
    return m


def proposal_in(meeting, by, text="We hold our meetings on Tuesdays."):
    item = services.agenda_item_add(meeting=meeting, title="Meeting day", kind="proposal",
                                    by=by)
    return services.proposal_submit(item=item, title="Meeting day", text=text, author=by,
                                    by=by, review_date=today + timedelta(days=180))


def test_a_meeting_lists_the_circles_members_in_turn_order(meeting, consultant_a,
                                                           colleague_a):
    people = list(meeting.attendances.values_list("person_id", flat=True))
    assert set(people) == {consultant_a.pk, colleague_a.pk}
    assert meeting.secretary == colleague_a  # the circle's elected secretary by default


def test_an_objection_without_argument_is_refused(meeting, colleague_a, consultant_a):
    proposal = proposal_in(meeting, colleague_a)
    with pytest.raises(ValidationError) as error:
        services.consent_record(proposal=proposal, member=consultant_a, answer="objection",
                                argument="  ", by=colleague_a)
    assert "argument" in error.value.message_dict
    assert not ConsentAnswer.objects.exists()


def test_a_round_for_someone_not_present_is_refused(meeting, colleague_a, consultant_a):
    services.attendance_set(meeting=meeting, person=consultant_a, status="excused",
                            by=colleague_a)
    proposal = proposal_in(meeting, colleague_a)
    with pytest.raises(ValidationError, match="not marked present"):
        services.consent_record(proposal=proposal, member=consultant_a, answer="consent",
                                by=colleague_a)
    with pytest.raises(ValidationError, match="not marked present"):
        services.round_record(proposal=proposal, round="clarifying", member=consultant_a,
                              text="Why?", by=colleague_a)


def test_a_turn_recorded_twice_is_refused_clearly(meeting, colleague_a, consultant_a):
    """Two secretaries recording the same turn: the second gets a message, no row."""
    proposal = proposal_in(meeting, colleague_a)
    services.consent_record(proposal=proposal, member=consultant_a, answer="consent",
                            by=colleague_a)
    with pytest.raises(ValidationError, match="already answered"):
        services.consent_record(proposal=proposal, member=consultant_a, answer="objection",
                                argument="Late", by=colleague_a)
    assert ConsentAnswer.objects.count() == 1


def test_adopting_with_an_open_objection_is_refused(meeting, colleague_a, consultant_a):
    proposal = proposal_in(meeting, colleague_a)
    services.consent_record(proposal=proposal, member=colleague_a, answer="consent",
                            by=colleague_a)
    services.consent_record(proposal=proposal, member=consultant_a, answer="objection",
                            argument="Tuesdays clash with client days.", by=colleague_a)
    with pytest.raises(ValidationError, match="still open"):
        services.proposal_adopt(proposal=proposal, by=colleague_a)
    assert not Decision.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_an_amendment_resolves_the_objection_and_consent_starts_again(meeting, colleague_a,
                                                                      consultant_a):
    proposal = proposal_in(meeting, colleague_a)
    services.consent_record(proposal=proposal, member=colleague_a, answer="consent",
                            by=colleague_a)
    objection = services.consent_record(proposal=proposal, member=consultant_a,
                                        answer="objection", argument="Clashes with clients.",
                                        by=colleague_a)
    v2 = services.proposal_amend(proposal=proposal, text="We meet on Wednesdays.",
                                 change_reason="Tuesdays clash with client days.",
                                 resolves=[objection.pk], expected_version=1, by=colleague_a)
    objection.refresh_from_db()
    assert objection.resolution == ConsentAnswer.Resolution.AMENDED
    assert objection.resolved_by == v2
    # Consent to version 1 no longer counts: everyone answers again on version 2.
    with pytest.raises(ValidationError, match="version 2"):
        services.proposal_adopt(proposal=proposal, by=colleague_a)
    for member in (colleague_a, consultant_a):
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=colleague_a)
    decision = services.proposal_adopt(proposal=proposal, by=colleague_a)
    assert decision.text == "We meet on Wednesdays."
    assert set(decision.consenting.all()) == {colleague_a, consultant_a}
    assert [v.number for v in proposal.versions.all()] == [1, 2]


def test_an_amendment_from_a_stale_screen_is_refused(meeting, colleague_a):
    proposal = proposal_in(meeting, colleague_a)
    services.proposal_amend(proposal=proposal, text="B", change_reason="Clearer",
                            expected_version=1, by=colleague_a)
    with pytest.raises(ValidationError, match="meanwhile"):
        services.proposal_amend(proposal=proposal, text="C", change_reason="Other",
                                expected_version=1, by=colleague_a)


def adopt(meeting, secretary, members, text="We meet on Tuesdays."):
    proposal = proposal_in(meeting, secretary, text=text)
    for member in members:
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=secretary)
    return services.proposal_adopt(proposal=proposal, by=secretary)


def test_an_adopted_decision_is_immutable_and_a_later_one_supersedes_it(
        meeting, colleague_a, consultant_a):
    first = adopt(meeting, colleague_a, [colleague_a, consultant_a])
    first.title = "Edited"
    with pytest.raises(ValidationError, match="not edited"):
        first.save()
    with pytest.raises(ValidationError):
        first.delete()
    proposal = proposal_in(meeting, colleague_a, text="We meet on Thursdays.")
    for member in (colleague_a, consultant_a):
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=colleague_a)
    second = services.proposal_adopt(proposal=proposal, supersedes=first, by=colleague_a)
    first.refresh_from_db()
    assert first.status() == "superseded"
    assert second.change == Decision.Change.REPLACES
    assert list(Decision.objects.in_force()) == [second]


def test_an_election_updates_the_role_in_the_same_transaction(meeting, colleague_a,
                                                              consultant_a, circle):
    election = services.election_create(
        meeting=meeting, role=SEC, role_description="Keeps the logbook.",
        term_start=today, term_end=today + timedelta(days=730), by=colleague_a)
    services.nomination_record(election=election, nominator=colleague_a, nominee=consultant_a,
                               reasons="Precise and calm.", by=colleague_a)
    services.nomination_record(election=election, nominator=consultant_a, nominee=consultant_a,
                               by=colleague_a)
    services.election_change_round(election=election, by=colleague_a)
    proposal = services.election_propose(election=election, candidate=consultant_a,
                                         by=colleague_a)
    for member in (colleague_a, consultant_a):
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=colleague_a)
    decision = services.proposal_adopt(proposal=proposal, by=colleague_a)
    election.refresh_from_db()
    held = OfficerRole.objects.held().get(circle=circle, role=SEC)
    assert held.person == consultant_a and held.term_end == today + timedelta(days=730)
    assert election.status == Election.Status.ELECTED and election.holding == held
    assert decision.subject == held


def test_an_election_that_cannot_assign_the_role_leaves_nothing_half_saved(
        meeting, colleague_a, consultant_a, circle):
    election = services.election_create(
        meeting=meeting, role=SEC, role_description="Keeps the logbook.",
        term_start=today, term_end=today + timedelta(days=365), by=colleague_a)
    services.nomination_record(election=election, nominator=colleague_a, nominee=consultant_a,
                               by=colleague_a)
    proposal = services.election_propose(election=election, candidate=consultant_a,
                                         by=colleague_a)
    for member in (colleague_a, consultant_a):
        services.consent_record(proposal=proposal, member=member, answer="consent",
                                by=colleague_a)
    circle.memberships.filter(person=consultant_a).update(until=today - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.proposal_adopt(proposal=proposal, by=colleague_a)
    assert not Decision.objects.exists()
    election.refresh_from_db()
    assert election.status == Election.Status.CONSENT
    assert OfficerRole.objects.held().get(circle=circle, role=SEC).person == colleague_a


def test_a_closed_meeting_no_longer_changes_and_sends_its_minutes_once(
        meeting, colleague_a, consultant_a, django_capture_on_commit_callbacks):
    from tsgcrm.celery import app

    adopt(meeting, colleague_a, [colleague_a, consultant_a])
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_close(meeting=meeting, minutes="Good meeting.", by=colleague_a)
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    assert mail.outbox[0].attachments[0][1][:5] == b"%PDF-"
    meeting.refresh_from_db()
    assert meeting.minutes_pdf and meeting.minutes_sent_at
    from circles.decisions.notices import minutes_send

    assert minutes_send(meeting_id=meeting.pk) == 0  # a second run sends nothing
    assert len(mail.outbox) == 1
    with pytest.raises(ValidationError, match="closed"):
        services.attendance_set(meeting=meeting, person=consultant_a, status="absent",
                                by=colleague_a)


def test_review_reminders_go_out_once_per_due_date(meeting, colleague_a, consultant_a,
                                                   circle):
    decision = adopt(meeting, colleague_a, [colleague_a, consultant_a])
    Decision.objects.filter(pk=decision.pk).update(review_date=today + timedelta(days=3))
    OfficerRole.objects.filter(circle=circle, role=SEC).update(
        term_end=today + timedelta(days=10))
    assert review_reminders_send() == 2
    assert review_reminders_send() == 0  # exactly once
    assert ReviewNotice.objects.count() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects[0].startswith("Decision to review") and "term" in subjects[1]
    assert {tuple(m.to) for m in mail.outbox} == {(colleague_a.email,)}


# --- Pages: scoping and the live screen -------------------------------------------------------


def test_the_meeting_screen_records_a_turn_with_htmx(client, meeting, colleague_a,
                                                     consultant_a):
    proposal = proposal_in(meeting, colleague_a)
    client.force_login(colleague_a)
    url = reverse("circles:turn", args=[meeting.pk, proposal.pk])
    response = client.post(url, {"member": consultant_a.pk, "round": "consent",
                                 "answer": "objection", "text": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "An objection carries its argument" in response.text
    assert '<div id="logbook"' in response.text and "<html" not in response.text
    response = client.post(url, {"member": consultant_a.pk, "round": "consent",
                                 "answer": "consent"}, HTTP_HX_REQUEST="true")
    assert ConsentAnswer.objects.get().answer == "consent"


def test_other_offices_see_no_meeting_decision_or_fragment(client, meeting, colleague_a,
                                                           consultant_a, consultant_b):
    decision = adopt(meeting, colleague_a, [colleague_a, consultant_a])
    client.force_login(consultant_b)
    for url in (reverse("circles:meeting_detail", args=[meeting.pk]),
                reverse("circles:minutes_pdf", args=[meeting.pk]),
                reverse("circles:decision_detail", args=[decision.pk]),
                reverse("circles:meeting_list", args=[meeting.circle_id])):
        assert client.get(url).status_code == 404, url
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, url
    assert client.post(reverse("circles:attendance_all", args=[meeting.pk])).status_code == 404
    response = client.get(reverse("circles:decision_register"), {"q": "Tuesdays"})
    assert decision.title not in response.text


def test_a_member_who_is_not_secretary_reads_but_cannot_record(client, meeting, consultant_a):
    client.force_login(consultant_a)
    page = client.get(reverse("circles:meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200 and "Everyone present" not in page.text
    response = client.post(reverse("circles:attendance", args=[meeting.pk, consultant_a.pk]),
                           {"status": "absent"})
    assert response.status_code == 403
    assert Attendance.objects.get(meeting=meeting, person=consultant_a).status == "present"


def test_the_register_finds_by_text_and_status(client, meeting, colleague_a, consultant_a):
    decision = adopt(meeting, colleague_a, [colleague_a, consultant_a])
    client.force_login(consultant_a)
    response = client.get(reverse("circles:decision_register"), {"q": "tuesdays",
                                                                   "status": "in_force"})
    assert decision.reference in response.text
    response = client.get(reverse("circles:decision_register"), {"status": "superseded"})
    assert decision.reference not in response.text
    detail = client.get(decision.get_absolute_url())
    assert detail.status_code == 200 and "Permanent link" in detail.text


def test_the_meeting_screen_runs_a_fixed_number_of_queries(client, meeting, colleague_a,
                                                           consultant_a, circle,
                                                           django_assert_max_num_queries):
    for n in range(3):
        adopt(meeting, colleague_a, [colleague_a, consultant_a], text=f"Rule {n}")
    extra = [UserFactory(office=circle.office) for _ in range(5)]
    join(circle, *extra)
    client.force_login(colleague_a)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("circles:meeting_detail", args=[meeting.pk])
                          ).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_minutes_go_out_through_the_worker(office_a, consultant_a, colleague_a,
                                               celery_worker_on_redis):
    from tests.tsgcrm.test_celery_worker import _wait_for

    c = CircleFactory(name="Worker circle", parent=top_circle(), office=office_a)
    join(c, consultant_a, colleague_a)
    give_role(c, colleague_a, SEC)
    m = services.meeting_create(circle=c, starts_at=timezone.now(), by=colleague_a)
    services.attendance_all_present(meeting=m, by=colleague_a)
    adopt(m, colleague_a, [colleague_a, consultant_a])
    services.meeting_close(meeting=m, minutes="", by=colleague_a)
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker sent no minutes"
    assert mail.outbox[0].attachments[0][1][:5] == b"%PDF-"
    # The email goes inside the task's transaction; the record of it shows at its commit.
    assert _wait_for(lambda: type(m).objects.filter(pk=m.pk, minutes_sent_at__isnull=False)
                     .exists()), "the sending was not recorded"


def test_a_persona_links_the_decision_that_adopted_it(meeting, colleague_a, consultant_a,
                                                      circle, office_a):
    from circles.models import Circle
    from contacts.forms import PersonaForm

    decision = adopt(meeting, colleague_a, [colleague_a, consultant_a],
                     text="We adopt the persona 'SME founder'.")
    form = PersonaForm({"name": "SME founder", "decision": decision.pk}, office=office_a,
                       circles=Circle.objects.filter(office=office_a))
    assert form.is_valid(), form.errors
    persona = form.save()
    assert persona.adopted_by == circle and persona.adopted_on == decision.decided_on
    assert list(decision.personas.all()) == [persona]
    other = CircleFactory(name="Elsewhere", parent=top_circle())
    form = PersonaForm({"name": "X", "decision": decision.pk}, office=office_a,
                       circles=Circle.objects.filter(pk=other.pk))
    assert not form.is_valid() and "decision" in form.errors
