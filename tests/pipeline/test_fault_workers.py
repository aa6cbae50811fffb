"""Faults with real Celery worker processes on the real Redis broker: a worker killed in
the middle of a reminder run or of a report's PDF. Reminders reach an SMTP server on
loopback exactly once each; a report is made in the end or reported failed, never left
"being made"."""

import datetime as dt
import os
import signal
import time
from collections import Counter

import pytest
from django.utils import timezone

from pipeline.agenda.models import Reminder
from pipeline.models import ReportRun
from pipeline.reports.services import GIVE_UP_AFTER, STALE_AFTER, report_request, runs_recover
from pipeline.tasks import send_due_reminders
from tests.factories import UserFactory
from tests.tsgcrm.test_celery_worker import _wait_for as wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sink(smtp_sink):
    return smtp_sink(delay=0.01)


def test_a_worker_killed_mid_reminder_run_neither_repeats_nor_loses_one(
        office_a, worker_processes, sink):
    people = [UserFactory(office=office_a, email=f"p{n}@example.org") for n in range(5)]
    past = timezone.now() - dt.timedelta(minutes=5)
    Reminder.objects.bulk_create([
        Reminder(user=people[n % 5], text=f"R{n}", remind_at=past,
                 channel=Reminder.Channel.EMAIL) for n in range(300)])
    env = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port)}
    worker_processes(1, queues="celery", env=env)
    send_due_reminders.delay()
    assert wait_for(lambda: sink.count >= 60, 60), "the run did not start"
    victim = worker_processes.processes[0]
    os.kill(victim.pid, signal.SIGKILL)  # no warning, in the middle of the run
    victim.wait()
    assert sink.count < 300
    worker_processes(1, queues="celery", env=env)  # a replacement; beat runs the job again
    send_due_reminders.delay()
    assert wait_for(lambda: not Reminder.objects.filter(sent_at__isnull=True).exists(),
                    90), f"not finished: {sink.count} sent"
    time.sleep(1)
    subjects = Counter(str(m["Subject"]) for m in sink.messages)
    assert sum(subjects.values()) == 300
    assert sorted(subjects) == sorted(f"Reminder: R{n}" for n in range(300))
    assert set(subjects.values()) == {1}, [s for s, n in subjects.items() if n > 1][:5]


def test_a_worker_killed_while_making_a_pdf_leaves_no_run_stuck(
        office_a, lead_a, worker_processes):
    from tests.conftest import emails_in

    outbox = worker_processes(1, queues="reports")
    today = timezone.localdate()
    run = report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                         start=today - dt.timedelta(days=30), end=today)
    assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "running", 60)
    victim = worker_processes.processes[0]
    os.kill(victim.pid, signal.SIGKILL)  # while WeasyPrint lays the PDF out
    victim.wait()
    worker_processes(1, queues="reports")
    time.sleep(3)  # the task comes back (acks late); the run is not yet known to be dead
    assert ReportRun.objects.get(pk=run.pk).status == "running"
    # The beat job, once the run has been "being made" too long: queued again, then made.
    again, failed = runs_recover(now=timezone.now() + STALE_AFTER + dt.timedelta(seconds=1))
    assert (again, failed) == ([run.pk], 0)
    assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "done", 60)
    run.refresh_from_db()
    assert run.progress == 100 and run.pdf
    time.sleep(1)
    assert len(emails_in(outbox)) == 1  # "your report is ready", once

    # One that never gets made is reported failed, with a reason the person can read.
    stuck = ReportRun.objects.create(kind="office", office=office_a, start=run.start,
                                     end=run.end, currency="EUR", requested_by=lead_a,
                                     status=ReportRun.Status.RUNNING)
    again, failed = runs_recover(now=timezone.now() + GIVE_UP_AFTER + dt.timedelta(seconds=1))
    stuck.refresh_from_db()
    assert (again, failed, stuck.status) == ([], 1, "failed")
    assert "Ask for it again" in stuck.error
