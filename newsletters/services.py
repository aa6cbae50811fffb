"""What people do with newsletters: choose a segment, schedule, pause, resume and cancel a
send, settle an A/B test, and what the readers' engagement and the statistics say."""

from __future__ import annotations

import datetime as dt
import random
from html import unescape
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Office, User
from contacts.models import Consent, Person
from contacts.services import consent_record
from pipeline.models import Deal

from . import rendering
from .models import (
    ENGAGEMENT_WINDOW,
    Delivery,
    Engagement,
    Link,
    Newsletter,
    Reader,
    Segment,
    engagement_of,
)

CRITERIA = ("office", "include_sub_offices", "whole_network", "languages", "kinds", "cities",
            "regions", "phases", "tags", "personas", "engagement", "inactive_months")


def criteria_of(segment: Segment) -> dict[str, Any]:
    values = {name: getattr(segment, name) for name in CRITERIA
              if name not in {"phases", "tags", "personas"}}
    if segment.pk:
        values.update(phases=list(segment.phases.all()), tags=list(segment.tags.all()),
                      personas=list(segment.personas.all()))
    return values


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").split(",") if w.strip()]


def people_matching(criteria: dict[str, Any]) -> QuerySet[Person]:
    """Live contacts with an email address that the criteria select, consent or not."""
    people = Person.objects.filter(erased_at__isnull=True).exclude(email="")
    office: Office = criteria["office"]
    if not criteria.get("whole_network"):
        offices = Q(office=office)
        if criteria.get("include_sub_offices", True):
            offices |= Q(office__parent=office)
        people = people.filter(offices)
    if criteria.get("languages"):
        people = people.filter(language__in=criteria["languages"])
    if criteria.get("kinds"):
        people = people.filter(kind__in=criteria["kinds"])
    for name, field in (("cities", "city"), ("regions", "region")):
        words = _words(criteria.get(name, ""))
        if words:
            match = Q()
            for word in words:
                match |= Q(**{f"{field}__iexact": word})
            people = people.filter(match)
    if criteria.get("tags"):
        people = people.filter(pk__in=Person.tags.through.objects.filter(
            tag__in=criteria["tags"]).values("person_id"))
    if criteria.get("personas"):
        people = people.filter(persona__in=criteria["personas"])
    if criteria.get("phases"):
        people = people.filter(Exists(Deal.objects.filter(
            person=OuterRef("pk"), phase__in=criteria["phases"],
            status__in=[Deal.Status.OPEN, Deal.Status.WON])))
    engagement = criteria.get("engagement")
    if engagement in {Engagement.REGULAR, Engagement.OCCASIONAL}:
        people = people.filter(newsletter_reader__engagement=engagement)
    elif engagement == Engagement.INACTIVE:
        since = timezone.now() - dt.timedelta(days=30 * (criteria.get("inactive_months") or 6))
        people = people.filter(
            Q(newsletter_reader__last_opened_at__isnull=True)
            | Q(newsletter_reader__last_opened_at__lt=since),
            newsletter_reader__received__gt=0, newsletter_reader__first_received_at__lt=since)
    return people


def segment_people(criteria: dict[str, Any]) -> QuerySet[Person]:
    """The people a newsletter to this segment goes to: only those who accept newsletters."""
    return people_matching(criteria).filter(newsletter_consent=True)


def segment_counts(criteria: dict[str, Any]) -> dict[str, int]:
    matching = people_matching(criteria).aggregate(
        all=Count("pk"), consenting=Count("pk", filter=Q(newsletter_consent=True)))
    return {"consenting": matching["consenting"],
            "without_consent": matching["all"] - matching["consenting"]}


# --- Checking and scheduling ------------------------------------------------------

