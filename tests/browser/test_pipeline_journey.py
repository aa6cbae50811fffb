import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from circles.demo_data import DEMO_PASSWORD
from circles.models import User
from contacts.services import person_create
from pipeline.models import Deal
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_takes_a_deal_from_contact_to_delivery(page, screenshot):
    call_command("demo", "--quiet-logins", "--no-contacts")
    oliver = User.objects.get(email="oliver.brown@tsg.example")
    person = person_create(office=oliver.office, by=oliver,
                           data={"first_name": "Grace", "last_name": "Hopper",
                                 "email": "grace@navy.example"})
    log_in(page, "oliver.brown@tsg.example", DEMO_PASSWORD)

    # From the contact, open a deal.
    page.goto(person.get_absolute_url())
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Title").fill("LEADERSHIP programme for Grace")
    page.get_by_label("Product or service").select_option("leadership")
    page.get_by_label("Value").fill("7200")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEADERSHIP programme for Grace")
    deal = Deal.objects.get(title="LEADERSHIP programme for Grace")

    # Tick two routines of the Contact phase.
    checklist = page.locator("#checklist")
    checklist.get_by_role("checkbox").nth(0).click()
    expect(checklist).to_contain_text("1/6")
    checklist.get_by_role("checkbox").nth(1).click()
    expect(checklist).to_contain_text("2/6")

    # Drag the card across the board to the Selling phase.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    card = page.locator(f'[data-deal="{deal.pk}"]')
    expect(card).to_contain_text("2/6")
    card.drag_to(page.locator('section[data-phase="5"]'), source_position={"x": 4, "y": 4},
                 target_position={"x": 40, "y": 20})
    expect(page.locator("#board-messages")).to_contain_text("moved to Selling phase")
    expect(page.locator(f'section[data-phase="5"] [data-deal="{deal.pk}"]')).to_be_visible()
    # The board refreshes its counts and totals from the server.
    expect(page.locator('section[data-phase="5"] [data-count]')).to_have_text("1")
    expect(page.locator('section[data-phase="1"] [data-count]')).to_have_text("0")
    screenshot("board-after-drag")
    deal.refresh_from_db()
    assert deal.phase.number == 5

    # Log a meeting and a price objection on the deal.
    card = page.locator(f'section[data-phase="5"] [data-deal="{deal.pk}"]')
    card.get_by_role("link").first.click()
    page.get_by_text("Log a call, meeting, email…").click()
    page.locator("#interactions").get_by_label("Kind").select_option("meeting")
    page.locator("#interactions").get_by_label("Notes").fill("Met the board; they liked it.")
    page.get_by_role("button", name="Log it").click()
    expect(page.locator("#interactions")).to_contain_text("Meeting in person")
    page.get_by_text("Record an objection").click()
    objections = page.locator("#objections")
    objections.get_by_label("Category").select_option("price")
    objections.get_by_label("The client's words").fill("It is more than our budget.")
    objections.get_by_label("Technique used").fill("Split into two stages")
    objections.get_by_role("button", name="Record").click()
    expect(page.locator("#objections")).to_contain_text("It is more than our budget.")

    # Win it: it goes on to Service delivery.
    page.get_by_role("button", name="Mark as won").click()
    expect(page.get_by_text("Won!")).to_be_visible()
    expect(page.locator(".page-header")).to_contain_text("6. Service delivery")
    expect(page.get_by_text("Dear Grace")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    expect(page.locator(f'section[data-phase="6"] [data-deal="{deal.pk}"]')).to_be_visible()
    screenshot("board-won")
