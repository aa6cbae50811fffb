"""Sending a newsletter: workers claim delivery rows in chunks and hand each message over
exactly once.

How "exactly once" holds when a worker is killed at any instant:

* Claiming takes unsent rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and stamps them with
  the worker's claim token and a lease, so two workers never hold the same row. Rows whose
  lease ran out (their worker died) go back to the queue.
* Over SMTP, the message is transferred up to, but not including, the final "." that ends
  the DATA command. Then, in one transaction, the row is marked ``in_flight`` (only if the
  claim is still ours: a fencing token), the "." is written and the transaction commits.
  A worker that dies before the "." leaves an unfinished SMTP transaction, which the
  server discards, and an uncommitted mark, which PostgreSQL rolls back: the row is sent
  again later. Once the COMMIT is sent, PostgreSQL completes it even if the worker dies:
  the row counts as sent and is never sent again. What is left between the two is the
  writing of the COMMIT after the ".", a few microseconds. (Committing the mark before the
  "." instead left the whole commit, half a millisecond, during which a death lost the
  message: a test that kills a worker caught it.)
* Another email backend (a provider's HTTP API through django-anymail, files in
  development) is marked ``in_flight`` just before the call; a backend error puts the row
  back in the queue.

Transient refusals (4xx, a dropped connection before the hand-over) are retried with
back-off; permanent ones (5xx) mark the row failed. Each office's rate (messages a minute)
is counted in the shared cache, so it holds across every worker.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from contacts.models import Affiliation
from tsgcrm.outbox import FAILED, RETRY, SENT, Outbox

from . import rendering
from .models import Delivery, Link, Newsletter

log = logging.getLogger(__name__)

class Stopped(Exception):
    """The newsletter was paused or cancelled while a worker waited."""


class RateLimit:
    """At most `per_minute` messages per office per clock minute, counted in the shared
    cache (Redis in production) by every worker. Permits are taken a few at a time."""

    def __init__(self, office_id: int, per_minute: int):
        self.office_id, self.per_minute = office_id, max(per_minute, 1)
        self.block = max(1, min(20, self.per_minute // 20))
        self.left = 0
        self.minute = None

    def wait(self, keep_going=lambda: True) -> None:
        """Return once a message may go; raise Stopped if `keep_going()` turns false while
        waiting for the next minute."""
        while True:
            minute = int(time.time() // 60)
            if self.left and minute == self.minute:
                self.left -= 1
                return
            key = f"newsletter-rate:{self.office_id}:{minute}"
            cache.add(key, 0, timeout=180)
            try:
                used = cache.incr(key, self.block)
            except ValueError:  # expired in between
                continue
            granted = min(self.block, self.per_minute - (used - self.block))
            if granted > 0:
                self.minute, self.left = minute, granted - 1
                return
            while int(time.time() // 60) == minute:
                if not keep_going():
                    raise Stopped
                time.sleep(min(1.0, 60 - time.time() % 60 + 0.01))


def _organisation_name():
    return Subquery(Affiliation.objects.filter(person=OuterRef("person_id"))
                    .order_by("pk").values("organisation__name")[:1])


def recover(newsletter_id: int) -> int:
    """Rows of dead workers: claimed ones go back to the queue (their number is returned);
    handed-over ones count as sent (sending them again could make a duplicate)."""
    now = timezone.now()
    requeued = Delivery.objects.filter(
        newsletter_id=newsletter_id, status=Delivery.Status.CLAIMED,
        claimed_until__lt=now).update(status=Delivery.Status.QUEUED, claim=None)
    Delivery.objects.filter(newsletter_id=newsletter_id, status=Delivery.Status.IN_FLIGHT,
                            claimed_until__lt=now).update(
        status=Delivery.Status.SENT, sent_at=now, claim=None,
        error="handed over; the worker stopped before the server confirmed")
    return requeued


def claim(newsletter_id: int, token: uuid.UUID, size: int, lease: float) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(Delivery.objects.select_for_update(skip_locked=True)
                   .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                           newsletter_id=newsletter_id, status=Delivery.Status.QUEUED)
                   .order_by("id").values_list("id", flat=True)[:size])
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.CLAIMED, claim=token,
                claimed_until=now + timezone.timedelta(seconds=lease))
    return ids


def release(token: uuid.UUID) -> None:
    Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.QUEUED, claim=None)


_MARK_SQL = (f"UPDATE {Delivery._meta.db_table} SET status = %s, message_id = %s "  # noqa: S608 - the table's own name
             "WHERE id = %s AND claim = %s AND status = %s")


def _mark(delivery_id: int, token: uuid.UUID, message_id: str):
    """The row handed over, committed at once, if the claim is still ours. Plain SQL: it
    runs once per message, and building the ORM's UPDATE cost more than running it."""
    claim = Delivery._meta.get_field("claim").get_db_prep_value(token, db_connection)

    def mark() -> bool:
        with db_connection.cursor() as cursor:
            cursor.execute(_MARK_SQL, [Delivery.Status.IN_FLIGHT, message_id, delivery_id,
                                       claim, Delivery.Status.CLAIMED])
            return cursor.rowcount == 1
    return mark