def newsletter_problems(newsletter: Newsletter) -> list[str]:
    """Why the newsletter cannot be sent as it is (empty when it can)."""
    problems = []
    versions = list(newsletter.versions.all())
    if not any(v.language == newsletter.language for v in versions):
        problems.append(_("Write the version in the main language (%(language)s) first.")
                        % {"language": newsletter.get_language_display()})
    for version in versions:
        for field, error in rendering.check({f: getattr(version, f)
                                             for f in rendering.FIELDS}).items():
            problems.append(_("%(language)s version, %(field)s: %(error)s") % {
                "language": version.get_language_display(),
                "field": version._meta.get_field(field).verbose_name, "error": error})
        if newsletter.ab_test == Newsletter.ABTest.SUBJECT and not version.subject_b:
            problems.append(_("%(language)s version: an A/B test of the subject needs "
                              "subject B.") % {"language": version.get_language_display()})
    if not segment_people(criteria_of(newsletter.segment)).exists():
        problems.append(_("No contact of the segment “%(segment)s” accepts newsletters: "
                          "there is no one to send it to.") % {"segment": newsletter.segment})
    return problems


@transaction.atomic
def newsletter_schedule(*, newsletter: Newsletter, send_at: dt.datetime | None,
                        send_at_b: dt.datetime | None = None) -> Newsletter:
    """Send now (send_at None) or at a time; a beat job starts due ones."""
    newsletter = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
    if not newsletter.editable:
        raise ValidationError(_("This newsletter has already been sent or is being sent."))
    problems = newsletter_problems(newsletter)
    now = timezone.now()
    when = send_at or now
    if send_at and send_at < now - dt.timedelta(minutes=1):
        raise ValidationError({"send_at": _("Choose a time in the future, or send now.")})
    if newsletter.ab_test == Newsletter.ABTest.SEND_TIME:
        if not send_at_b:
            raise ValidationError({"send_at_b": _("An A/B test of the send time needs send "
                                                  "time B.")})
        if send_at_b <= when:
            raise ValidationError({"send_at_b": _("Send time B must come after send time "
                                                  "A.")})
    if problems:
        raise ValidationError(problems)
    newsletter.send_at, newsletter.ab_send_at_b = when, send_at_b
    newsletter.status, newsletter.problem = Newsletter.Status.SCHEDULED, ""
    newsletter.save(update_fields=["send_at", "ab_send_at_b", "status", "problem"])
    if when <= now:
        from .tasks import start_newsletter

        transaction.on_commit(lambda: start_newsletter.delay(newsletter.pk))
    return newsletter


@transaction.atomic
def newsletter_unschedule(*, newsletter: Newsletter) -> None:
    updated = Newsletter.objects.filter(pk=newsletter.pk, status=Newsletter.Status.SCHEDULED
                                        ).update(status=Newsletter.Status.DRAFT)
    if not updated:
        raise ValidationError(_("Only a scheduled newsletter can go back to draft."))


def newsletter_start(newsletter_id: int) -> int:
    """Create one delivery row per consenting contact of the segment, in one transaction,
    and set the workers going. Returns the number of recipients."""
    with transaction.atomic():
        newsletter = (Newsletter.objects.select_for_update()
                      .filter(pk=newsletter_id, status=Newsletter.Status.SCHEDULED,
                              send_at__lte=timezone.now()).first())
        if newsletter is None:
            return 0  # started already, or unscheduled, or not due yet
        count = _create_deliveries(newsletter)
        if not count:
            newsletter.status = Newsletter.Status.DRAFT
            newsletter.problem = _("No contact of the segment accepts newsletters any more: "
                                   "nothing was sent.")
            newsletter.save(update_fields=["status", "problem"])
            return 0
        newsletter.status = (Newsletter.Status.TESTING if newsletter.ab_test
                             else Newsletter.Status.SENDING)
        newsletter.started_at, newsletter.recipients = timezone.now(), count
        if newsletter.ab_test:
            last = max(newsletter.send_at, newsletter.ab_send_at_b or newsletter.send_at)
            newsletter.ab_decide_at = last + dt.timedelta(hours=newsletter.ab_wait_hours)
        newsletter.save(update_fields=["status", "started_at", "recipients", "ab_decide_at"])
        transaction.on_commit(lambda: kick(newsletter.pk, workers=settings.NEWSLETTER_PARALLEL))
    return count


