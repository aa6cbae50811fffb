"""Sending through real Celery worker processes on the real Redis broker to an SMTP server
on loopback: every recipient gets exactly one message, whether a worker is killed in the
middle of the send, two workers share it, or it is paused and resumed; and the office's
rate holds across workers."""

import os
import signal
import time

import pytest
from django.utils import timezone

from contacts.models import Consent
from contacts.services import consent_record
from newsletters import services
from newsletters.models import Delivery, Newsletter
from newsletters.tasks import start_newsletter
from tests.newsletters.helpers import make_due, many_readers, newsletter

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sink(smtp_sink):
    return smtp_sink(delay=0.003)


def start_workers(worker_processes, sink, count: int, **env):
    return worker_processes(count, queues="celery,newsletters", env={
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port),
        "NEWSLETTER_LEASE_SECONDS": "2", "NEWSLETTER_CHUNK": "40",
        "NEWSLETTER_PARALLEL": "2", **env})


def wait_for(predicate, seconds: float, beat: bool = False) -> bool:
    """Wait for `predicate`; with `beat`, run the beat job every second meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if beat:
            services.dispatch()
        time.sleep(1 if beat else 0.05)
    return False


def status(item) -> str:
    return Newsletter.objects.get(pk=item.pk).status


def assert_exactly_once(sink, emails):
    assert sink.count == len(emails), f"{sink.count} messages for {len(emails)} recipients"
    twice = [e for e, n in sink.recipients.items() if n > 1]
    missed = [e for e in emails if sink.recipients[e] == 0]
    assert not twice, f"sent twice: {twice[:5]}"
    assert not missed, f"never sent: {missed[:5]}"


def test_a_worker_killed_mid_send_neither_duplicates_nor_skips(office_a, worker_processes,
                                                             sink):
    many_readers(office_a, 600)
    emails = [f"r{n}@example.com" for n in range(600)]
    item = newsletter(office_a)
    start_workers(worker_processes, sink, 2)
    make_due(item)  # its time has come: the beat job starts it
    services.dispatch()
    assert wait_for(lambda: sink.count >= 120, 60), "the send did not start"
    victim = worker_processes.processes[0]
    os.kill(victim.pid, signal.SIGKILL)  # no warning, in the middle of a chunk
    victim.wait()
    killed_at = sink.count
    assert killed_at < 600
    start_workers(worker_processes, sink, 1)  # a replacement, as a supervisor would start
    assert wait_for(lambda: status(item) == Newsletter.Status.SENT, 120, beat=True), \
        f"not finished: {sink.count} sent"
    time.sleep(1)
    assert_exactly_once(sink, emails)
    assert Delivery.objects.filter(newsletter=item, status="sent").count() == 600


def test_pause_resume_consent_and_unsubscribe(client, office_a, worker_processes, sink):
    """Sent now from the page's service, paused, resumed where it stopped; readers who
    withdraw meanwhile are skipped, and one who unsubscribes from the message they got
    is left out of the next newsletter."""
    many_readers(office_a, 400)
    emails = [f"r{n}@example.com" for n in range(400)]
    item = newsletter(office_a)
    start_workers(worker_processes, sink, 1)
    services.newsletter_schedule(newsletter=item, send_at=None)  # "Send now"
    assert wait_for(lambda: sink.count >= 60, 60)
    services.newsletter_pause(newsletter=item)
    time.sleep(1.5)  # the chunk under way stops at its next check
    paused_at = sink.count
    time.sleep(2)
    assert sink.count == paused_at < 400, "messages went out while paused"
    queued = Delivery.objects.filter(newsletter=item, status="queued")
    assert queued.count() == 400 - paused_at
    withdrawing = list(queued.order_by("-pk").select_related("person")[:5])
    for row in withdrawing:
        consent_record(person=row.person, channel=Consent.Channel.NEWSLETTER, granted=False,
                       lawful_basis=Consent.Basis.CONSENT, source="phone call", by=None)
    received = sink.messages[0]
    unsubscribed = received["To"]
    url = received["List-Unsubscribe"].strip("<>")
    assert client.post(url.split("8000", 1)[-1],
                       {"List-Unsubscribe": "One-Click"}).status_code == 200
    services.newsletter_resume(newsletter=item)
    assert wait_for(lambda: status(item) == Newsletter.Status.SENT, 90, beat=True)
    left_out = {row.email for row in withdrawing}
    assert_exactly_once(sink, [e for e in emails if e not in left_out])
    assert not any(sink.recipients[e] for e in left_out)
    assert Delivery.objects.filter(newsletter=item, status="skipped").count() == 5
    # The next newsletter leaves out the five and the one who unsubscribed.
    sink.recipients.clear()
    sink.count = 0
    second = newsletter(office_a)
    services.newsletter_schedule(newsletter=second, send_at=None)
    assert wait_for(lambda: status(second) == Newsletter.Status.SENT, 90, beat=True)
    assert sink.count == 400 - 6 and sink.recipients[unsubscribed] == 0


def test_the_office_rate_holds_across_two_workers(office_a, worker_processes, sink):
    many_readers(office_a, 30)
    item = newsletter(office_a, rate=12)
    # Start early in a clock minute, so the whole check fits in one rate window.
    wait_for(lambda: timezone.now().second < 30, 65)
    start_workers(worker_processes, sink, 2)
    make_due(item)
    start_newsletter.delay(item.pk)
    assert wait_for(lambda: sink.count >= 12, 20)
    time.sleep(3)
    if int(time.time()) % 60 >= 2:  # still the same minute
        assert sink.count == 12, "the two workers together went over the rate"
    services.newsletter_cancel(newsletter=item)
    count = sink.count
    time.sleep(2)
    assert sink.count == count
    assert Delivery.objects.filter(newsletter=item, status="cancelled").count() == 30 - count
