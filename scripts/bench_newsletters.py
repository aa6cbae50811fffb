"""Speed benchmark for sending newsletters (issue: 100,000 recipients, personalised,
delivered to a local SMTP sink on loopback: at least 300 messages a second with one worker
process, the worker's peak memory <= 250 MB; the figures with 1 and 2 workers).

Run with `make bench-newsletters` (database tsgcrm_bench; the recipients live in an
office of their own, "Bench newsletters", made on first use and kept, so the other
benchmarks' offices stay as they are). Each run starts real Celery workers (solo pool, as
in production) and sends the whole newsletter, from the task that creates the delivery
rows to the last message, to an SMTP sink (tsgcrm.smtpsink) in a process of its own. The
sink's clock times the send; /proc gives each worker's peak resident memory (VmHWM).
On a server without autovacuum (CI's), the delivery table is vacuumed and analysed every
minute during a run, as autovacuum would.

    --recipients 5000     a quick check (ARGS="--recipients 5000" with make)
    --workers 1           one run only
    --profile             no workers: send_batch in this process under cProfile
    BENCH_EMAIL_BACKEND   the workers' email backend, to try a variant of Django's SMTP one
"""

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import prepare, vacuum  # first: it sets Django up
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from circles.models import Office
from contacts.models import Affiliation, Organisation, Person, normalise_text
from newsletters import sending, services
from newsletters.models import Click, Delivery, Link, Newsletter, Segment, Sender, Version

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "var" / "bench" / "newsletters.json"
OFFICE = "Bench newsletters"
DOMAIN = "bench-newsletters.example"
TOTAL = int(os.environ.get("BENCH_NEWSLETTER_RECIPIENTS", 100_000))
TARGET_RATE, TARGET_MB = 300, 250

FIRST = ["Alice", "Bruno", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hugo", "Inès",
         "José", "Kenji", "Léa", "Malik", "Nora", "Oscar", "Paula", "Quentin", "Rosa",
         "Samir", "Tessa", ""]  # one in 21 without a first name: the default applies
LAST = ["Martin", "Smith", "García", "Dubois", "Jones", "Bernard", "Taylor", "Lefèvre",
        "Brown", "Moreau", "Wilson", "Fernández", "Laurent", "Evans", "Roux", "Walker"]
CITIES = ["Bristol", "Leeds", "York", "Bath", "Norwich", "Exeter", "Durham", "Oxford"]

SUBJECT = '{{ first_name|default:"Hello" }}, shorter meetings by consent'
PREHEADER = "Three offices tell how their clients' meetings got shorter."
BODY = """<h1>Shorter meetings by consent</h1>
<p>Dear {{ first_name|default:"friend" }},</p>
<p>Consent rounds give every voice its place and end with a decision everyone can work
with. This spring three offices followed boards and teams that moved from majority votes
to consent, and measured what changed: meetings were a third shorter, decisions came back
for review on the date set, and fewer topics came round again and again.</p>
<p>{% if city %}Our next open evening near {{ city }} is on the calendar, and{% else %}Our
open evenings are on the calendar, and{% endif %} you are welcome to bring a colleague
{% if organisation %}from {{ organisation }}{% endif %}.</p>
<ul>
<li>Why a round, and not a debate, when a proposal is on the table</li>
<li>How the facilitator tells an objection from a concern</li>
<li>What a review date does to a decision that "nobody liked"</li>
</ul>
<p><a href="https://www.sociocracy.example/consent-meetings">Read the three stories on our
web site</a>, <a href="https://www.sociocracy.example/events">see the coming events</a>
or <a href="https://www.sociocracy.example/training/facilitation">join the facilitation
training</a>.</p>
<p>Warm regards,<br>{{ office }}</p>
"""

