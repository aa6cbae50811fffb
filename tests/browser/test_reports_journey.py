"""An office lead opens the pipeline report, drills into a number, orders the PDF (made by a
real worker on the reports queue) and downloads it."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from pipeline.models import LostReason
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.pipeline.test_reports import deal, seeded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def january(office_a, consultant_a):
    """Four deals of office A with their phase histories: in January 2026 three entered
    phase 2 (1000, 2000 and 3000), 3000 was won and 500 lost."""
    seeded()
    reason, _created = LostReason.objects.get_or_create(name="No budget")
    return {
        "d1": deal(office_a, consultant_a, value=1000,
                   path=[(1, "2025-12-10"), (2, "2026-01-05"), (3, "2026-01-15")]),
        "d2": deal(office_a, consultant_a, value=2000,
                   path=[(1, "2026-01-10"), (2, "2026-01-20")]),
        "d3": deal(office_a, consultant_a, value=500, status="lost", closed="2026-01-25",
                   lost_reason=reason,
                   path=[(1, "2025-11-01"), (2, "2025-12-01")]),
        "d4": deal(office_a, consultant_a, value=3000, status="won", closed="2026-01-12",
                   path=[(1, "2026-01-02"), (2, "2026-01-03"), (3, "2026-01-04"),
                         (4, "2026-01-06"), (5, "2026-01-08"), (6, "2026-01-12")]),
    }


def pdf_to_text(path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"],  # noqa: S603, S607
                            capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def test_an_office_lead_drills_into_the_report_and_downloads_its_pdf(
        page, screenshot, worker_processes, january, office_a, lead_a, tmp_path):
    worker_processes(1, queues="reports")
    log_in(page, lead_a.email)

    # The report of their office, for January 2026.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pipeline report {office_a.name}")
    period = page.locator("form.filters")
    expect(period.get_by_label("Office")).to_have_value(str(office_a.pk))
    period.get_by_label("From").fill("2026-01-01")
    period.get_by_label("To").fill("2026-01-31")
    period.get_by_role("button", name="Show").click()
    expect(page.get_by_text("From 1 Jan 2026 to 31 Jan 2026")).to_be_visible()
    expect(page.get_by_role("heading", name="Funnel of the seven phases")).to_be_visible()
    funnel = page.get_by_role("table", name="Funnel of the seven phases")
    phase_2 = funnel.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(r"^2\. ")))
    # Phase, open at the end, value, entered, left, …: d2 is open there; d1, d2 and d4
    # entered it in January; d1 and d4 moved on and d3 was lost from it.
    expect(phase_2.get_by_role("cell").nth(0)).to_have_text("1")
    expect(phase_2.get_by_role("cell").nth(2)).to_have_text("3")
    expect(phase_2.get_by_role("cell").nth(3)).to_have_text("3")
    won = page.locator(".report-stats > div").filter(has_text="deals won")
    expect(won).to_contain_text("3,000")
    expect(won.get_by_role("link")).to_have_text("1")
    screenshot("reports-office")

    # Drill into the deals that entered phase 2.
    phase_2.get_by_role("cell").nth(2).get_by_role("link", name="3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deals")
    drill = page.locator(".drill")
    expect(drill).to_contain_text("The deals behind a report figure:")
    expect(drill).to_contain_text("phase 2")
    expect(drill).to_contain_text("entered the phase between 1 Jan 2026 and 31 Jan 2026")
    expect(page.get_by_text("3 deals", exact=True)).to_be_visible()
    listed = page.locator("table tbody tr")
    expect(listed).to_have_count(3)
    for title in ("Deal 1000", "Deal 2000", "Deal 3000"):
        expect(page.locator("table tbody")).to_contain_text(title)
    expect(page.locator("table tbody")).not_to_contain_text("Deal 500")
    screenshot("reports-drill-down")

    # Back on the report, the won count drills down to the one deal won.
    page.go_back()
    won.get_by_role("link").click()
    expect(page.get_by_text("1 deal", exact=True)).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody")).to_contain_text("Deal 3000")
    page.go_back()
    expect(page.get_by_text("From 1 Jan 2026 to 31 Jan 2026")).to_be_visible()

    # Order the PDF: the worker makes it while the page polls its progress.
    page.get_by_role("button", name="Make the PDF").click()
    download_link = page.locator("#report-run").get_by_role("link", name="Download the PDF")
    expect(download_link).to_be_visible(timeout=45_000)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    text = pdf_to_text(pdf)
    for words in (office_a.name, "Funnel of the seven phases", "3,000 EUR", "2,000 EUR"):
        assert words in text, words
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",  # noqa: S603, S607
                    "-singlefile", str(pdf), str(SCREENSHOTS / "reports-pdf-1")], check=True)
    assert (SCREENSHOTS / "reports-pdf-1.png").stat().st_size > 10_000