def _create_deliveries(newsletter: Newsletter) -> int:
    languages = set(newsletter.versions.values_list("language", flat=True))
    urls = {url for version in newsletter.versions.all() for url in
            rendering.links_in(version.body_html)}
    Link.objects.bulk_create([Link(newsletter=newsletter, url=url) for url in urls],
                             ignore_conflicts=True)
    people = (segment_people(criteria_of(newsletter.segment))
              .values_list("pk", "email", "language").order_by("pk"))
    rng = random.Random()  # noqa: S311 - sampling, not secrecy
    half = newsletter.ab_sample_percent / 200
    count, rows = 0, []
    for pk, email, language in people.iterator(chunk_size=5000):
        row = Delivery(newsletter=newsletter, person_id=pk, email=email,
                       language=language if language in languages else newsletter.language)
        if newsletter.ab_test:
            draw = rng.random()
            if draw < half:
                row.variant = "A"
            elif draw < 2 * half:
                row.variant = "B"
                if newsletter.ab_test == Newsletter.ABTest.SEND_TIME:
                    row.next_attempt_at = newsletter.ab_send_at_b
            else:
                row.status = Delivery.Status.HELD
        rows.append(row)
        if len(rows) == 5000:
            count += len(Delivery.objects.bulk_create(rows, ignore_conflicts=True))
            rows = []
    count += len(Delivery.objects.bulk_create(rows, ignore_conflicts=True))
    if connection.vendor == "postgresql":
        # The planner's picture of the table changed a lot: without fresh statistics the
        # claims and the readers' recount could take a plan made for an empty table.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
    return count


def kick(newsletter_id: int, workers: int = 1) -> None:
    from .tasks import send_newsletter_batch

    for _n in range(workers):
        send_newsletter_batch.delay(newsletter_id)


def _transition(newsletter: Newsletter, allowed: set[str], to: str, message: str) -> Newsletter:
    with transaction.atomic():
        locked = Newsletter.objects.select_for_update().get(pk=newsletter.pk)
        if locked.status not in allowed:
            raise ValidationError(message)
        locked.status = to
        locked.save(update_fields=["status"])
        if to == Newsletter.Status.CANCELLED:
            Delivery.objects.filter(newsletter=locked, status__in=[
                Delivery.Status.QUEUED, Delivery.Status.HELD, Delivery.Status.CLAIMED]
            ).update(status=Delivery.Status.CANCELLED, claim=None)
    return locked


def newsletter_pause(*, newsletter: Newsletter) -> Newsletter:
    return _transition(newsletter, {Newsletter.Status.SENDING, Newsletter.Status.TESTING},
                       Newsletter.Status.PAUSED, _("Only a newsletter being sent can be "
                                                   "paused."))


def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    testing = newsletter.ab_test and not newsletter.ab_winner
    resumed = _transition(newsletter, {Newsletter.Status.PAUSED},
                          Newsletter.Status.TESTING if testing else Newsletter.Status.SENDING,
                          _("Only a paused newsletter can be resumed."))
    transaction.on_commit(lambda: kick(resumed.pk, workers=settings.NEWSLETTER_PARALLEL))
    return resumed


def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    return _transition(
        newsletter, {Newsletter.Status.SCHEDULED, Newsletter.Status.SENDING,
                     Newsletter.Status.TESTING, Newsletter.Status.PAUSED},
        Newsletter.Status.CANCELLED, _("This newsletter can no longer be cancelled."))


def newsletter_finished(newsletter: Newsletter) -> None:
    """Called inside the transaction that holds the newsletter's row."""
    newsletter.status, newsletter.finished_at = Newsletter.Status.SENT, timezone.now()
    newsletter.save(update_fields=["status", "finished_at"])
    from .tasks import refresh_readers

    transaction.on_commit(lambda: refresh_readers.delay(newsletter.pk))


