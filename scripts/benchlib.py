"""What both speed benchmarks share: Django set-up on PostgreSQL, timing, the report."""

import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsgcrm.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

# p95 of 100 samples is the sixth slowest: one stall of a 2-core machine does not decide it
# (with 30, the second slowest did).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 100))


def prepare() -> None:
    """Migrate and load the demo network (without its contacts and deals)."""
    assert connection.vendor == "postgresql", "run the benchmarks on PostgreSQL (make bench)"
    call_command("migrate", verbosity=0)
    call_command("demo", "--quiet-logins", "--no-contacts", verbosity=0)


def serve() -> None:
    """Tune the process as tsgcrm.wsgi tunes the web server's."""
    from tsgcrm.runtime import tune_garbage_collector

    tune_garbage_collector()


def vacuum(*tables: str) -> None:
    """Fresh statistics and visibility maps, as a live database has them."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def server_ms(response) -> float:
    """The server's own time for a response: the app's Server-Timing header, measured
    around every middleware, the view and the template (not the test client)."""
    return float(response["Server-Timing"].split("dur=")[1])


WARM_UP = 10


def timed(request: Callable[[int], object]) -> list[float]:
    """Server milliseconds of ROUNDS calls of request(n), after WARM_UP calls: a server
    that has been up for a minute has planned and prepared its queries (psycopg prepares
    a query on its sixth run on a connection) and filled its caches."""
    for _ in range(WARM_UP):
        request(-1)
    samples = []
    for n in range(ROUNDS):
        response = request(n)
        assert response.status_code == 200, response.status_code
        samples.append(server_ms(response))
    return samples


def report(results: dict[str, list[float]]) -> float:
    """Print median and p95 per request; return the worst p95."""
    width = max(len(label) for label in results) + 2
    print(f"\n{'request':<{width}}{'median ms':>10}{'p95 ms':>10}")
    for label, samples in results.items():
        print(f"{label:<{width}}{statistics.median(samples):>10.1f}{p95(samples):>10.1f}")
    return max(p95(samples) for samples in results.values())
