"""Speed benchmark for the pipeline (issue: 100,000 deals in one office; board and list
p95 <= 50 ms server time, a card move <= 30 ms).

Run with `make bench-pipeline` (PostgreSQL database `tsgcrm_bench`, filled on first use).
Server time is measured in-process around Django's test client.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsgcrm.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from circles.models import User  # noqa: E402
from pipeline.generate import generate_deals  # noqa: E402
from pipeline.models import Deal  # noqa: E402

TOTAL = int(os.environ.get("BENCH_DEALS", 100_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 30))


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def timed(call) -> list[float]:
    call()  # warm up
    samples = []
    for n in range(ROUNDS):
        start = time.perf_counter()
        response = call(n)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def main() -> None:
    assert connection.vendor == "postgresql", "run the benchmark on PostgreSQL"
    call_command("migrate", verbosity=0)
    call_command("demo", "--quiet-logins", "--no-contacts", verbosity=0)
    user = User.objects.get(email="oliver.brown@tsg.example")
    office = user.office
    missing = TOTAL - Deal.objects.filter(office=office).count()
    start = time.perf_counter()
    while missing > 0:
        step = min(20_000, missing)
        generate_deals(office=office, count=step, seed=missing)
        missing -= step
    with connection.cursor() as cursor:
        for table in ("pipeline_deal", "pipeline_phasemove", "pipeline_routinecheck"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"deals in {office}: {Deal.objects.filter(office=office).count()} "
          f"(generated in {time.perf_counter() - start:.0f} s)")

    client = Client()
    client.force_login(user)
    mover = Deal.objects.filter(office=office, status="open", phase__number=2).first()
    results = {
        "board": timed(lambda n=0: client.get("/pipeline/")),
        "board, filtered by owner": timed(
            lambda n=0: client.get("/pipeline/", {"owner": user.pk})),
        "board refresh (htmx fragment)": timed(
            lambda n=0: client.get("/pipeline/", HTTP_HX_REQUEST="true",
                                   HTTP_HX_TARGET="board")),
        "column, more cards": timed(
            lambda n=0: client.get("/pipeline/column/2/", {"page": 3})),
        "deal list": timed(lambda n=0: client.get("/deals/")),
        "deal list, by value": timed(lambda n=0: client.get("/deals/", {"sort": "-value"})),
    }

    def move(n=0):
        mover.refresh_from_db(fields=["version"])
        return client.post(f"/deals/{mover.pk}/move/",
                           {"phase": 3 if n % 2 == 0 else 2, "version": mover.version},
                           HTTP_HX_REQUEST="true")

    results["card move"] = timed(move)
    print(f"\n{'request':<36}{'median ms':>10}{'p95 ms':>10}")
    for label, samples in results.items():
        print(f"{label:<36}{statistics.median(samples):>10.1f}{p95(samples):>10.1f}")
    ok = all(p95(s) <= 50 for k, s in results.items() if k != "card move") and \
        p95(results["card move"]) <= 30
    print(f"\ntargets (pages p95 <= 50 ms, move p95 <= 30 ms): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