SINK_CHILD = """
import json, sys
from tsgcrm.smtpsink import start
controller, sink, port = start(keep=False)
print(port, flush=True)
for line in sys.stdin:
    command = line.split()
    with sink.lock:
        if command[0] == "count":
            reply = {"count": sink.count}
        elif command[0] == "reset":
            sink.count = 0
            sink.times.clear()
            sink.recipients.clear()
            reply = {}
        elif command[0] == "report":
            times = sink.times
            gaps = sorted(b - a for a, b in zip(times, times[1:]))
            reply = {"count": sink.count, "first": times[0] if times else None,
                     "last": times[-1] if times else None,
                     "gap_median_ms": round(gaps[len(gaps) // 2] * 1000, 2) if gaps else None,
                     "gap_p99_ms": round(gaps[len(gaps) * 99 // 100] * 1000, 2) if gaps else None,
                     "gap_max_ms": round(gaps[-1] * 1000, 1) if gaps else None,
                     "gaps_over_35ms": sum(gap > 0.035 for gap in gaps)}
            with open(command[1], "w") as out:
                json.dump(sink.recipients, out)
        else:
            break
    print(json.dumps(reply), flush=True)
controller.stop()
"""


# --- The data ------------------------------------------------------------------------

def ensure_data(total: int) -> Newsletter:
    """The office, its `total` consenting recipients (more people may be there from a
    bigger run: only the first `total` accept newsletters), sender, segment, newsletter."""
    office, _ = Office.objects.get_or_create(name=OFFICE, defaults={
        "country": "GB", "city": "Bristol", "languages": "en", "currency": "GBP",
        "time_zone": "Europe/London",
        "active": False})  # inactive: the demo and generate_contacts leave it alone
    people = Person.objects.filter(office=office)
    have = people.count()
    if have < total:
        start = time.perf_counter()
        organisations = list(Organisation.objects.filter(office=office))
        if not organisations:
            organisations = Organisation.objects.bulk_create(
                Organisation(office=office, name=f"Bench Co-operative {n}", city="Bristol",
                             search_text=f"bench co-operative {n}") for n in range(500))
        with transaction.atomic():
            for low in range(have, total, 5000):
                batch = []
                for n in range(low, min(low + 5000, total)):
                    first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
                    name = normalise_text(f"{first} {last}")
                    batch.append(Person(
                        office=office, first_name=first, last_name=last, language="en",
                        email=f"reader{n:06d}@{DOMAIN}", city=CITIES[n % len(CITIES)],
                        search_text=f"{name} reader{n:06d}@{DOMAIN}", name_text=name))
                created = Person.objects.bulk_create(batch)
                Affiliation.objects.bulk_create(  # one reader in three works somewhere
                    Affiliation(person=person, organisation=organisations[n % 500])
                    for n, person in enumerate(created) if n % 3 == 0)
        vacuum("contacts_person", "contacts_affiliation")
        print(f"added {total - have} people to {office} in {time.perf_counter() - start:.0f} s")
    cutoff = people.order_by("pk").values_list("pk", flat=True)[total - 1]
    people.filter(pk__lte=cutoff, newsletter_consent=False).update(newsletter_consent=True)
    people.filter(pk__gt=cutoff, newsletter_consent=True).update(newsletter_consent=False)

    Sender.objects.update_or_create(office=office, defaults={
        "from_name": "Bench newsletters", "from_email": f"news@{DOMAIN}",
        "reply_to": f"hello@{DOMAIN}", "postal_address": "1 Bench Street\nBristol BS1 1AA",
        "rate_per_minute": 1_000_000})
    segment, _ = Segment.objects.get_or_create(office=office, name="Everyone who accepts "
                                                                   "newsletters")
    newsletter, _ = Newsletter.objects.get_or_create(
        office=office, name="Bench newsletter", defaults={"segment": segment})
    Version.objects.update_or_create(newsletter=newsletter, language="en", defaults={
        "subject": SUBJECT, "preheader": PREHEADER, "body_html": BODY, "body_text": ""})
    assert not services.newsletter_problems(newsletter), services.newsletter_problems(
        newsletter)
    return newsletter


