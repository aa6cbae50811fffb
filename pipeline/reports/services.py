"""Report PDFs: asked for on the page, made by a worker on the `reports` queue, kept for
download; weekly and monthly deliveries to subscribers, once per period."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from circles.models import Office, User
from tsgcrm import counts
from tsgcrm.db import report_plans

from .charts import network_charts, office_charts
from .figures import ReportError, network_report, office_report
from .models import ReportDelivery, ReportRun, ReportSubscription

# A PDF made this recently is handed out again for the same report.
FRESH_FOR = dt.timedelta(hours=1)
# A run still "being made" after this long was left by a worker that died.
STALE_AFTER = dt.timedelta(minutes=3)
# A run still queued after this long lost its task (the broker restarted empty).
LOST_AFTER = dt.timedelta(minutes=2)
# A run not made after this long, tried again meanwhile, is reported failed.
GIVE_UP_AFTER = dt.timedelta(minutes=15)


def office_scope(office: Office) -> list[Office]:
    """An office with its sub-offices (a report of a national office covers them)."""
    return [office, *office.sub_offices.filter(active=True).order_by("name")]


def report_context(run: ReportRun) -> dict:
    """What the report template needs, for the page and the PDF alike.

    The figures are cached per version of the offices' report rows (deals, moves,
    interactions, objections, tasks: any change bumps it after commit), of the exchange
    rates, and per day (overdue and forecast depend on today): a figure is never read
    stale. Computed again, they read whole weeks of moves and a past period's open deals
    from finer caches of their own (moves.py, history.py). The queries are planned for
    their actual period (a generic plan, reused across periods, reads far more moves than
    one period needs)."""
    if run.kind == ReportRun.Kind.NETWORK:
        rows = _network_rows(run)
        missing = set().union(*(r.open_value.missing | r.weighted.missing
                                | r.won_value.missing for r in rows))
        return {"kind": "network", "rows": rows, "missing_rates": missing,
                "start": run.start, "end": run.end, "currency": run.currency,
                "charts": network_charts(rows, run.currency)}
    scope = office_scope(run.office)
    key = _cache_key(run, [o.pk for o in scope])
    report = cache.get(key)
    if report is None:
        with report_plans():
            report = office_report(offices=scope, start=run.start, end=run.end,
                                   currency=run.currency)
        cache.set(key, report, counts.TTL)
    return {"kind": "office", "report": report, "office": run.office, "start": run.start,
            "end": run.end, "currency": run.currency, "missing_rates": report.missing_rates,
            "charts": office_charts(report)}


def _network_rows(run: ReportRun) -> list:
    """The network report's rows, each national office's cached on its own (per version
    of its and its sub-offices' deals): a change in one office recomputes its row only,
    the other offices' come from the cache; all missing rows in one set of queries."""
    offices = list(Office.objects.filter(active=True))
    scopes: dict[int, list[Office]] = {o.pk: [] for o in offices if o.parent_id is None}
    for office in offices:
        if (office.parent_id or office.pk) in scopes:
            scopes[office.parent_id or office.pk].append(office)
    # A row reads deals and their moves only: an interaction or a task logged does not
    # make it stale. Every office's version in one round trip to the cache.
    known = counts.versions([("deals", o.pk) for o in offices] + [("reports", 0)])
    keys = {top: "network-row:" + _cache_key(run, [o.pk for o in scope], scope="deals",
                                             known=known)
            for top, scope in scopes.items()}
    cached = cache.get_many(list(keys.values()))
    rows = {top: cached[key] for top, key in keys.items() if key in cached}
    missing = [o for top, scope in scopes.items() if top not in rows for o in scope]
    if missing:
        with report_plans():
            computed, _rates = network_report(offices=missing, start=run.start, end=run.end,
                                              currency=run.currency, zone=settings.TIME_ZONE)
        cache.set_many({keys[row.office.pk]: row for row in computed}, counts.TTL)
        rows.update({row.office.pk: row for row in computed})
    return sorted(rows.values(), key=lambda r: r.office.name)


def _cache_key(run: ReportRun, office_ids: list[int], scope: str = "reports",
               known: dict | None = None) -> str:
    """The key of figures read from `scope`'s rows of these offices ("reports": deals,
    moves, interactions, objections, tasks; "deals": deals and their moves), and the
    exchange rates (office 0 of "reports"); `known`: versions already read."""
    if known is None:
        known = counts.versions([(scope, pk) for pk in office_ids] + [("reports", 0)])
    versions = (counts.versions_key(scope, office_ids, known) + "|"
                + counts.versions_key("reports", [0], known))
    return "report:" + ReportRun.key_for(
        kind=run.kind, office=run.office_id, start=run.start, end=run.end,
        currency=run.currency, language=translation.get_language(),
        today=timezone.localdate(), versions=versions)


@transaction.atomic
def report_request(*, user: User, kind: str, office: Office | None, start: dt.date,
                   end: dt.date, currency: str) -> ReportRun:
    """The PDF of a report: a fresh identical one if there is one, else a new run queued
    for the reports worker."""
    if end < start:
        raise ValidationError({"end": _("The period ends before it starts.")})
    run = ReportRun(kind=kind, office=office, start=start, end=end, currency=currency,
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    requested_by=user)
    run.key = run.params_key()
    existing = (ReportRun.objects.select_for_update()
                .filter(key=run.key, created_at__gte=timezone.now() - FRESH_FOR)
                .exclude(status=ReportRun.Status.FAILED).order_by("-created_at").first())
    if existing is not None:
        return existing
    run.save()
    from ..tasks import render_report

    transaction.on_commit(lambda: render_report.delay(run.pk))
    return run


def _progress(run: ReportRun, value: int, status: str = ReportRun.Status.RUNNING) -> None:
    ReportRun.objects.filter(pk=run.pk).update(progress=value, status=status)


def report_pdf(run: ReportRun) -> bytes:
    from weasyprint import HTML

    with translation.override(run.language):
        context = report_context(run)
        _progress(run, 50)
        html = render_to_string("pipeline/report_pdf.html", {**context, "run": run})
    _progress(run, 70)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _make_pdf(run: ReportRun) -> bytes:
    """Render the run's PDF, keep it and mark the run done; returns the PDF."""
    pdf = report_pdf(run)
    run.pdf.save(run.filename, ContentFile(pdf), save=False)
    run.status, run.progress, run.finished_at = ReportRun.Status.DONE, 100, timezone.now()
    run.save(update_fields=["pdf", "status", "progress", "finished_at"])
    return pdf


def report_render(*, run_id: int) -> bool:
    """Make the PDF of a queued run and tell whoever asked for it. A run already made (or
    being made by another worker) is left alone."""
    # Queued, or left running by a worker that died (the task is then delivered again).
    stale = timezone.now() - STALE_AFTER
    claimed = ReportRun.objects.filter(
        Q(status=ReportRun.Status.QUEUED)
        | Q(status=ReportRun.Status.RUNNING, created_at__lt=stale), pk=run_id).update(
        status=ReportRun.Status.RUNNING, progress=10)
    if not claimed:
        return False
    run = ReportRun.objects.select_related("office", "requested_by").get(pk=run_id)
    try:
        _make_pdf(run)
    except ReportError as error:
        report_failed(run_id=run.pk, error=str(error))
        return False
    user = run.requested_by
    with translation.override(user.language or settings.LANGUAGE_CODE):
        EmailMessage(subject=_("Your report is ready: %(report)s") % {"report": run},
                     body=render_to_string("pipeline/email/report_ready.txt", {
                         "run": run, "person": user,
                         "url": settings.SITE_URL + reverse("pipeline:report_download",
                                                            args=[run.pk])}),
                     to=[user.email]).send()
    return True


def runs_recover(now: dt.datetime | None = None) -> tuple[list[int], int]:
    """No run stays "queued" or "being made" for ever: a run whose task was lost (queued
    too long) or whose worker died (running too long) is queued again, and a run still
    not made after GIVE_UP_AFTER is reported failed, so the person can ask again. Returns
    the runs queued again and how many failed. Queuing twice is harmless: a run is claimed
    once (report_render)."""
    from ..tasks import render_report

    now = now or timezone.now()
    pending = (Q(status=ReportRun.Status.QUEUED, created_at__lt=now - LOST_AFTER)
               | Q(status=ReportRun.Status.RUNNING, created_at__lt=now - STALE_AFTER))
    failed = ReportRun.objects.filter(pending, created_at__lt=now - GIVE_UP_AFTER).update(
        status=ReportRun.Status.FAILED, finished_at=now,
        error=gettext_noop("The report could not be made (the server stopped while making "
                           "it). Ask for it again."))
    again = list(ReportRun.objects.filter(pending).values_list("pk", flat=True))
    # Queued again, so that report_render claims it (a run left "being made" is dead: the
    # task's time limit is well under STALE_AFTER).
    ReportRun.objects.filter(pending, pk__in=again).update(status=ReportRun.Status.QUEUED,
                                                           progress=0)
    for run_id in again:
        render_report.delay(run_id)
    return again, failed


def report_failed(*, run_id: int, error: str) -> None:
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.DONE).update(
        status=ReportRun.Status.FAILED, error=error[:2000], finished_at=timezone.now())


