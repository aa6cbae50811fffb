"""Speed benchmark for contacts (issue: 200,000 contacts; list and search p95 <= 50 ms
server time; a 10,000-row CSV import <= 30 s).

Run with `make bench` (PostgreSQL database `tsgcrm_bench`, created and filled on first
use; the data stays for the next run). Server time is measured in-process around Django's
test client: URL routing, middleware, queries and template rendering, no network.
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
from contacts.imports import run_import  # noqa: E402
from contacts.models import Person  # noqa: E402

TOTAL = int(os.environ.get("BENCH_CONTACTS", 200_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 30))


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def measure(client: Client, label: str, url: str, params: dict,
            **headers) -> tuple[str, float, float]:
    client.get(url, params, **headers)  # warm up
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url, params, **headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return label, statistics.median(samples), p95(samples)


def main() -> None:
    assert connection.vendor == "postgresql", "run the benchmark on PostgreSQL (make bench)"
    call_command("migrate", verbosity=0)
    call_command("demo", "--quiet-logins", "--no-contacts", verbosity=0)
    start = time.perf_counter()
    call_command("generate_contacts", total=TOTAL, verbosity=0)
    generated = time.perf_counter() - start
    with connection.cursor() as cursor:
        for table in ("contacts_person", "contacts_affiliation", "contacts_referral"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"contacts in the database: {Person.objects.count()} "
          f"(generated in {generated:.0f} s)")

    user = User.objects.get(email="julien.bernard@tsg.example")  # lead of France + subs
    client = Client()
    client.force_login(user)
    sample = Person.objects.filter(office__in=[user.office_id]).order_by("pk")[1234]
    typo = sample.last_name[:-2] + sample.last_name[-1:] if len(sample.last_name) > 4 \
        else sample.last_name
    url = "/contacts/"
    results = [
        measure(client, "list, first page", url, {}),
        measure(client, "list, page 40", url, {"page": 40}),
        measure(client, "list, newest first", url, {"sort": "-created"}),
        measure(client, "list, filtered (kind + language)", url,
                {"kind": "client", "language": "fr"}),
        measure(client, "search, full name", url,
                {"q": f"{sample.first_name} {sample.last_name}"}),
        measure(client, f"search, misspelt ({typo!r})", url, {"q": typo}),
        measure(client, "search, email", url, {"q": sample.email}),
        measure(client, "search, city", url, {"q": "Toulouse"}),
        measure(client, "live search as you type (htmx fragment)", url,
                {"q": sample.last_name[:4]}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"),
        measure(client, "live misspelt search (htmx fragment)", url, {"q": typo},
                HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"),
    ]
    print(f"\n{'request':<44}{'median ms':>10}{'p95 ms':>10}")
    for label, median, high in results:
        print(f"{label:<44}{median:>10.1f}{high:>10.1f}")

    import tablib

    rows = 10_000
    dataset = tablib.Dataset(headers=["first", "last", "email", "phone", "org", "city"])
    for n in range(rows):
        dataset.append([f"Bench{n}", f"Import{n}", f"bench.import.{n}@example.org",
                        f"+3370000{n:04d}", f"Bench Org {n % 300}", "Lyon"])
    mapping = {0: "first_name", 1: "last_name", 2: "email", 3: "phone", 4: "organisation",
               5: "city"}
    start = time.perf_counter()
    reports, failed = run_import(dataset=dataset, mapping=mapping, office=user.office,
                                 owner=user, visible_people=Person.objects.visible_to(user),
                                 commit=True)
    took = time.perf_counter() - start
    created = sum(1 for r in reports if r.status == "new")
    print(f"\nCSV import of {rows} rows: {took:.1f} s ({created} created, failed={failed})")
    Person.objects.filter(email__startswith="bench.import.").delete()
    worst = max(high for _label, _m, high in results)
    ok = worst <= 50 and took <= 30 and not failed
    print(f"\ntargets (p95 <= 50 ms, import <= 30 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