def reset(newsletter: Newsletter) -> None:
    """Back to scheduled and due, without deliveries (deleted in SQL: the ORM would load
    100,000 rows to collect their clicks first), broker and cache emptied."""
    import redis

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Click._meta.db_table} WHERE delivery_id IN "  # noqa: S608
                       f"(SELECT id FROM {Delivery._meta.db_table} WHERE newsletter_id = %s)",
                       [newsletter.pk])
        cursor.execute(f"DELETE FROM {Delivery._meta.db_table} WHERE newsletter_id = %s",  # noqa: S608
                       [newsletter.pk])
    Link.objects.filter(newsletter=newsletter).delete()
    Newsletter.objects.filter(pk=newsletter.pk).update(
        status=Newsletter.Status.SCHEDULED, send_at=timezone.now(), started_at=None,
        finished_at=None, recipients=0, problem="")
    vacuum(Delivery._meta.db_table)
    for url in {settings.CELERY_BROKER_URL, settings.CACHE_URL}:
        redis.Redis.from_url(url).flushdb()


# --- Processes -------------------------------------------------------------------------

class SMTPSink:
    """tsgcrm.smtpsink in a child process (keep=False: counts, no copies), asked over its
    stdin."""

    def __init__(self):
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", SINK_CHILD], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.process.stdout.readline())

    def ask(self, *command: str) -> dict:
        self.process.stdin.write(" ".join(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def status_of(pid: int) -> dict[str, int]:
    """Peak and current resident memory (kB) of a process."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in {"VmHWM", "VmRSS"}:
                fields[name] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


def commit_ms(newsletter: Newsletter, rounds: int = 200) -> float:
    """Median time of a one-row UPDATE committed on its own, as each message's mark is:
    the database's (and its disk's) share of every message."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        Newsletter.objects.filter(pk=newsletter.pk).update(problem="")
        samples.append(time.perf_counter() - start)
    return round(statistics.median(samples) * 1000, 2)


def start_workers(count: int, port: int, log: Path) -> list[subprocess.Popen]:
    from tsgcrm.celery import app

    env = {**os.environ, "EMAIL_BACKEND": os.environ.get(
               "BENCH_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
           "NEWSLETTER_PARALLEL": str(count)}
    names = [f"bench-newsletters-{n}@localhost" for n in range(count)]
    with log.open("a") as out:
        workers = [subprocess.Popen(  # noqa: S603 - our own interpreter and Celery
            [sys.executable, "-m", "celery", "-A", "tsgcrm", "worker", "--pool=solo",
             "-Q", "newsletters,celery", "--without-gossip", "--without-mingle",
             "--loglevel=WARNING", "-n", name], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT) for name in names]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=names, timeout=1.0)
        if len(replies) == count:
            return workers
        if any(w.poll() is not None for w in workers):
            break
    stop_workers(workers)
    raise SystemExit(f"the workers did not start: see {log}")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()  # warm shutdown
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def broker_idle() -> bool:
    """No task waiting, none being run (tasks are acknowledged late: a running one is in
    kombu's "unacked" hash)."""
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return not (broker.llen("newsletters") or broker.llen("celery") or broker.hlen("unacked"))


# --- One run -----------------------------------------------------------------------

def autovacuum_on() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "on"


def run(newsletter: Newsletter, total: int, count: int, sink: SMTPSink, log: Path) -> dict:
    from newsletters.tasks import start_newsletter

    reset(newsletter)
    sink.ask("reset")
    load = os.getloadavg()[0]
    commit = commit_ms(newsletter)
    # Without autovacuum (CI's server) the planner never learns the deliveries are there
    # and the readers' refresh after the send takes a plan that runs for minutes: the
    # benchmark does autovacuum's work, about as often (every minute).
    stand_in = not autovacuum_on()
    workers = start_workers(count, sink.port, log)
    pids = [w.pid for w in workers]
    peak = dict.fromkeys(pids, 0)
    cpu_before = {pid: cpu_seconds(pid) for pid in [*pids, sink.process.pid]}
    busy_before, all_before = machine_cpu()
    started = time.time()
    vacuumed = time.monotonic()
    start_newsletter.delay(newsletter.pk)
    sent_at = None
    progress, last_change = 0, time.monotonic()
    limit = max(150.0, total / 100)  # no message for that long: something is stuck
    try:
        while True:
            time.sleep(0.5)
            for worker in workers:
                if worker.poll() is not None:
                    raise SystemExit(f"worker {worker.pid} stopped ({worker.returncode}): "
                                     f"see {log}")
                peak[worker.pid] = status_of(worker.pid)["VmHWM"]
            received = sink.ask("count")["count"]
            if received != progress:
                progress, last_change = received, time.monotonic()
            elif time.monotonic() - last_change > limit:
                raise SystemExit(
                    f"nothing sent for {limit:.0f} s at {received} messages" if sent_at is None
                    else f"the work after the send (the readers' refresh) still runs "
                         f"{limit:.0f} s after the last message: see {log}")
            if stand_in and time.monotonic() - vacuumed > 60:
                vacuum(Delivery._meta.db_table)
                vacuumed = time.monotonic()
            if sys.stdout.isatty():
                print(f"\r  {count} worker(s): {received:>7} / {total} messages", end="",
                      flush=True)
            if sent_at is None and Newsletter.objects.filter(
                    pk=newsletter.pk, status=Newsletter.Status.SENT).exists():
                sent_at = time.time()
                peak_sending = dict(peak)
                busy_sent, all_sent = machine_cpu()
                cpu_sent = {pid: cpu_seconds(pid) for pid in cpu_before}
            if sent_at is not None and broker_idle():
                time.sleep(1)  # the readers' refresh is enqueued on the send's commit
                if broker_idle():
                    break
        idle_at = time.time()
        peak_end = {pid: status_of(pid)["VmHWM"] for pid in pids}
    finally:
        stop_workers(workers)
        if sys.stdout.isatty():
            print()

    handle, recipients_file = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    report = sink.ask("report", recipients_file)
    with open(recipients_file) as counts:
        received = json.load(counts)
    os.unlink(recipients_file)
    expected = set(Delivery.objects.filter(newsletter=newsletter).values_list("email",
                                                                             flat=True))
    once = all(n == 1 for n in received.values())
    exactly_once = once and set(received) == expected and len(expected) == total
    statuses = dict(Delivery.objects.filter(newsletter=newsletter).values_list("status")
                    .annotate(n=Count("pk")).order_by())
    newsletter.refresh_from_db()

    sending_s = report["last"] - report["first"]
    busy_sent -= busy_before
    all_sent -= all_before
    cpus = os.cpu_count() or 1
    return {
        "workers": count,
        "recipients": total,
        "received": report["count"],
        "distinct_recipients": len(received),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "missing": len(expected - set(received)),
        "exactly_once": exactly_once,
        "delivery_statuses": statuses,
        "rows_created_s": round((newsletter.started_at.timestamp() - started), 2),
        "first_message_after_s": round(report["first"] - started, 2),
        "sending_s": round(sending_s, 2),
        "total_s": round(report["last"] - started, 2),
        "messages_per_s": round(report["count"] / sending_s, 1) if sending_s else None,
        "messages_per_s_overall": round(report["count"] / (report["last"] - started), 1),
        # Between consecutive messages at the sink (with one worker: each message's time);
        # over 35 ms is a stall, such as a delayed ACK holding back the final ".".
        "gaps": {key.removeprefix("gap_").removeprefix("gaps_"): value
                 for key, value in report.items() if key.startswith("gap")},
        "peak_rss_mb_sending": [round(peak_sending[pid] / 1024, 1) for pid in pids],
        "peak_rss_mb": [round(peak_end[pid] / 1024, 1) for pid in pids],
        "cpu_s": {
            "workers": round(sum(cpu_sent[pid] - cpu_before[pid] for pid in pids), 1),
            "sink": round(cpu_sent[sink.process.pid] - cpu_before[sink.process.pid], 1),
            "machine_busy": round(busy_sent, 1),
            "machine_capacity": round(all_sent, 1),
        },
        "after_send_s": round(idle_at - sent_at, 1),
        "autovacuum_stand_in": stand_in,
        "cpus": cpus,
        "load_before": round(load, 2),
        "commit_ms": commit,
    }


def show(results: list[dict]) -> None:
    print(f"\n{'workers':<9}{'msg/s':>7}{'overall':>9}{'rows s':>8}{'send s':>8}{'after s':>9}"
          f"{'stalls':>8}{'peak RSS MB':>13}  {'CPU s: workers/sink/rest of box':<33}"
          f"{'commit ms':>10}{'load':>6}  exactly once")
    for r in results:
        cpu = r["cpu_s"]
        rest = cpu["machine_busy"] - cpu["workers"] - cpu["sink"]
        share = (f"{cpu['workers']:.0f}/{cpu['sink']:.0f}/{rest:.0f} of "
                 f"{cpu['machine_capacity']:.0f}")
        print(f"{r['workers']:<9}{r['messages_per_s']:>7.0f}{r['messages_per_s_overall']:>9.0f}"
              f"{r['rows_created_s']:>8.1f}{r['sending_s']:>8.1f}{r['after_send_s']:>9.1f}"
              f"{r['gaps']['over_35ms']:>8}"
              f"{', '.join(f'{mb:.0f}' for mb in r['peak_rss_mb']):>13}  {share:<33}"
              f"{r['commit_ms']:>10.2f}{r['load_before']:>6.2f}  "
              f"{'yes' if r['exactly_once'] else 'NO'}: {r['distinct_recipients']} "
              f"recipients, {r['duplicates']} duplicates, {r['missing']} missing")
    print("msg/s: first to last message at the sink; overall: from the start task (delivery "
          "rows created) to the last message; after s: the work that follows (the readers' "
          "refresh); stalls: gaps over 35 ms between messages at the sink; peak RSS: VmHWM "
          "of each worker at the end. CPU: during the send, on a machine of "
          f"{os.cpu_count()} CPUs shared with PostgreSQL, Redis (and whatever else runs: see "
          "the load before the run). commit ms: one committed one-row UPDATE, as each "
          "message's mark.")


# --- Profile ------------------------------------------------------------------------

def profile(newsletter: Newsletter, total: int, sink: SMTPSink) -> None:
    """One worker's sending, in this process, under cProfile."""
    import redis

    reset(newsletter)
    sink.ask("reset")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    Newsletter.objects.filter(pk=newsletter.pk).update(send_at=timezone.now()
                                                       - dt.timedelta(seconds=1))
    services.newsletter_start(newsletter.pk)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # no worker takes them
    profiler = cProfile.Profile()
    start = time.perf_counter()
    handed = profiler.runcall(sending.send_batch, newsletter.pk, seconds=3600)
    took = time.perf_counter() - start
    print(f"\nprofiled send_batch: {handed} messages in {took:.1f} s "
          f"({handed / took:.0f} msg/s under the profiler); sink got "
          f"{sink.ask('count')['count']}")
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=TOTAL)
    parser.add_argument("--workers", default="1,2", help="comma-separated, e.g. 1,2")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the JSON's path")
    options = parser.parse_args()
    assert settings.CELERY_BROKER_URL.startswith("redis://"), \
        "run with REDIS_URL and CACHE_URL set (make bench-newsletters)"
    prepare()
    newsletter = ensure_data(options.recipients)
    print(f"{OFFICE}: {options.recipients} recipients; sink and workers share "
          f"{os.cpu_count()} CPUs with PostgreSQL and Redis")
    sink = SMTPSink()
    try:
        if options.profile:
            profile(newsletter, options.recipients, sink)
            return
        log = options.output.with_suffix(".log")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        results = [run(newsletter, options.recipients, int(n), sink, log)
                   for n in options.workers.split(",")]
    finally:
        sink.stop()
    show(results)
    one = next((r for r in results if r["workers"] == 1), None)
    options.output.write_text(json.dumps({
        "recipients": options.recipients, "cpus": os.cpu_count(),
        "email_backend": os.environ.get("BENCH_EMAIL_BACKEND",
                                        "django.core.mail.backends.smtp.EmailBackend"),
        "targets": {"messages_per_s_one_worker": TARGET_RATE, "peak_rss_mb": TARGET_MB},
        "runs": results}, indent=2) + "\n")
    print(f"written to {options.output}")
    if one:
        ok = (one["messages_per_s"] >= TARGET_RATE and max(one["peak_rss_mb"]) <= TARGET_MB
              and all(r["exactly_once"] for r in results))
        print(f"targets (1 worker >= {TARGET_RATE} msg/s, peak <= {TARGET_MB} MB, each "
              f"recipient once): {'met' if ok else 'NOT met'} ({one['messages_per_s']:.0f} "
              f"msg/s, {max(one['peak_rss_mb']):.0f} MB)")


if __name__ == "__main__":
    main()
