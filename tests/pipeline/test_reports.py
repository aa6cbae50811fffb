"""Pipeline reports: every figure against a fixture computed by hand, scoping, bad input,
the query count whatever the data size, CSV, subscriptions and the PDF by a real worker."""

import datetime as dt
import subprocess
import time
import zoneinfo
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from contacts.models import LeadSource
from pipeline.agenda.models import Task
from pipeline.models import Deal, Interaction, LostReason, Objection, Phase, PhaseMove
from pipeline.reports.figures import network_report, office_report
from pipeline.reports.models import ExchangeRate, ReportDelivery, ReportRun, ReportSubscription
from pipeline.reports.services import deliveries_send, report_request
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
JANUARY = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)}


def at(day: str) -> dt.datetime:
    """Noon in Paris on a day of winter (no daylight-saving change in the fixture)."""
    return dt.datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=PARIS)


def seeded() -> None:
    """The phases and lost reasons (seeded again if a transactional test emptied them)."""
    from django.apps import apps

    from pipeline.seed import load

    load(apps)


def deal(office, owner, *, path: list[tuple[int, str]], value: int, status="open",
         closed: str | None = None, person=None, **fields) -> Deal:
    """A deal with its phase history: (phase number, day entered) in order."""
    seeded()
    phases = {p.number: p for p in Phase.objects.all()}
    if person is not None:  # as the create service does
        fields.setdefault("lead_source", person.lead_source)
    record = Deal(office=office, owner=owner, title=f"Deal {value}", value=Decimal(value),
                  currency=office.currency, phase=phases[path[0][0]], status=status,
                  created_at=at(path[0][1]), phase_entered_at=at(path[0][1]),
                  closed_at=at(closed) if closed else None, person=person, **fields)
    moves = [PhaseMove.of(record, phases[path[0][0]], by=owner, at=at(path[0][1]),
                          first=True)]
    for number, day in path[1:]:  # as the move service records them
        moves.append(PhaseMove.of(record, phases[number], by=owner, at=at(day)))
        record.phase, record.phase_entered_at = phases[number], at(day)
    record.save()
    for move in moves:
        move.deal = record
        move.save()
    return record


@pytest.fixture
def fixture(office_a, consultant_a):
    """Five deals of office A; the figures below are worked out by hand for January 2026."""
    seeded()
    today = timezone.localdate()
    referral = PersonFactory(office=office_a, lead_source=LeadSource.REFERRAL)
    event = PersonFactory(office=office_a, lead_source=LeadSource.EVENT)
    reason, _created = LostReason.objects.get_or_create(name="No budget")
    deals = {
        "d1": deal(office_a, consultant_a, value=1000,
                   path=[(1, "2025-12-10"), (2, "2026-01-05"), (3, "2026-01-15")],
                   expected_close=today - dt.timedelta(days=60)),
        "d2": deal(office_a, consultant_a, value=2000, person=referral, probability=50,
                   path=[(1, "2026-01-10"), (2, "2026-01-20")],
                   expected_close=today + dt.timedelta(days=40),
                   next_step="Call", next_step_date=today - dt.timedelta(days=1)),
        "d3": deal(office_a, consultant_a, value=500, status="lost", closed="2026-01-25",
                   lost_reason=reason, path=[(1, "2025-11-01"), (2, "2025-12-01")]),
        "d4": deal(office_a, consultant_a, value=3000, status="won", closed="2026-01-12",
                   person=event, path=[(1, "2026-01-02"), (2, "2026-01-03"),
                                       (3, "2026-01-04"), (4, "2026-01-06"),
                                       (5, "2026-01-08"), (6, "2026-01-12")]),
        "d5": deal(office_a, consultant_a, value=100, probability=10,
                   path=[(1, "2026-02-10")]),
    }
    Objection.objects.create(deal=deals["d1"], category="price", words="Too dear.",
                             outcome="resolved", created_at=at("2026-01-07"))
    Objection.objects.create(deal=deals["d1"], category="time", words="Later.",
                             created_at=at("2026-02-07"))
    Interaction.objects.create(office=office_a, deal=deals["d1"], kind="call",
                               happened_at=at("2026-01-09"), created_by=consultant_a)
    Task.objects.create(title="Send the offer", office=office_a, assignee=consultant_a,
                        created_by=consultant_a, due_date=dt.date(2026, 1, 9),
                        status=Task.Status.DONE, done_at=at("2026-01-09"))
    return deals