class Batch:
    """What one worker needs to send a newsletter: compiled versions, sender, links."""

    def __init__(self, newsletter: Newsletter):
        self.newsletter = newsletter
        self.sender = rendering.Sender.of(newsletter.office)
        links = dict(Link.objects.filter(newsletter=newsletter).values_list("url", "pk"))
        self.versions = {
            v.language: rendering.compile_version(v, newsletter=newsletter,
                                                  sender=self.sender, links=links)
            for v in newsletter.versions.all()}
        self.office = newsletter.office.name

    def email(self, row: dict, connection):
        compiled = self.versions.get(row["language"]) or self.versions[
            self.newsletter.language]
        reader = rendering.Reader(row["person__first_name"], row["person__last_name"],
                                  row["email"], row["person__city"], row["organisation"] or "")
        urls = rendering.tracking_urls(row["id"])
        subject, html, text = rendering.personalise(compiled, reader, office=self.office,
                                                    variant=row["variant"],
                                                    delivery_id=row["id"], urls=urls)
        message_id = rendering.new_message_id(self.newsletter.pk, row["id"])
        email = rendering.message(
            sender=self.sender, to=row["email"], subject=subject, html=html, text=text,
            unsubscribe_url=urls["unsubscribe"], message_id=message_id, connection=connection)
        return email, message_id


def still_sending(newsletter_id: int) -> bool:
    return Newsletter.objects.filter(pk=newsletter_id, status__in=[
        Newsletter.Status.SENDING, Newsletter.Status.TESTING]).exists()


