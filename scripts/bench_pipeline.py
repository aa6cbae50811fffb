"""Speed benchmark for the pipeline (issue: 100,000 deals in one office; board and list
p95 <= 50 ms server time, a card move <= 30 ms).

Run with `make bench-pipeline` (PostgreSQL database `tsgcrm_bench`, filled on first use).
Server time is measured in-process around Django's test client.
"""

import os
import time

from benchlib import p95, prepare, report, serve, timed, vacuum  # first: it sets Django up
from django.test import Client

from circles.models import User
from pipeline.generate import generate_deals
from pipeline.models import Deal

TOTAL = int(os.environ.get("BENCH_DEALS", 100_000))


def main() -> None:
    prepare()
    user = User.objects.get(email="oliver.brown@tsg.example")
    office = user.office
    missing = TOTAL - Deal.objects.filter(office=office).count()
    start = time.perf_counter()
    while missing > 0:
        step = min(20_000, missing)
        generate_deals(office=office, count=step, seed=missing)
        missing -= step
    vacuum("pipeline_deal", "pipeline_phasemove", "pipeline_routinecheck")
    print(f"deals in {office}: {Deal.objects.filter(office=office).count()} "
          f"(generated in {time.perf_counter() - start:.0f} s)")

    serve()
    client = Client()
    client.force_login(user)
    mover = Deal.objects.filter(office=office, status="open", phase__number=2).first()

    def get(url: str, params: dict | None = None, **headers):
        return lambda n: client.get(url, params or {}, **headers)

    def move(n: int):
        mover.refresh_from_db(fields=["version"])
        return client.post(f"/deals/{mover.pk}/move/",
                           {"phase": 3 if n % 2 == 0 else 2, "version": mover.version},
                           HTTP_HX_REQUEST="true")

    pages = {
        "board": timed(get("/pipeline/")),
        "board, filtered by owner": timed(get("/pipeline/", {"owner": user.pk})),
        "board refresh (htmx fragment)": timed(
            get("/pipeline/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board")),
        "column, more cards": timed(get("/pipeline/column/2/", {"page": 3})),
        "deal list": timed(get("/deals/")),
        "deal list, by value": timed(get("/deals/", {"sort": "-value"})),
    }
    moves = timed(move)
    worst = report({**pages, "card move": moves})
    ok = max(p95(s) for s in pages.values()) <= 50 and p95(moves) <= 30
    print(f"\ntargets (pages p95 <= 50 ms, move p95 <= 30 ms): {'met' if ok else 'NOT met'}"
          f" (worst p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()