def test_every_figure_matches_the_hand_computed_fixture(fixture, office_a, consultant_a):
    report = office_report(offices=[office_a], **JANUARY)
    rows = {r.phase.number: r for r in report.phases}
    # Open at the end of January: d1 in phase 3, d2 in phase 2 (d3 lost, d4 won, d5 later).
    assert {n: (r.open_count, r.open_value.total) for n, r in rows.items() if r.open_count} \
        == {2: (1, Decimal("2000.00")), 3: (1, Decimal("1000.00"))}
    assert [rows[n].entered for n in range(1, 8)] == [2, 3, 2, 1, 1, 1, 0]
    # Left: moves out, plus d3 lost while in phase 2.
    assert [rows[n].left for n in range(1, 8)] == [3, 3, 1, 1, 1, 0, 0]
    assert [(rows[n].went_further, rows[n].entered) for n in range(1, 7)] == [
        (2, 2), (2, 3), (1, 2), (1, 1), (1, 1), (0, 1)]
    assert rows[2].conversion == 66.7
    # Stays that ended in January: phase 1: 26, 10 and 1 days; phase 2: 10 and 1 days.
    assert (rows[1].stays, rows[1].average_days, rows[1].median_days) == (3, 12.3, 10.0)
    assert (rows[2].stays, rows[2].average_days, rows[2].median_days) == (2, 5.5, 5.5)
    assert [rows[n].median_days for n in (3, 4, 5)] == [2.0, 2.0, 4.0]
    assert rows[6].stays == 0 and rows[6].median_days is None
    assert {k: (v["count"], v["value"].total) for k, v in report.closed.items()} == {
        "won": (1, Decimal("3000.00")), "lost": (1, Decimal("500.00")),
        "no_deal": (0, Decimal("0.00"))}
    assert report.lost_reasons == [("No budget", 1)]
    assert sorted((code, n, won) for code, _label, n, won in report.sources) == [
        ("event", 1, 1), ("referral", 1, 0)]
    assert report.objections == [("Price", {"resolved": 1}, 1)]
    assert report.activity == [{"person": consultant_a, "interactions": 1, "tasks": 1,
                                "moves": 8}]
    assert report.overdue == [(consultant_a, 1)]


def test_the_forecast_weighs_todays_open_deals_by_month(fixture, office_a):
    report = office_report(offices=[office_a], **JANUARY)
    today = timezone.localdate()
    third = Phase.objects.get(number=3).default_probability
    d2_month = (today + dt.timedelta(days=40)).strftime("%Y-%m")
    assert [(k, m.total) for k, m in report.forecast] == [
        ("late", Decimal(1000 * third / 100).quantize(Decimal("0.01"))),  # d1, phase's %
        (d2_month, Decimal("1000.00")),  # d2: 2000 × 50 %
        ("none", Decimal("10.00")),  # d5: 100 × 10 %, no expected date
    ]


def test_the_funnel_of_a_period_ending_today_counts_todays_open_deals(fixture, office_a):
    today = timezone.localdate()
    report = office_report(offices=[office_a], start=today - dt.timedelta(days=30), end=today)
    assert {r.phase.number: r.open_count for r in report.phases if r.open_count} == {
        1: 1, 2: 1, 3: 1}


