from datetime import date, timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from circles.demo_data import DEMO_PASSWORD
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def test_a_secretary_mends_a_broken_double_link(page, screenshot):
    call_command("demo", "--quiet-logins")
    log_in(page, "emma.taylor@tsg.example", DEMO_PASSWORD)

    page.get_by_role("link", name="Circles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network chart")
    expect(page.get_by_role("link", name="1 breach", exact=True)).to_be_visible()
    screenshot("chart-desktop")

    page.locator('a.chart-card[aria-label^="TSG United Kingdom – Training"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("TSG United Kingdom – Training")
    expect(page.get_by_text("No second link represents this circle")).to_be_visible()

    page.get_by_text("Give a role").click()
    form = page.locator("#officers form.form")
    form.get_by_label("Role").select_option(label="Second link")
    form.get_by_label("Person").select_option(label="James Wright · TSG United Kingdom")
    # A term that ends before it starts is refused next to the field, and nothing is lost.
    form.get_by_label("Term end").fill((date.today() - timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Save role").click()
    expect(page.locator("#id_term_end_error")).to_have_text("The term must end after it starts.")
    form = page.locator("#officers form.form")
    expect(form.get_by_label("Person")).to_have_value(
        form.get_by_label("Person").locator("option", has_text="James Wright").get_attribute(
            "value"))
    form.get_by_label("Term end").fill((date.today() + timedelta(days=365)).isoformat())
    form.get_by_role("button", name="Save role").click()

    expect(page.get_by_text("The structure of this circle is sound")).to_be_visible()
    expect(page.locator("#officers")).to_contain_text("Second link")
    # The change log says who did it, at once.
    expect(page.locator("#changes li").first).to_contain_text(
        "James Wright became second link")
    expect(page.locator("#changes li").first).to_contain_text("Emma Taylor")
    screenshot("circle-page")

    page.get_by_role("link", name="Circles").click()
    page.get_by_role("link", name="0 breaches", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Structure health")
    expect(page.get_by_text("Every double link holds")).to_be_visible()


def test_the_chart_reads_on_a_phone(browser, live_server):
    call_command("demo", "--quiet-logins")
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    log_in(page, "admin@tsg.example", DEMO_PASSWORD)
    page.goto("/circles/")
    expect(page.locator("svg.chart")).to_be_visible()
    # The page itself never scrolls sideways; the chart scrolls inside its own frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="var/screenshots/chart-phone.png")
    context.close()