def ab_results(newsletter: Newsletter) -> dict[str, dict[str, Any]]:
    results = {}
    for variant in ("A", "B"):
        figures = Delivery.objects.filter(newsletter=newsletter, variant=variant).aggregate(
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)))
        figures["rate"] = 100 * figures["opened"] / figures["sent"] if figures["sent"] else None
        results[variant] = figures
    return results


def ab_decide(newsletter_id: int, now: dt.datetime | None = None) -> str | None:
    """Once the wait is over: the variant with the better open rate (A on a tie) goes to
    the rest of the segment. Returns the winner, or None when it is not time yet."""
    now = now or timezone.now()
    with transaction.atomic():
        newsletter = (Newsletter.objects.select_for_update()
                      .filter(pk=newsletter_id, status=Newsletter.Status.TESTING,
                              ab_decide_at__lte=now).first())
        if newsletter is None:
            return None
        results = ab_results(newsletter)
        rate_a, rate_b = results["A"]["rate"] or 0, results["B"]["rate"] or 0
        winner = "B" if rate_b > rate_a else "A"
        when = None
        if newsletter.ab_test == Newsletter.ABTest.SEND_TIME:
            chosen = newsletter.send_at if winner == "A" else newsletter.ab_send_at_b
            when = chosen
            while when < now:
                when += dt.timedelta(days=1)  # the winning time of day, next
        Delivery.objects.filter(newsletter=newsletter, status=Delivery.Status.HELD).update(
            status=Delivery.Status.QUEUED, variant=winner, next_attempt_at=when)
        newsletter.ab_winner, newsletter.status = winner, Newsletter.Status.SENDING
        newsletter.save(update_fields=["ab_winner", "status"])
        transaction.on_commit(lambda: kick(newsletter_id, workers=settings.NEWSLETTER_PARALLEL))
    return winner


def dispatch(now: dt.datetime | None = None) -> None:
    """The beat job: start due newsletters, settle due A/B tests, and set workers going
    again on sends that have rows left and no worker on them (a worker died, a retry came
    due)."""
    from django.core.cache import cache

    from .tasks import start_newsletter

    now = now or timezone.now()
    for pk in Newsletter.objects.filter(status=Newsletter.Status.SCHEDULED,
                                        send_at__lte=now).values_list("pk", flat=True):
        start_newsletter.delay(pk)
    for pk in Newsletter.objects.filter(status=Newsletter.Status.TESTING,
                                        ab_decide_at__lte=now).values_list("pk", flat=True):
        ab_decide(pk, now)
    for pk in Newsletter.objects.filter(status__in=[Newsletter.Status.SENDING,
                                                    Newsletter.Status.TESTING]
                                        ).values_list("pk", flat=True):
        if cache.get(f"newsletter-running:{pk}") is None:
            kick(pk)


# --- Tracking -------------------------------------------------------------------

def delivery_opened(delivery: Delivery, when: dt.datetime | None = None) -> None:
    when = when or timezone.now()
    first = Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(
        opened_at=when)
    Delivery.objects.filter(pk=delivery.pk).update(opens=F("opens") + 1)
    if first:
        _reader_event(delivery.person_id, opened=True, when=when)


def delivery_clicked(delivery: Delivery, link: Link) -> None:
    from .models import Click

    now = timezone.now()
    if delivery.opened_at is None:
        delivery_opened(delivery, now)  # a click tells the message was opened
    first = Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(
        clicked_at=now)
    Delivery.objects.filter(pk=delivery.pk).update(clicks=F("clicks") + 1)
    Click.objects.create(delivery=delivery, link=link, at=now)
    if first:
        _reader_event(delivery.person_id, clicked=True, when=now)


def _reader_event(person_id: int, *, when: dt.datetime, opened: bool = False,
                  clicked: bool = False) -> None:
    reader = Reader.objects.filter(person_id=person_id).first()
    if reader is None:
        return  # the nightly refresh makes it
    if opened:
        reader.opened += 1
        reader.last_opened_at = when
    if clicked:
        reader.clicked += 1
    reader.opened = min(reader.opened, reader.received) if reader.received else reader.opened
    reader.engagement = engagement_of(reader.received, reader.opened)
    reader.save()