def test_sums_in_another_currency_are_converted_or_reported_missing(fixture, office_a,
                                                                    office_b, consultant_b):
    office_b.currency = "GBP"
    office_b.save()
    deal(office_b, consultant_b, value=1000, path=[(1, "2026-01-10")])
    rows, missing = network_report(offices=[office_a, office_b], currency="EUR",
                                   zone="Europe/Paris", **JANUARY)
    by_office = {r.office: r for r in rows}
    assert missing == {"GBP"}
    assert by_office[office_b].open_value.total is None  # never a guessed number
    assert by_office[office_a].open_value.total == Decimal("3100.00")
    ExchangeRate.objects.create(currency="GBP", in_euros=Decimal("1.2"),
                                valid_from=dt.date(2025, 1, 1))
    rows, missing = network_report(offices=[office_a, office_b], currency="EUR",
                                   zone="Europe/Paris", **JANUARY)
    assert not missing
    assert {r.office: r.open_value.total for r in rows}[office_b] == Decimal("1200.00")
    assert {r.office: r.won_count for r in rows}[office_a] == 1


def test_the_report_page_scoping_and_bad_input(client, fixture, office_a, office_b,
                                               lead_a, consultant_a):
    url = reverse("pipeline:report")
    client.force_login(consultant_a)
    assert client.get(url).status_code == 403
    client.force_login(lead_a)
    page = client.get(url, {"office": office_a.pk, "start": "2026-01-01", "end": "2026-01-31"})
    assert page.status_code == 200 and "Funnel of the seven phases" in page.text
    assert "status=won&amp;event=closed&amp;start=2026-01-01&amp;end=2026-01-31" in page.text
    other = client.get(url, {"office": office_b.pk, "start": "2026-01-01", "end": "2026-01-31"})
    assert "Select a valid choice" in other.text and "Funnel" not in other.text
    backwards = client.get(url, {"office": office_a.pk, "start": "2026-02-01",
                                 "end": "2026-01-01"})
    assert "The period ends before it starts." in backwards.text
    empty = client.get(url, {"office": office_a.pk, "start": "2020-01-01",
                             "end": "2020-01-31"})
    assert "Nothing happened in this period" in empty.text
    csv = client.get(reverse("pipeline:report_csv", args=["office", "funnel"]),
                     {"office": office_b.pk, "start": "2026-01-01", "end": "2026-01-31"})
    assert csv.status_code == 404
    assert client.get(reverse("pipeline:network_report")).status_code == 403


def test_a_figure_drills_down_to_the_deals_behind_it(client, fixture, office_a, lead_a,
                                                     consultant_b):
    client.force_login(lead_a)
    drill = {"office": office_a.pk, "phase": 2, "event": "entered", "start": "2026-01-01",
             "end": "2026-01-31"}
    listed = client.get(reverse("pipeline:deal_list"), drill)
    assert "3 deals" in listed.text
    for name in ("Deal 1000", "Deal 2000", "Deal 3000"):
        assert name in listed.text
    assert "The deals behind a report figure" in listed.text
    won = client.get(reverse("pipeline:deal_list"), {
        "office": office_a.pk, "status": "won", "event": "closed", "start": "2026-01-01",
        "end": "2026-01-31"})
    assert "1 deal" in won.text and "Deal 3000" in won.text
    client.force_login(consultant_b)  # another office: the same link shows nothing of A
    assert "0 deals" in client.get(reverse("pipeline:deal_list"), drill).text


def test_every_table_downloads_as_csv(client, fixture, office_a, lead_a):
    client.force_login(lead_a)
    params = {"office": office_a.pk, **{k: v.isoformat() for k, v in JANUARY.items()}}
    for table in ("funnel", "closed", "lost_reasons", "forecast", "sources", "objections",
                  "activity", "overdue"):
        response = client.get(reverse("pipeline:report_csv", args=["office", table]), params)
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
    funnel = b"".join(client.get(reverse("pipeline:report_csv", args=["office", "funnel"]),
                                 params).streaming_content).decode()
    assert "phase,open_deals,open_value,entered,left" in funnel.replace('"', "")
    assert "\n2,1,2000.00,3,3,66.7,2,5.5,5.5" in funnel.replace("\r", "")


