from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from circles.demo_data import DEMO_PASSWORD
from circles.models import User
from contacts.models import Person
from contacts.services import person_create
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_logs_merges_imports_and_finds_contacts(page, screenshot, tmp_path: Path):
    call_command("demo", "--quiet-logins", "--no-contacts")
    oliver = User.objects.get(email="oliver.brown@tsg.example")
    existing = person_create(office=oliver.office, by=oliver,
                             organisation_name="Harbour Trust",
                             data={"first_name": "Margaret", "last_name": "Thompson",
                                   "email": "m.thompson@harbour.example"})
    log_in(page, "oliver.brown@tsg.example", DEMO_PASSWORD)

    # Quick add from any page: the duplicate warning shows while typing.
    page.get_by_role("link", name="+ Prospect").click()
    dialog = page.locator("#quick-add-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("First name").fill("Maggie")
    dialog.get_by_label("Last name").fill("Thompson")
    dialog.get_by_label("Email").fill("M.Thompson@harbour.example")
    dialog.get_by_label("Phone").click()
    expect(dialog.get_by_text("This may be someone you already have")).to_be_visible()
    screenshot("quick-add-duplicate")
    dialog.get_by_role("button", name="Add prospect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maggie Thompson")

    # The contact page offers the merge; the duplicate folds into the existing contact.
    page.get_by_role("link", name="Compare and merge").click()
    page.get_by_role("button", name="Merge into Maggie Thompson").click()
    expect(page.get_by_text("Merged:")).to_be_visible()
    assert Person.objects.filter(last_name="Thompson").count() == 1
    assert not Person.objects.filter(pk=existing.pk).exists()

    # Import a CSV with one bad row: the row error shows, nothing is imported.
    bad = tmp_path / "contacts.csv"
    bad.write_text("First name,Last name,Email,Company\n"
                   "Siobhan,Fitzgerald,siobhan@makers.example,Makers Co-op\n"
                   "Tom,Baker,tom-at-example,\n", encoding="utf-8")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Import").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(bad))
    page.get_by_role("button", name="Read the file").click()
    expect(page.locator('tr[data-row="2"]')).to_contain_text("Enter a valid email address.")
    expect(page.get_by_role("button", name="Import 1 person")).to_have_count(0)
    screenshot("import-row-error")

    bad.write_text("First name,Last name,Email,Company\n"
                   "Siobhan,Fitzgerald,siobhan@makers.example,Makers Co-op\n"
                   "Tom,Baker,tom@example.com,\n", encoding="utf-8")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(bad))
    page.get_by_role("button", name="Read the file").click()
    page.get_by_role("button", name="Import 2 people").click()
    expect(page.get_by_text("2 people imported")).to_be_visible()

    # Find a contact by a misspelt name, live.
    page.get_by_label("Search").fill("Siobahn Fitzgerlad")
    expect(page.locator("#results")).to_contain_text("Siobhan Fitzgerald")
    expect(page.locator("#results")).not_to_contain_text("Tom Baker")
    assert "q=Siobahn%20Fitzgerlad" in page.url  # the search is in the address, to share
    screenshot("contacts-search")