@transaction.atomic
def unsubscribe(delivery: Delivery, *, how: str) -> bool:
    """Record the reader's withdrawal of consent. False when already recorded."""
    if delivery.unsubscribed_at:
        return False
    Delivery.objects.filter(pk=delivery.pk).update(unsubscribed_at=timezone.now())
    person = Person.objects.get(pk=delivery.person_id)
    consent_record(person=person, channel=Consent.Channel.NEWSLETTER, granted=False,
                   lawful_basis=Consent.Basis.CONSENT,
                   source=(_("%(how)s in the newsletter “%(name)s”")
                           % {"how": how, "name": delivery.newsletter.name})[:200], by=None)
    return True


def refresh_readers(people: list[int] | None = None) -> int:
    """Recount what each reader received, opened and clicked in the last 12 months: of the
    `people` given (by id, a few thousand at a time, each read from the person's index),
    or of everyone."""
    if people is not None:
        total = 0
        for start in range(0, len(people), 5000):
            total += _refresh_readers(people[start:start + 5000])
        return total
    return _refresh_readers(None)


def _refresh_readers(people: list[int] | None) -> int:
    since = timezone.now() - ENGAGEMENT_WINDOW
    deliveries = Delivery.objects.filter(status=Delivery.Status.SENT, sent_at__gte=since)
    if people is not None:
        deliveries = deliveries.filter(person_id__in=people)
    stats = (deliveries.values("person_id").order_by("person_id")
             .annotate(received=Count("pk"), opened=Count("opened_at"),
                       clicked=Count("clicked_at"), first=Min("sent_at"),
                       last_open=Max("opened_at")))
    batch, total = [], 0
    fields = ["received", "opened", "clicked", "first_received_at", "last_opened_at",
              "engagement"]
    for row in stats.iterator(chunk_size=5000):
        batch.append(Reader(person_id=row["person_id"], received=row["received"],
                            opened=row["opened"], clicked=row["clicked"],
                            first_received_at=row["first"], last_opened_at=row["last_open"],
                            engagement=engagement_of(row["received"], row["opened"])))
        if len(batch) == 2000:
            total += _upsert(batch, fields)
            batch = []
    return total + _upsert(batch, fields)


def _upsert(readers: list[Reader], fields: list[str]) -> int:
    if readers:
        Reader.objects.bulk_create(readers, update_conflicts=True, unique_fields=["person"],
                                   update_fields=fields)
    return len(readers)


# --- Previews, tests and statistics ---------------------------------------------------

def reader_of(person: Person | None, user: User) -> rendering.Reader:
    if person is None:
        return rendering.Reader(user.first_name, user.last_name, user.email, "", "")
    organisation = person.organisations.order_by("affiliations__pk").values_list(
        "name", flat=True).first() or ""
    return rendering.Reader(person.first_name, person.last_name, person.email, person.city,
                            organisation)


def preview(newsletter: Newsletter, *, language: str, reader: rendering.Reader,
            variant: str = "") -> dict[str, str]:
    version = (newsletter.versions.filter(language=language).first()
               or newsletter.versions.filter(language=newsletter.language).first())
    if version is None:
        raise ValidationError(_("Write a version of the newsletter first."))
    errors = rendering.check({f: getattr(version, f) for f in rendering.FIELDS})
    if errors:
        raise ValidationError(errors)
    compiled = rendering.compile_version(version, newsletter=newsletter,
                                         sender=rendering.Sender.of(newsletter.office))
    subject, html, text = rendering.personalise(compiled, reader, office=newsletter.office.name,
                                                variant=variant)
    # The preheader is shown as text on the preview page: its template output is HTML (the
    # office's literal text unescaped), so turn it back into plain text the page escapes.
    preheader = " ".join(unescape(str(compiled.preheader.render(
        reader.context(newsletter.office.name)))).split()) if compiled.preheader else ""
    return {"subject": subject, "preheader": preheader, "html": html, "text": text,
            "language": version.language}