def test_the_report_takes_a_fixed_number_of_queries(client, fixture, office_a, lead_a,
                                                    django_assert_num_queries):
    from django.core.cache import cache

    from pipeline.generate import generate_deals

    client.force_login(lead_a)
    params = {"office": office_a.pk, "start": "2025-06-01",
              "end": timezone.localdate().isoformat()}
    client.get(reverse("pipeline:report"), params)  # sessions warm
    cache.clear()
    with django_assert_num_queries(24) as before:  # cache cleared: session too
        client.get(reverse("pipeline:report"), params)
    generate_deals(office=office_a, count=120, seed=4)
    cache.clear()
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(reverse("pipeline:report"), params)


def test_cached_figures_are_never_read_stale(client, fixture, office_a, lead_a,
                                             consultant_a, django_capture_on_commit_callbacks):
    client.force_login(lead_a)
    params = {"office": office_a.pk, **{k: v.isoformat() for k, v in JANUARY.items()}}
    first = client.get(reverse("pipeline:report"), params).context["report"]
    assert first.activity[0]["interactions"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        Interaction.objects.create(office=office_a, deal=fixture["d2"], kind="meeting",
                                   happened_at=at("2026-01-21"), created_by=consultant_a)
    again = client.get(reverse("pipeline:report"), params).context["report"]
    assert again.activity[0]["interactions"] == 2


def test_identical_requests_reuse_a_fresh_pdf_run(office_a, lead_a):
    first = report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                           **JANUARY)
    again = report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                           **JANUARY)
    assert again == first
    other = report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                           start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert other != first
    ReportRun.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2))
    assert report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                          **JANUARY) != first


def test_subscriptions_send_each_period_once(fixture, office_a, lead_a):
    ReportSubscription.objects.create(user=lead_a, office=office_a, frequency="monthly")
    assert deliveries_send(today=dt.date(2026, 2, 3)) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][2] == "application/pdf"
    delivery = ReportDelivery.objects.get()
    assert (delivery.run.start, delivery.run.end) == (dt.date(2026, 1, 1),
                                                      dt.date(2026, 1, 31))
    assert deliveries_send(today=dt.date(2026, 2, 20)) == 0
    assert deliveries_send(today=dt.date(2026, 3, 2)) == 1
    assert len(mail.outbox) == 2


def test_the_weekly_period_is_last_monday_to_sunday(lead_a, office_a):
    weekly = ReportSubscription(user=lead_a, office=office_a, frequency="weekly")
    assert weekly.last_period(dt.date(2026, 11, 25)) == (dt.date(2026, 11, 16),
                                                        dt.date(2026, 11, 22))


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,  # noqa: S607
                            capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def test_a_real_worker_on_the_reports_queue_makes_the_pdf(fixture, office_a, lead_a,
                                                          worker_processes, tmp_path):
    from tests.conftest import emails_in
    from tests.tsgcrm.test_celery_worker import _wait_for

    outbox = worker_processes(1, queues="reports")
    run = report_request(user=lead_a, kind="office", office=office_a, currency="EUR",
                         **JANUARY)
    assert _wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "done", seconds=60)
    run.refresh_from_db()
    assert run.progress == 100 and run.pdf
    text = pdf_text(run.pdf.read())
    for figure in ("Funnel of the seven phases", "66.7", "No budget", "3,000 EUR",
                   "2,000 EUR"):
        assert figure in text, figure
    time.sleep(1)
    assert len(emails_in(outbox)) == 1  # "Your report is ready", to whoever asked
    assert run.requested_by.email in "".join(p.read_text() for p in outbox.iterdir())
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1",  # noqa: S603, S607
                    run.pdf.path, str(tmp_path / "report")], check=True)
    assert (tmp_path / "report-1.png").stat().st_size > 10_000