def send_batch(newsletter_id: int, *, seconds: float | None = None) -> int:
    """Claim and send chunks of the newsletter until none is left, it is paused or
    cancelled, or `seconds` have passed. Returns how many messages were handed over."""
    seconds = seconds if seconds is not None else settings.NEWSLETTER_BATCH_SECONDS
    started = time.monotonic()
    newsletter = Newsletter.objects.select_related("office").filter(pk=newsletter_id).first()
    if newsletter is None or not still_sending(newsletter_id):
        return 0
    recover(newsletter_id)
    batch = Batch(newsletter)
    limit = RateLimit(newsletter.office_id, batch.sender.rate_per_minute)
    size = max(1, min(settings.NEWSLETTER_CHUNK, batch.sender.rate_per_minute // 2))
    lease = settings.NEWSLETTER_LEASE_SECONDS + size * 60 / batch.sender.rate_per_minute
    token = uuid.uuid4()
    outbox = Outbox()
    handed = 0
    try:
        while still_sending(newsletter_id):
            cache.set(f"newsletter-running:{newsletter_id}", 1, timeout=int(lease) + 1)
            ids = claim(newsletter_id, token, size, lease)
            if not ids and recover(newsletter_id):  # another worker died
                ids = claim(newsletter_id, token, size, lease)
            if not ids:
                break
            rows = list(Delivery.objects.filter(pk__in=ids, claim=token)
                        .annotate(organisation=_organisation_name())
                        .values("id", "email", "language", "variant", "attempts",
                                "person__first_name", "person__last_name", "person__city",
                                "person__newsletter_consent", "organisation")
                        .order_by("id"))
            done, failed, retry, skipped = [], [], [], []
            for n, row in enumerate(rows):
                if n and n % 50 == 0 and not still_sending(newsletter_id):
                    break
                if not row["person__newsletter_consent"]:
                    skipped.append(row["id"])  # withdrew consent since the send began
                    continue
                try:
                    limit.wait(lambda: still_sending(newsletter_id))
                except Stopped:
                    break
                email, message_id = batch.email(row, outbox.backend)
                outcome = outbox.send(email, _mark(row["id"], token, message_id))
                if outcome.result == SENT:
                    done.append((row["id"], outcome))
                    handed += 1
                elif outcome.result == FAILED:
                    failed.append((row["id"], outcome))
                elif outcome.result == RETRY:
                    retry.append((row, outcome))
            _record(token, done, failed, retry, skipped)
            release(token)  # rows left unsent when the newsletter was paused
            if time.monotonic() - started >= seconds:
                break  # at least one chunk per call; the task hands on to a fresh one
    finally:
        outbox.close()
    finish_if_done(newsletter_id)
    return handed


def _record(token, done, failed, retry, skipped) -> None:
    now = timezone.now()
    with transaction.atomic():
        plain = [pk for pk, outcome in done if not outcome.error and not outcome.message_id]
        if plain:
            Delivery.objects.filter(pk__in=plain, claim=token).update(
                status=Delivery.Status.SENT, sent_at=now, claim=None)
        for pk, outcome in done:
            if outcome.error or outcome.message_id:
                fields = {"status": Delivery.Status.SENT, "sent_at": now, "claim": None,
                          "error": outcome.error}
                if outcome.message_id:  # a provider's own id, for its webhooks
                    fields["message_id"] = outcome.message_id
                Delivery.objects.filter(pk=pk, claim=token).update(**fields)
        for pk, outcome in failed:
            Delivery.objects.filter(pk=pk, claim=token).update(
                status=Delivery.Status.FAILED, error=outcome.error, claim=None)
        for row, outcome in retry:
            attempts = row["attempts"] + 1
            if attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
                fields = {"status": Delivery.Status.FAILED}
            else:
                delay = settings.NEWSLETTER_RETRY_SECONDS * 2 ** (attempts - 1)
                fields = {"status": Delivery.Status.QUEUED,
                          "next_attempt_at": now + timezone.timedelta(seconds=delay)}
            # A row handed over and then refused with 4xx is back from in flight.
            Delivery.objects.filter(pk=row["id"], claim=token).update(
                attempts=attempts, error=outcome.error, claim=None, **fields)
        if skipped:
            Delivery.objects.filter(pk__in=skipped, claim=token).update(
                status=Delivery.Status.SKIPPED, claim=None)


def finish_if_done(newsletter_id: int) -> bool:
    """Mark the newsletter sent once no row is left to send (nor held for an A/B test)."""
    from .services import newsletter_finished

    with transaction.atomic():
        newsletter = (Newsletter.objects.select_for_update()
                      .filter(pk=newsletter_id, status=Newsletter.Status.SENDING).first())
        if newsletter is None:
            return False
        if Delivery.objects.filter(newsletter_id=newsletter_id, status__in=[
                Delivery.Status.QUEUED, Delivery.Status.CLAIMED, Delivery.Status.IN_FLIGHT,
                Delivery.Status.HELD]).exists():
            return False
        newsletter_finished(newsletter)
    return True
