"""Speed benchmark for contacts (issue: 200,000 contacts; list and search p95 <= 50 ms
server time; a 10,000-row CSV import <= 30 s).

Run with `make bench` (PostgreSQL database `tsgcrm_bench`, created and filled on first
use; the data stays for the next run). Server time is measured in-process around Django's
test client: URL routing, middleware, queries and template rendering, no network.
"""

import os
import time

from benchlib import prepare, report, serve, timed, vacuum  # first: it sets Django up
from django.core.management import call_command
from django.db.models import Count
from django.test import Client

from circles.models import User
from contacts.imports import run_import
from contacts.models import Person

TOTAL = int(os.environ.get("BENCH_CONTACTS", 200_000))


def main() -> None:
    prepare()
    start = time.perf_counter()
    call_command("generate_contacts", total=TOTAL, verbosity=0)
    generated = time.perf_counter() - start
    vacuum("contacts_person", "contacts_affiliation", "contacts_referral")
    print(f"contacts in the database: {Person.objects.count()} "
          f"(generated in {generated:.0f} s)")

    user = User.objects.get(email="julien.bernard@tsg.example")  # lead of France + subs
    serve()
    client = Client()
    client.force_login(user)
    sample = Person.objects.filter(office__in=[user.office_id]).order_by("pk")[1234]
    typo = sample.last_name[:-2] + sample.last_name[-1:] if len(sample.last_name) > 4 \
        else sample.last_name
    # A typo of the office's commonest surname finds the most candidates: the hard case.
    common = (Person.objects.filter(office=user.office_id).values("last_name")
              .annotate(n=Count("pk")).order_by("-n").first()["last_name"])
    common_typo = common[:-2] + common[-1:] + "z"
    fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}

    def page(params: dict, **headers):
        return lambda n: client.get("/contacts/", params, **headers)

    worst = report({
        "list, first page": timed(page({})),
        "list, page 40": timed(page({"page": 40})),
        "list, newest first": timed(page({"sort": "-created"})),
        "list, filtered (kind + language)": timed(page({"kind": "client", "language": "fr"})),
        "search, full name": timed(page({"q": f"{sample.first_name} {sample.last_name}"})),
        f"search, misspelt ({typo!r})": timed(page({"q": typo})),
        f"search, misspelt common name ({common_typo!r})": timed(page({"q": common_typo})),
        "search, email": timed(page({"q": sample.email})),
        "search, city": timed(page({"q": "Toulouse"})),
        "live search as you type (htmx fragment)": timed(
            page({"q": sample.last_name[:4]}, **fragment)),
        "live misspelt search (htmx fragment)": timed(page({"q": typo}, **fragment)),
    })

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
    ok = worst <= 50 and took <= 30 and not failed
    print(f"\ntargets (p95 <= 50 ms, import <= 30 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