def test_the_network_report_computes_again_only_the_office_that_changed(
        client, fixture, office_a, office_b, consultant_b, admin,
        django_capture_on_commit_callbacks):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pipeline.services import deal_create

    cache.clear()
    client.force_login(admin)
    params = {"start": "2026-01-01", "end": "2026-01-31", "currency": "EUR"}
    url = reverse("pipeline:network_report")
    first = {r.office: r.open_count for r in client.get(url, params).context["rows"]}
    assert first[office_a] == 3 and first[office_b] == 0
    with django_capture_on_commit_callbacks(execute=True):
        deal_create(office=office_b, by=consultant_b, data={"title": "New in B"})
    with CaptureQueriesContext(connection) as queries:
        second = {r.office: r.open_count for r in client.get(url, params).context["rows"]}
    assert second == {office_a: 3, office_b: 1}  # never stale
    figures = [q["sql"] for q in queries if 'FROM "pipeline_deal"' in q["sql"]]
    assert figures and all(f"IN ({office_b.pk})" in sql for sql in figures)  # B's alone
    # An interaction logged changes none of a row's figures: every row comes from the cache.
    with django_capture_on_commit_callbacks(execute=True):
        Interaction.objects.create(office=office_a, deal=fixture["d1"], kind="call",
                                   happened_at=timezone.now(), created_by=admin)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    assert not [q for q in queries if 'FROM "pipeline_deal"' in q["sql"]]


def _moves_sql(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "pipeline_phasemove"' in q["sql"]
            and "GROUP BY" in q["sql"] and "ROW_NUMBER" not in q["sql"]]


def test_whole_weeks_are_cached_and_the_period_ends_read_from_the_database():
    from pipeline.reports.figures import period_bounds
    from pipeline.reports.moves import whole_weeks

    def utc(day: str) -> dt.datetime:
        return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)

    # Wednesday 4 to Sunday 22 March 2026 in Paris (UTC+1): one whole UTC week, Monday
    # 16 is not whole before the period's end (23:00 UTC on Sunday 22).
    weeks, edges = whole_weeks(*period_bounds(dt.date(2026, 3, 4), dt.date(2026, 3, 22),
                                              "Europe/Paris"))
    assert weeks == [(utc("2026-03-09T00:00"), utc("2026-03-16T00:00"))]
    assert edges == [(utc("2026-03-03T23:00"), utc("2026-03-09T00:00")),
                     (utc("2026-03-16T00:00"), utc("2026-03-22T23:00"))]
    # Across the change to summer time (29 March in Paris).
    weeks, edges = whole_weeks(*period_bounds(dt.date(2026, 3, 23), dt.date(2026, 4, 12),
                                              "Europe/Paris"))
    assert weeks == [(utc("2026-03-23T00:00"), utc("2026-03-30T00:00")),
                     (utc("2026-03-30T00:00"), utc("2026-04-06T00:00"))]
    assert edges == [(utc("2026-03-22T23:00"), utc("2026-03-23T00:00")),
                     (utc("2026-04-06T00:00"), utc("2026-04-12T22:00"))]
    weeks, edges = whole_weeks(*period_bounds(dt.date(2026, 1, 6), dt.date(2026, 1, 10),
                                              "Europe/Paris"))
    assert weeks == [] and edges == [(utc("2026-01-05T23:00"), utc("2026-01-10T23:00"))]