def send_test(newsletter: Newsletter, *, user: User, person: Person | None = None) -> int:
    """Every language version (and both subjects of an A/B test) to the user's own address,
    marked as a test, personalised as `person` or as the user."""
    sender = rendering.Sender.of(newsletter.office)
    reader = reader_of(person, user)
    sent = 0
    for version in newsletter.versions.all():
        variants = ["A", "B"] if newsletter.ab_test == Newsletter.ABTest.SUBJECT else [""]
        for variant in variants:
            shown = preview(newsletter, language=version.language, reader=reader,
                            variant=variant)
            email: EmailMultiAlternatives = rendering.message(
                sender=sender, to=user.email, subject=_("[Test] %(subject)s")
                % {"subject": shown["subject"]}, html=shown["html"], text=shown["text"],
                unsubscribe_url=None)
            email.send()
            sent += 1
    return sent


def newsletter_figures(newsletter: Newsletter) -> dict[str, Any]:
    """Recipients, sent, opens, clicks, rates and the rest, in one query."""
    return _rates(Delivery.objects.filter(newsletter=newsletter).aggregate(**_counts()))


def newsletter_stats(newsletter: Newsletter) -> dict[str, Any]:
    """The figures, with the A/B results, the links, opens per day and by language."""
    figures = newsletter_figures(newsletter)
    figures["variants"] = ab_results(newsletter) if newsletter.ab_test else {}
    figures["links"] = list(Link.objects.filter(newsletter=newsletter)
                            .annotate(total=Count("clicks"),
                                      people=Count("clicks__delivery", distinct=True))
                            .order_by("-total", "url"))
    figures["by_day"] = list(Delivery.objects.filter(newsletter=newsletter,
                                                     opened_at__isnull=False)
                             .annotate(day=TruncDate("opened_at")).values("day")
                             .annotate(opens=Count("pk")).order_by("day")[:60])
    figures["by_language"] = [
        {"language": row["language"], **_rates(row)} for row in
        Delivery.objects.filter(newsletter=newsletter).values("language")
        .annotate(**_counts()).order_by("language")]
    return figures


def _counts() -> dict[str, Any]:
    sent = Q(status=Delivery.Status.SENT)
    return {
        "recipients": Count("pk"),
        "sent": Count("pk", filter=sent),
        "bounced": Count("pk", filter=Q(bounced_at__isnull=False)),
        "opened": Count("pk", filter=Q(opened_at__isnull=False)),
        "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
        "unsubscribed": Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        "complained": Count("pk", filter=Q(complained_at__isnull=False)),
        "failed": Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        "skipped": Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
        "waiting": Count("pk", filter=Q(status__in=[
            Delivery.Status.QUEUED, Delivery.Status.CLAIMED, Delivery.Status.IN_FLIGHT,
            Delivery.Status.HELD])),
    }


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    delivered = max(row["sent"] - row["bounced"], 0)
    return {**row, "delivered": delivered,
            "open_rate": 100 * row["opened"] / delivered if delivered else None,
            "click_rate": 100 * row["clicked"] / delivered if delivered else None}


def segment_stats(segment: Segment) -> list[dict[str, Any]]:
    """Each newsletter sent to the segment, with its figures, newest first."""
    rows = (Delivery.objects.filter(newsletter__segment=segment)
            .values("newsletter_id", "newsletter__name", "newsletter__started_at")
            .annotate(**_counts()).order_by("-newsletter__started_at"))
    return [_rates(row) for row in rows]


def list_figures(newsletter_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The figures of a page of newsletters, in one query."""
    rows = (Delivery.objects.filter(newsletter_id__in=newsletter_ids).values("newsletter_id")
            .annotate(**_counts()).order_by())
    return {row["newsletter_id"]: _rates(row) for row in rows}