def subscription_save(*, user: User, office: Office, frequency: str) -> ReportSubscription:
    if frequency not in ReportSubscription.Frequency.values:
        raise ValidationError({"frequency": _("Choose every week or every month.")})
    subscription, _created = ReportSubscription.objects.get_or_create(
        user=user, office=office, frequency=frequency)
    return subscription


def deliveries_send(today: dt.date | None = None) -> int:
    """Each subscription's report for its last complete period, once: the delivery row
    (unique per subscription and period) is inserted with the email in one transaction."""
    today = today or timezone.localdate()
    sent = 0
    for subscription in ReportSubscription.objects.select_related("user", "office").filter(
            user__is_active=True):
        start, end = subscription.last_period(today)
        if ReportDelivery.objects.filter(subscription=subscription, period_end=end).exists():
            continue
        user = subscription.user
        if not Office.objects.visible_to(user).filter(pk=subscription.office_id).exists():
            continue  # no longer theirs to see
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(subscription=subscription,
                                                         period_end=end)
                run = ReportRun(kind=ReportRun.Kind.OFFICE, office=subscription.office,
                                start=start, end=end, currency=subscription.office.currency,
                                language=user.language or settings.LANGUAGE_CODE,
                                requested_by=user, status=ReportRun.Status.RUNNING)
                run.save()
                pdf = _make_pdf(run)
                with translation.override(run.language):
                    message = EmailMessage(
                        subject=_("Pipeline report of %(office)s, %(start)s – %(end)s")
                        % {"office": subscription.office, "start": start, "end": end},
                        body=render_to_string("pipeline/email/report_subscription.txt", {
                            "subscription": subscription, "run": run, "person": user,
                            "site_url": settings.SITE_URL}),
                        to=[user.email])
                    message.attach(run.filename, pdf, "application/pdf")
                    message.send()
                delivery.run, delivery.sent_at = run, timezone.now()
                delivery.save(update_fields=["run", "sent_at"])
        except IntegrityError:
            continue  # another process sent it
        sent += 1
    return sent