def test_cached_weeks_give_the_figures_computed_afresh_after_every_kind_of_change(
        fixture, office_a, consultant_a, django_capture_on_commit_callbacks):
    """A cold cache fills a few weeks per report. Weeks read from the cache, after a move
    that marks an old week's move as gone further, a deal deleted and deals added in
    bulk, give the very figures computed without a cache; and a change makes them
    change, reading again only the weeks it touched."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from pipeline.generate import generate_deals
    from pipeline.services import deal_move_phase

    period = {"start": dt.date(2025, 12, 1), "end": timezone.localdate()}
    old_weeks = ("2025-12-1", "2025-12-2", "2026-01", "2026-06")

    def compare() -> tuple[object, str]:
        """The report from the cache and without it (equal), and the moves it read."""
        with CaptureQueriesContext(connection) as queries:
            cached = office_report(offices=[office_a], **period)
        with override_settings(CACHES={"default": {
                "BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
            fresh = office_report(offices=[office_a], **period)
        assert cached == fresh
        sql = _moves_sql(queries)
        assert len(sql) == 1
        return fresh, sql[0].split(" WHERE ", 1)[1]  # the ranges of moves read

    def warm() -> int:
        """Reports until every week comes from the cache: the moves read stop changing."""
        previous = None
        for reports in range(1, 30):
            _report, sql = compare()
            if sql == previous:
                assert sql.count('"moved_at" >=') == 2  # the period's two ends alone
                assert not [week for week in old_weeks if week in sql]
                return reports
            previous = sql
        raise AssertionError("the weeks are never all read from the cache")

    cache.clear()
    before, sql = compare()
    assert sql.count('"moved_at" >=') == 1  # cold: the whole period read at once
    assert warm() > 10  # 52 weeks, 4 more cached by each report
    again, sql = compare()  # the weeks are cached: only the period's ends are read
    assert "2025-12-0" in sql and again == before
    rows = {r.phase.number: r for r in before.phases}

    # d1 entered phase 3 on 15 January: moving it on marks that move as gone further.
    with django_capture_on_commit_callbacks(execute=True):
        deal_move_phase(deal_id=fixture["d1"].pk, to_phase=Phase.objects.get(number=4),
                        by=consultant_a)
    after, sql = compare()
    assert "2026-01-12" in sql and "2026-06" not in sql  # that week and the ends alone
    moved = {r.phase.number: r for r in after.phases}
    assert moved[3].went_further == rows[3].went_further + 1
    assert moved[4].entered == rows[4].entered + 1

    with django_capture_on_commit_callbacks(execute=True):
        fixture["d4"].delete()  # won in January: six moves gone
    after, _sql = compare()
    assert {r.phase.number: r.entered for r in after.phases}[5] == moved[5].entered - 1

    with django_capture_on_commit_callbacks(execute=True):
        generate_deals(office=office_a, count=60, seed=7)
    grown, sql = compare()
    assert sql.count('"moved_at" >=') == 1  # a bulk write: every week read again
    assert sum(r.entered for r in grown.phases) > sum(r.entered for r in after.phases)
    warm()
    assert compare()[0] == grown


def test_medians_and_averages_match_the_stays_themselves(office_a, consultant_a):
    """Stays of every length (whole days, weeks, months and years of stay are summed in
    buckets of different widths): each phase's median and average are those of its
    stays, computed here from the moves one by one."""
    import statistics

    from django.core.cache import cache

    from pipeline.generate import generate_deals

    generate_deals(office=office_a, count=400, seed=11)
    start, end = dt.date(2025, 9, 1), timezone.localdate()
    begin = dt.datetime.combine(start, dt.time(), tzinfo=PARIS)
    stays: dict[int, list[float]] = {}
    for number, days in PhaseMove.objects.filter(
            office=office_a, moved_at__gte=begin, from_phase__isnull=False,
            days_in_previous__isnull=False).values_list("from_phase__number",
                                                        "days_in_previous"):
        stays.setdefault(number, []).append(days)
    assert max(max(v) for v in stays.values()) > 100 and len(stays) >= 4
    for attempt in ("computed", "from cached weeks"):
        if attempt == "computed":
            cache.clear()
        rows = {r.phase.number: r for r in office_report(offices=[office_a], start=start,
                                                         end=end).phases}
        for number, values in stays.items():
            assert rows[number].stays == len(values), (attempt, number)
            assert rows[number].median_days == round(statistics.median(values), 1)
            assert rows[number].average_days == round(sum(values) / len(values), 1)


def test_the_open_deals_at_a_past_end_stay_cached_until_the_past_changes(
        fixture, office_a, consultant_a, django_capture_on_commit_callbacks):
    """A deal moved on, won or lost today leaves January's open deals as they were: read
    from the cache. A value edited, a move dated back, a deal deleted: computed again,
    and always the figures computed with an empty cache."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pipeline.services import deal_lose, deal_move_phase, deal_update

    def open_deals(*, expect_cached: bool):
        with CaptureQueriesContext(connection) as queries:
            cached = office_report(offices=[office_a], **JANUARY)
        joined = [q for q in queries if 'INNER JOIN "pipeline_deal"' in q["sql"]]
        assert bool(joined) is not expect_cached
        cache.clear()
        fresh = office_report(offices=[office_a], **JANUARY)
        assert cached == fresh
        office_report(offices=[office_a], **JANUARY)  # cached again for the next step
        return {r.phase.number: (r.open_count, r.open_value.total)
                for r in fresh.phases if r.open_count}

    cache.clear()
    before = open_deals(expect_cached=False)
    assert before == {2: (1, Decimal("2000.00")), 3: (1, Decimal("1000.00"))}
    with django_capture_on_commit_callbacks(execute=True):
        deal_move_phase(deal_id=fixture["d2"].pk, to_phase=Phase.objects.get(number=3),
                        by=consultant_a)
        deal_lose(deal=fixture["d1"], by=consultant_a, reason=None, no_deal=True)
    assert open_deals(expect_cached=True) == before
    with django_capture_on_commit_callbacks(execute=True):
        deal_update(deal=Deal.objects.get(pk=fixture["d2"].pk), by=consultant_a,
                    data={"value": Decimal(2500)}, expected_version=None)
    assert open_deals(expect_cached=False)[2] == (1, Decimal("2500.00"))
    d5 = fixture["d5"]  # entered phase 1 on 10 February: now dated back to January
    with django_capture_on_commit_callbacks(execute=True):
        PhaseMove.objects.filter(deal=d5).delete()
    assert 1 not in open_deals(expect_cached=False)
    with django_capture_on_commit_callbacks(execute=True):
        PhaseMove.of(d5, d5.phase, by=consultant_a, at=at("2026-01-28"), first=True).save()
    assert open_deals(expect_cached=False)[1] == (1, Decimal("100.00"))
    with django_capture_on_commit_callbacks(execute=True):
        fixture["d5"].delete()
    assert 1 not in open_deals(expect_cached=False)


