"""Faults, scripted against the app as it runs in production (gunicorn, Celery worker and
beat on Redis, PostgreSQL), on a database of its own:

* redis: Redis restarts (empty: it keeps nothing on disk) while a newsletter and 400
  reminders are being sent: the tasks it held are lost, the beat jobs find the work in
  the database and it resumes; every message reaches the SMTP sink exactly once.
* postgres: PostgreSQL stops for ten seconds while a person keeps loading pages: they get
  the friendly 503 page (never a 500, never a hang), then the app answers again by itself.
* kills: a worker killed mid-newsletter, mid-reminder run and while making a PDF, by the
  test suite's fault tests (real worker processes): no duplicate, nothing lost, no run
  left stuck.

    .venv/bin/python bench/faults.py [redis] [postgres] [kills]

Restarting Redis and PostgreSQL uses the machine's service scripts (`service … restart`):
run it where nothing else uses them. Writes var/bench/faults.json; exits 1 on a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
DB = "tsgcrm_faults"
PORT = 8766
os.environ.update({
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/14", "CACHE_URL": "redis://127.0.0.1:6379/15",
    "DEBUG": "0", "SECRET_KEY": "faults-only-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
    "DJANGO_SETTINGS_MODULE": "tsgcrm.settings",
})
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=check)  # noqa: S603


def setup_django():
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB, check=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", "--quiet-logins", "--no-contacts", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)


def start(args: list[str], log: str, env: dict) -> subprocess.Popen:
    OUT.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env},  # noqa: S603
                            stdout=(OUT / log).open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, seconds: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001, S110 - the database may be restarting
            pass
        time.sleep(every)
    return False


def redis_restart() -> dict:
    """A newsletter to 3,000 readers and 400 reminders in flight; Redis restarts empty."""
    from collections import Counter

    from django.utils import timezone

    from circles.models import Office, User
    from newsletters import services
    from newsletters.models import Newsletter
    from pipeline.agenda.models import Reminder
    from pipeline.tasks import send_due_reminders
    from tests.newsletters.helpers import make_due, many_readers, newsletter
    from tsgcrm import smtpsink

    office = Office.objects.get(name="TSG France")
    controller, sink, port = smtpsink.start(delay=0.004, keep=True)
    stamp = int(time.time())
    many_readers(office, 3000, prefix=f"f{stamp}-")
    item = newsletter(office, rate=100_000)
    people = list(User.objects.filter(office=office, is_active=True)[:5])
    Reminder.objects.bulk_create([
        Reminder(user=people[n % len(people)], text=f"F{stamp}-{n}",
                 remind_at=timezone.now(), channel=Reminder.Channel.EMAIL)
        for n in range(400)])
    env = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
           "NEWSLETTER_LEASE_SECONDS": "5"}
    worker = start([str(BIN / "celery"), "-A", "tsgcrm", "worker", "-Q",
                    "celery,newsletters", "--concurrency", "2", "--loglevel", "INFO"],
                   "faults-worker.log", env)
    beat = start([str(BIN / "celery"), "-A", "tsgcrm", "beat", "--loglevel", "INFO"],
                 "faults-beat.log", env)
    result = {"newsletter_readers_expected": 3000, "reminders_expected": 400}
    try:
        make_due(item)
        services.dispatch()
        send_due_reminders.delay()
        assert wait_for(lambda: sink.count >= 600, 120), "sending did not start"
        result["sent_before_restart"] = sink.count
        sh("service", "redis-server", "restart")
        result["restarted_at"] = sink.count
        started = time.monotonic()
        done = wait_for(lambda: (
            Newsletter.objects.get(pk=item.pk).status == Newsletter.Status.SENT
            and not Reminder.objects.filter(text__startswith=f"F{stamp}-",
                                            sent_at__isnull=True).exists()), 300, every=2)
        result["resumed_and_finished_in_s"] = round(time.monotonic() - started)
        time.sleep(2)
        readers = {r: n for r, n in sink.recipients.items() if r.startswith(f"f{stamp}-")}
        # A reminder's subject is in its person's language ("Rappel : …" in France).
        subjects = Counter(str(m["Subject"]) for m in sink.messages
                           if f"F{stamp}-" in str(m["Subject"]))
        result.update({
            "finished": done, "messages": sink.count,
            "newsletter_readers": len(readers),
            "newsletter_sent_twice": sum(1 for n in readers.values() if n > 1),
            "reminders_sent": len(subjects),
            "reminders_twice": sum(1 for n in subjects.values() if n > 1)})
        result["ok"] = (done and len(readers) == 3000 and not result["newsletter_sent_twice"]
                        and len(subjects) == 400 and not result["reminders_twice"])
    finally:
        stop(worker, beat)
        controller.stop()
    return result


def postgres_outage() -> dict:
    """A person loads their home page every 0.2 s; PostgreSQL stops for ten seconds."""
    from django.test import Client

    from circles.models import User

    client = Client()
    client.force_login(User.objects.get(email="admin@tsg.example"))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    web = start([str(BIN / "gunicorn"), "tsgcrm.wsgi:application", "--bind",
                 f"127.0.0.1:{PORT}", "--workers", "2", "--timeout", "30"],
                "faults-web.log", {})
    seen: list[tuple[float, int, bool]] = []

    def hit() -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}/",  # noqa: S310
                                         headers={"Cookie": cookie})
        began = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status, body = response.status, b""
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except OSError:
            status, body = 0, b""
        seen.append((round(time.monotonic() - began, 3), status,
                     b"back in a moment" in body))

    try:
        assert wait_for(lambda: urllib.request.urlopen(  # noqa: S310
            f"http://127.0.0.1:{PORT}/healthz", timeout=2).status == 200, 60)
        for _ in range(15):
            hit()
            time.sleep(0.2)
        before = len(seen)
        sh("service", "postgresql", "stop")
        stopped = time.monotonic()
        while time.monotonic() - stopped < 10:
            hit()
            time.sleep(0.2)
        during = seen[before:]
        sh("service", "postgresql", "start")
        back = time.monotonic()
        while True:
            hit()
            if seen[-1][1] == 200 or time.monotonic() - back > 60:
                break
            time.sleep(0.2)
        recovered_in = round(time.monotonic() - back, 1)
        for _ in range(15):
            hit()
            time.sleep(0.2)
    finally:
        stop(web)
        sh("service", "postgresql", "start", check=False)
    statuses = [s for _t, s, _f in during]
    result = {
        "requests_during_outage": len(during),
        "statuses_during_outage": {str(s): statuses.count(s) for s in set(statuses)},
        "friendly_page_during_outage": all(f for _t, s, f in during if s == 503),
        "slowest_during_outage_s": max(t for t, _s, _f in during),
        "answering_again_after_start_s": recovered_in,
        "after": sorted({s for _t, s, _f in seen[-15:]}),
        "server_errors": sum(1 for _t, s, _f in seen if s == 500 or s == 0),
    }
    result["ok"] = (set(statuses) <= {503} and result["friendly_page_during_outage"]
                    and result["after"] == [200] and result["server_errors"] == 0
                    and result["slowest_during_outage_s"] < 5)
    return result


def kills() -> dict:
    tests = ["tests/newsletters/test_workers.py::"
             "test_a_worker_killed_mid_send_neither_duplicates_nor_skips",
             "tests/pipeline/test_fault_workers.py"]
    started = time.monotonic()
    done = subprocess.run(["make", "-s", "test", f"PYTEST_ARGS=-q {' '.join(tests)}"],  # noqa: S603, S607
                          cwd=ROOT, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items()
                               if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL",
                                            "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")})
    return {"tests": tests, "summary": done.stdout.strip().splitlines()[-1:],
            "seconds": round(time.monotonic() - started), "ok": done.returncode == 0}


def main() -> int:
    chosen = sys.argv[1:] or ["redis", "postgres", "kills"]
    setup_django()
    results = {}
    for name in chosen:
        print(f"fault: {name} …", flush=True)
        results[name] = {"redis": redis_restart, "postgres": postgres_outage,
                         "kills": kills}[name]()
        print(json.dumps(results[name], indent=1), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "faults.json").write_text(json.dumps(results, indent=1))
    ok = all(r["ok"] for r in results.values())
    print("faults: " + ", ".join(f"{k} {'ok' if r['ok'] else 'FAILED'}"
                                 for k, r in results.items()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
