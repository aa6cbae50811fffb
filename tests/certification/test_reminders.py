"""Certification reminders: a stage's due date coming and missed, mentor check-ins; each
notice exactly once, even with two Celery worker processes running the job at once."""

import time
from datetime import date, timedelta

import pytest
from django.core import mail

from certification import services
from certification.models import Notice, StageProgress
from certification.notices import reminders_send
from tests.factories import UserFactory, certified_expert, network_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor(office_a):
    expert = UserFactory(email="mentor@example.org", first_name="Mona", office=office_a)
    certified_expert(expert)
    return expert


def enrol(user, mentor, lead, *, started_days_ago: int = 0, due_in: int | None = None):
    enrolment = services.enrol(path=network_path(), office=user.office, user=user,
                               mentor=mentor, by=lead,
                               started_on=date.today() - timedelta(days=started_days_ago))
    if due_in is not None:
        StageProgress.objects.filter(enrolment=enrolment, stage=enrolment.current_stage).update(
            due_on=date.today() + timedelta(days=due_in))
    return enrolment


def test_a_stage_due_soon_is_announced_once_and_once_more_when_missed(consultant_a, mentor,
                                                                      lead_a):
    enrolment = enrol(consultant_a, mentor, lead_a, due_in=10)
    assert reminders_send() == 1
    assert sorted(m.to[0] for m in mail.outbox) == [consultant_a.email, mentor.email]
    assert "a stage is due soon" in mail.outbox[0].subject
    assert enrolment.get_absolute_url() in mail.outbox[0].body
    assert reminders_send() == 0 and len(mail.outbox) == 2
    # Three weeks later it was missed: one more notice, then silence.
    later = date.today() + timedelta(days=21)
    assert reminders_send(today=later) == 1
    assert "overdue" in mail.outbox[-1].subject
    assert reminders_send(today=later + timedelta(days=1)) == 0
    # A new due date is a new thing to announce.
    services.due_date_set(enrolment=enrolment, stage=enrolment.current_stage,
                          due_on=later + timedelta(days=5), by=lead_a)
    assert reminders_send(today=later) == 1


def test_nothing_is_sent_for_paused_enrolments_or_far_due_dates(consultant_a, colleague_a,
                                                                mentor, lead_a):
    paused = enrol(consultant_a, mentor, lead_a, due_in=3)
    services.status_set(enrolment=paused, status="paused", by=lead_a)
    enrol(colleague_a, mentor, lead_a, due_in=40)
    assert reminders_send() == 0
    assert not mail.outbox


def test_the_mentor_is_reminded_to_check_in_until_an_assessment_is_recorded(consultant_a,
                                                                           mentor, lead_a):
    enrolment = enrol(consultant_a, mentor, lead_a, started_days_ago=31, due_in=200)
    assert reminders_send() == 1
    assert mail.outbox[0].to == [mentor.email]
    assert "check-in" in mail.outbox[0].subject
    assert reminders_send() == 0
    services.evidence_record(enrolment=enrolment, stage=enrolment.current_stage,
                             kind="assessment", text="We met; good progress.", by=mentor)
    assert reminders_send(today=date.today() + timedelta(days=29)) == 0
    assert reminders_send(today=date.today() + timedelta(days=30)) == 1
    assert Notice.objects.filter(kind="check_in").count() == 2


def test_two_worker_processes_send_each_notice_exactly_once(office_a, mentor, lead_a,
                                                            worker_processes):
    """Two Celery worker processes on the real Redis broker run the daily job six times
    at once: each of 12 candidates gets one stage notice (to them and to the mentor) and
    the mentor one check-in per candidate, exactly once."""
    from certification.tasks import send_certification_reminders
    from tests.conftest import emails_in
    from tests.tsgcrm.test_celery_worker import _wait_for

    candidates = [UserFactory(email=f"candidate{n}@example.org", first_name=f"C{n}",
                              last_name="Candidate", office=office_a) for n in range(12)]
    for candidate in candidates:
        enrol(candidate, mentor, lead_a, started_days_ago=35, due_in=7)
    outbox = worker_processes(2)
    for _ in range(6):
        send_certification_reminders.delay()
    assert _wait_for(lambda: Notice.objects.count() == 24, seconds=90), \
        "the workers did not send the notices"
    time.sleep(3)  # the runs still queued find nothing left to send
    subjects = emails_in(outbox)
    for candidate in candidates:
        name = candidate.get_full_name()
        assert subjects.count(f"Certification path: a stage is due soon ({name})") == 2
        assert subjects.count(f"Mentor check-in due: {name}") == 1
    # The mentor's own certificate was rendered and sent by a worker too, once.
    assert subjects.count("Your certificate: Certified sociocracy expert") == 1
    assert len(subjects) == 36 + 1