def test_a_median_between_two_buckets_of_stays(office_a, consultant_a,
                                               django_capture_on_commit_callbacks):
    """The middle two stays of a phase fall in different buckets (10 days: a bucket of
    one day; 20 days: of a week): both are ranked, the median is their mean."""
    for left in ("2026-01-11", "2026-01-21"):
        deal(office_a, consultant_a, value=100, path=[(1, "2026-01-01"), (2, left)])
    rows = {r.phase.number: r for r in office_report(offices=[office_a], **JANUARY).phases}
    assert (rows[1].stays, rows[1].median_days, rows[1].average_days) == (2, 15.0, 15.0)
    with django_capture_on_commit_callbacks(execute=True):  # January's weeks are stale
        for left in ("2026-01-04", "2026-01-17", "2026-02-10"):
            deal(office_a, consultant_a, value=100, path=[(1, "2026-01-01"), (2, left)])
    rows = {r.phase.number: r for r in office_report(
        offices=[office_a], start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 28)).phases}
    # 3, 10, 16, 20 and 40 days: the middle one, 16.
    assert (rows[1].stays, rows[1].median_days) == (5, 16.0)


def test_a_deal_moved_to_another_office_leaves_both_offices_figures_stale(
        fixture, office_a, office_b, django_capture_on_commit_callbacks):
    from tsgcrm import counts

    scopes = [(scope, office.pk) for scope in ("deals", "reports", "history", "moves")
              for office in (office_a, office_b)]
    before = counts.versions(scopes)
    moved = Deal.objects.get(pk=fixture["d2"].pk)
    moved.office = office_b  # as the admin's change form saves it
    with django_capture_on_commit_callbacks(execute=True):
        moved.save()
    after = counts.versions(scopes)
    assert all(after[pair] > before[pair] for pair in scopes if pair[0] != "moves"
               or pair[1] == office_a.pk)
