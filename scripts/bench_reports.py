"""Speed benchmark for the pipeline reports (issue: 100,000 deals in an office with 18
months of history; the web report p95 <= 300 ms server time; the PDF made in <= 5 s with
peak memory <= 300 MB).

Run with `make bench-reports` after `make bench-pipeline` filled the database (or it fills
it). Server time is measured in-process around Django's test client; the PDF is made in a
child process, whose peak resident memory the kernel reports.
"""

import datetime as dt
import os
import resource
import subprocess
import sys

from benchlib import prepare, report, serve, timed  # first: it sets Django up
from django.test import Client
from django.utils import timezone

from circles.models import User
from pipeline.generate import generate_deals
from pipeline.models import Deal

TOTAL = int(os.environ.get("BENCH_DEALS", 100_000))

PDF_CHILD = """
import sys, time
sys.path.insert(0, "scripts")
import benchlib  # noqa: F401 - sets Django up
from circles.models import User
from pipeline.reports.models import ReportRun
from pipeline.reports.services import report_request, report_render
user = User.objects.get(email="james.wright@tsg.example")
run = ReportRun.objects.create(kind="office", office=user.office, start=sys.argv[1],
                               end=sys.argv[2], currency=user.office.currency,
                               requested_by=user, key="bench")
start = time.perf_counter()
report_render(run_id=run.pk)
print(f"{time.perf_counter() - start:.2f}")
ReportRun.objects.filter(pk=run.pk).delete()
"""


def main() -> None:
    prepare()
    lead = User.objects.get(email="james.wright@tsg.example")
    office = lead.office
    missing = TOTAL - Deal.objects.filter(office=office).count()
    while missing > 0:
        step = min(20_000, missing)
        generate_deals(office=office, count=step, seed=missing)
        missing -= step
    print(f"deals in {office}: {Deal.objects.filter(office=office).count()}")
    today = timezone.localdate()
    quarter = {"office": office.pk, "start": today - dt.timedelta(days=90), "end": today}
    year = {"office": office.pk, "start": today - dt.timedelta(days=365), "end": today}
    past = {"office": office.pk, "start": today - dt.timedelta(days=540),
            "end": today - dt.timedelta(days=180)}

    serve()
    client = Client()
    client.force_login(lead)

    def get(url: str, params: dict):
        return lambda n: client.get(url, params)

    admin = Client()
    admin.force_login(User.objects.get(email="admin@tsg.example"))
    pages = {
        "office report, last 90 days": timed(get("/reports/", quarter)),
        "office report, last 12 months": timed(get("/reports/", year)),
        "office report, a past period": timed(get("/reports/", past)),
        "network report (admin), 12 months": timed(lambda n: admin.get(
            "/reports/network/", {"start": year["start"], "end": today, "currency": "EUR"})),
        "CSV of the funnel": timed(get("/reports/office/csv/funnel/", year)),
    }
    worst = report(pages)

    child = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PDF_CHILD, str(year["start"]), str(today)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"})
    seconds = float(child.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nPDF of the 12-month report: {seconds:.2f} s, peak memory {peak_mb:.0f} MB")
    ok = worst <= 300 and seconds <= 5 and peak_mb <= 300
    print(f"targets (web p95 <= 300 ms, PDF <= 5 s and <= 300 MB): "
          f"{'met' if ok else 'NOT met'} (worst p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()
