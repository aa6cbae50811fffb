"""The load benchmark, in one command (`make bench-scale`): build the large network on
PostgreSQL, start the app as in production (gunicorn, DEBUG off, static files by
WhiteNoise, Celery workers on Redis), drive it over loopback with locust (consultants,
secretaries, office leads and admins on their daily journeys), then print per page
p50/p95/p99, throughput and errors, and the peak memory of every process, as a table and
as var/bench/load.json.

    .venv/bin/python bench/run.py [--scale 1] [--users 20] [--minutes 3] [--skip-build]

Targets (issue: proof at scale): no page p95 above 100 ms with 20 concurrent people, no
error. The exit status says whether they were met.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
PORT = int(os.environ.get("BENCH_PORT", 8765))
DATABASE_URL = os.environ.get("BENCH_SCALE_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/tsgcrm_scale")
REDIS_URL = os.environ.get("BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/4")
ENV = {
    **os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
    "CACHE_URL": os.environ.get("BENCH_SCALE_CACHE_URL", "redis://127.0.0.1:6379/5"),
    "DEBUG": "0", "SECRET_KEY": "bench-scale-only-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    # Plain HTTP on loopback: no TLS redirect, cookies without the Secure flag (production
    # sits behind an HTTPS proxy and keeps them).
    "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DJANGO_SETTINGS_MODULE": "tsgcrm.settings",
}
PY = str(ROOT / ".venv" / "bin" / "python")


def build(scale: float) -> dict:
    code = ("import json, sys; sys.path.insert(0, '.'); import django; django.setup(); "
            f"from bench.scale import build; print(json.dumps(build({scale})))")
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres",  # noqa: S603, S607
                    DATABASE_URL.rsplit("/", 1)[1]], capture_output=True, check=False)
    done = subprocess.run([PY, "-c", code], cwd=ROOT, env=ENV, check=True,  # noqa: S603
                          stdout=subprocess.PIPE, text=True)
    print(done.stdout, end="")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Peaks(threading.Thread):
    """Samples the resident memory of the processes the benchmark started (and their
    children), and of the PostgreSQL and Redis services (their largest process), every
    half second; keeps each one's peak."""

    SERVICES = {"postgres": "postgresql (largest process)", "redis-server": "redis"}

    def __init__(self, roots: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roots, self.peaks, self.stop = roots, {}, threading.Event()

    def keep(self, name: str, kb: int) -> None:
        self.peaks[name] = max(self.peaks.get(name, 0), kb // 1024)

    def run(self) -> None:
        while not self.stop.wait(0.5):
            table = subprocess.run(["ps", "-eo", "pid=,ppid=,rss=,comm="],  # noqa: S607
                                   capture_output=True, text=True).stdout.split("\n")
            children: dict[int, list[int]] = {}
            rss = {}
            for line in filter(str.strip, table):
                pid, ppid, kb, command = line.split(None, 3)
                children.setdefault(int(ppid), []).append(int(pid))
                rss[int(pid)] = int(kb)
                if command in self.SERVICES:
                    self.keep(self.SERVICES[command], int(kb))
            for name, root in self.roots.items():
                seen, todo = [], [root]
                while todo:
                    pid = todo.pop()
                    seen.append(pid)
                    todo += children.get(pid, [])
                for i, pid in enumerate(seen):
                    self.keep(name if i == 0 else f"{name} child {pid}", rss.get(pid, 0))


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by every process, summed per program (gunicorn, celery,
    postgres, locust, redis-server …): read before and after the load, it says where the
    machine's two cores went."""
    table = subprocess.run(["ps", "-eo", "cputimes=,args="],  # noqa: S607
                           capture_output=True, text=True).stdout
    used: dict[str, float] = {}
    for line in table.splitlines():
        seconds, _, args = line.strip().partition(" ")
        program = next((name for name in ("gunicorn", "celery", "postgres", "locust",
                                          "redis-server") if name in args), None)
        if program and seconds.isdigit():
            used[program] = used.get(program, 0) + int(seconds)
    return used


def start(name: str, args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=log.open("w"),  # noqa: S603
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_up(url: str, seconds: int = 60) -> None:
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not answer on {url}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    started = time.time()
    data = {} if options.skip_build else build(options.scale)
    build_seconds = round(time.time() - started)
    if options.build_only:
        print(f"built in {build_seconds} s: {data}")
        return 0
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,  # noqa: S603
                   env=ENV, check=True)

    processes = {
        "web (gunicorn)": start("web", [
            str(ROOT / ".venv/bin/gunicorn"), "tsgcrm.wsgi:application",
            "--bind", f"127.0.0.1:{PORT}", "--workers", str(options.workers),
            "--access-logfile", "-", "--log-level", "warning"], OUT / "gunicorn.log"),
        "worker (celery)": start("worker", [
            str(ROOT / ".venv/bin/celery"), "-A", "tsgcrm", "worker", "-Q",
            "celery,reports,newsletters", "--concurrency", "2", "--loglevel", "WARNING"],
            OUT / "celery.log"),
        "beat (celery)": start("beat", [
            str(ROOT / ".venv/bin/celery"), "-A", "tsgcrm", "beat", "--loglevel", "WARNING",
            "--schedule", str(OUT / "beat-schedule")], OUT / "beat.log"),
    }
    peaks = Peaks({name: p.pid for name, p in processes.items()})
    peaks.start()
    try:
        wait_up(f"http://127.0.0.1:{PORT}/healthz")
        seconds = int(options.minutes * 60)
        cpu_before, began = cpu_seconds(), time.monotonic()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([  # noqa: S603
            str(ROOT / ".venv-bench/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"),
            "--headless", "--host", f"http://127.0.0.1:{PORT}", "--users",
            str(options.users), "--spawn-rate", "5", "--run-time", f"{seconds}s",
            "--csv", str(OUT / "locust"), "--only-summary", "--reset-stats",
            "--loglevel", "WARNING"],
            cwd=ROOT, check=False)
        cpu_after, wall = cpu_seconds(), time.monotonic() - began
        # locust has exited by now: its CPU time is that of this process's waited children.
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_after["locust (the load tool)"] = (done.ru_utime + done.ru_stime
                                               - children.ru_utime - children.ru_stime)
    finally:
        peaks.stop.set()
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=30)

    pages = []
    with (OUT / "locust_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                total = row
                continue
            pages.append({"page": row["Name"], "method": row["Type"],
                          "requests": int(row["Request Count"]),
                          "errors": int(row["Failure Count"]),
                          "p50": float(row["50%"]), "p95": float(row["95%"]),
                          "p99": float(row["99%"])})
    result = {
        "scale": options.scale, "data": data, "build_seconds": build_seconds,
        "users": options.users, "seconds": int(options.minutes * 60),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
        "pages": sorted(pages, key=lambda p: -p["p95"]),
        "peak_memory_mb": dict(sorted(peaks.peaks.items())),
        # Cores each program kept busy on average during the load (the machine has 2).
        "cpu_cores_used": {name: round((cpu_after.get(name, 0) - cpu_before.get(name, 0))
                                       / wall, 2)
                           for name in sorted(cpu_after)},
    }
    worst = max((p["p95"] for p in pages if p["page"] not in ("log in", "login form")),
                default=0)
    result["targets_met"] = worst <= 100 and result["errors"] == 0
    (OUT / "load.json").write_text(json.dumps(result, indent=1))

    print(f"\n{'page':40} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for p in result["pages"]:
        print(f"{p['page'][:40]:40} {p['requests']:8} {p['errors']:6} {p['p50']:6.0f} "
              f"{p['p95']:6.0f} {p['p99']:6.0f}")
    print(f"\n{result['requests']} requests, {result['errors']} errors, "
          f"{result['throughput_rps']} requests/s with {options.users} people")
    print("peak memory (MB): " + ", ".join(f"{k} {v}" for k, v in
                                          result["peak_memory_mb"].items()))
    print("cores used: " + ", ".join(f"{k} {v}" for k, v in result["cpu_cores_used"].items()))
    print(f"data: {data or 'as built before'}; written to {OUT / 'load.json'}")
    print(f"targets (every page p95 <= 100 ms, no error): "
          f"{'met' if result['targets_met'] else 'NOT met'} (worst p95 {worst:.0f} ms)")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
