"""A circle secretary runs a whole meeting in the browser: attendance, a proposal through
its rounds, an objection resolved by an amendment, an election, and the minutes PDF."""

import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from circles.decisions.models import ConsentAnswer, Decision, Meeting
from circles.models import OfficerRole
from tests.browser.conftest import SCREENSHOTS, log_in, turn_form
from tests.factories import CircleFactory, UserFactory, give_role, join, top_circle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
TITLE = "Meetings on Wednesdays"
ARGUMENT = "Tuesdays clash with our client workshops."






def test_a_secretary_runs_a_meeting_from_attendance_to_minutes(
        page, screenshot, office_a, colleague_a, consultant_a):
    today = date.today()
    noor = UserFactory(email="noor.haddad@example.org", first_name="Noor",
                       last_name="Haddad", office=office_a)
    circle = CircleFactory(name="Circle of A", parent=top_circle(), office=office_a)
    join(circle, consultant_a, colleague_a, noor)
    give_role(circle, colleague_a, OfficerRole.Role.SECRETARY)
    secretary, camille = colleague_a, consultant_a  # Claude A keeps the logbook

    # 1. The circle's logbook, and a new meeting.
    log_in(page, secretary.email)
    page.goto(circle.get_absolute_url())
    page.get_by_role("link", name="Logbook", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logbook of Circle of A")
    expect(page.get_by_text("No meeting recorded yet.")).to_be_visible()
    new_meeting = page.locator("section", has=page.get_by_role("heading", name="New meeting"))
    new_meeting.get_by_label("Date and time").fill(f"{today.isoformat()}T09:30")
    new_meeting.get_by_label("Place").fill("Lyon office, room 2")
    screenshot("logbook-new-meeting")
    new_meeting.get_by_role("button", name="Open the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting of Circle of A")
    meeting = Meeting.objects.get(circle=circle)
    assert meeting.secretary == secretary  # the circle's elected secretary by default

    # From here on, everything happens in the page: no reload until the minutes.
    page.evaluate("window.__marker = 1")
    logbook = page.locator("#logbook")

    # 2. Attendance: one click per member.
    expect(logbook.get_by_role("heading", name="Attendance")).to_contain_text("0 present")
    for n, person in enumerate((camille, secretary, noor), start=1):
        row = logbook.locator(f'table.attendance tr[data-member="{person.pk}"]')
        row.get_by_role("button", name="Present", exact=True).click()
        expect(logbook.locator(f'table.attendance tr[data-member="{person.pk}"]')
               .get_by_role("button", name="Present", exact=True)
               ).to_have_attribute("aria-pressed", "true")
        expect(logbook.get_by_role("heading", name="Attendance")).to_contain_text(
            f"{n} present")
    assert page.evaluate("window.__marker") == 1
    expect(logbook.locator(".badge").first).to_have_text("In progress")

    # 3. An agenda item (a policy decision) and its proposal.
    add_item = logbook.locator(f'form[action="/meetings/{meeting.pk}/agenda/"]')
    add_item.get_by_label("Agenda item").fill("Meeting day")
    add_item.get_by_label("Kind").select_option(label="Policy decision")
    add_item.get_by_role("button", name="Add to the agenda").click()
    item = logbook.locator("section[data-item]").first
    expect(item.get_by_role("heading", level=2)).to_contain_text("1. Meeting day")
    present = item.locator('form[action*="/proposal/"]')
    present.get_by_label("Title").fill(TITLE)
    present.get_by_label(re.compile(r"^Proposal:?$")).fill(
        "The circle meets on the first Wednesday of each month, 9:30 to 12:00.")
    present.get_by_label("Proposed review date").fill(
        (today + timedelta(days=180)).isoformat())
    present.get_by_role("button", name="Present the proposal").click()
    proposal = logbook.locator("[data-proposal]")
    expect(proposal).to_contain_text(TITLE)
    expect(proposal).to_contain_text("version 1")

    def row(person):
        return logbook.locator(f'[data-proposal] tr[data-member="{person.pk}"]')

    # 4. A clarifying question, a quick reaction.
    question = turn_form(row(camille), "clarifying")
    question.get_by_role("textbox").fill("Does this include the summer months?")
    question.get_by_role("button", name="Record").click()
    expect(row(camille)).to_contain_text("Does this include the summer months?")
    reaction = turn_form(row(noor), "reactions")
    reaction.get_by_role("textbox").fill("Good for me, mornings suit the Lyon team.")
    reaction.get_by_role("button", name="Record").click()
    expect(row(noor)).to_contain_text("mornings suit the Lyon team")

    # 5. The consent round: an objection without its argument is refused on its row.
    turn_form(row(secretary), "consent").get_by_role("button", name="Consent").click()
    expect(row(secretary).locator(".badge")).to_have_text("Consent")
    turn_form(row(noor), "consent").get_by_role("button", name="Consent").click()
    expect(row(noor).locator(".badge")).to_have_text("Consent")
    turn_form(row(camille), "consent").get_by_role("button", name="Object").click()
    expect(row(camille).locator(".errorlist")).to_contain_text(
        "An objection carries its argument")
    expect(row(camille).get_by_label("Argument of Camille A's objection")).to_have_attribute(
        "aria-invalid", "true")
    assert not ConsentAnswer.objects.filter(member=camille).exists()
    screenshot("logbook-objection-refused")
    row(camille).get_by_label("Argument of Camille A's objection").fill(ARGUMENT)
    turn_form(row(camille), "consent").get_by_role("button", name="Object").click()
    expect(row(camille).locator(".badge")).to_have_text("Objection")
    expect(proposal.locator("ul.objections")).to_contain_text(ARGUMENT)

    # 6. An open objection blocks adoption.
    adopt = proposal.get_by_role("button", name="Adopt by consent")
    expect(adopt).to_be_disabled()
    expect(proposal.get_by_role("status")).to_contain_text(
        "Camille A's objection is still open")
    screenshot("logbook-open-objection")

    # 7. An amendment resolves the objection; consent starts again on version 2.
    proposal.get_by_text("Amend the proposal").click()
    amend = proposal.locator('form[action*="/amend/"]')
    amend.get_by_label("Amended proposal").fill(
        "The circle meets on the first Wednesday of each month, 9:30 to 12:00, "
        "except in August.")
    amend.get_by_label("Why it changes").fill("Client workshops are on Tuesdays; "
                                              "August is the summer break.")
    amend.get_by_label(re.compile(r"Camille A: Tuesdays clash")).check()
    amend.get_by_role("button", name="Record the amendment").click()
    expect(proposal).to_contain_text("version 2")
    expect(proposal.locator("ul.objections")).to_contain_text("Resolved by an amendment (v2)")
    expect(adopt).to_be_disabled()  # nobody has consented to version 2 yet
    for person in (camille, secretary, noor):
        turn_form(row(person), "consent").get_by_role("button", name="Consent").click()
        expect(row(person).locator(".badge")).to_have_text("Consent")
    expect(adopt).to_be_enabled()
    adopt.click()
    expect(proposal.locator(".callout--good")).to_contain_text("Adopted by consent.")
    expect(proposal.locator(".callout--good").get_by_role("link")).to_have_text(
        re.compile(r"^D-\d{5}$"))
    decision = Decision.objects.get(circle=circle)
    assert decision.text.endswith("except in August.")
    assert set(decision.consenting.all()) == {camille, secretary, noor}
    expect(proposal.locator(".callout--good")).to_contain_text(decision.reference)
    assert page.evaluate("window.__marker") == 1
    screenshot("logbook-adopted")

    # 8. An election: the circle elects its facilitator.
    term_end = today + timedelta(days=730)
    elect = logbook.locator(f'form[action="/meetings/{meeting.pk}/elections/"]')
    elect.get_by_label(re.compile(r"^Role:?$")).select_option(label="Facilitator")
    elect.get_by_label("Role description").fill(
        "Leads the meetings, keeps the rounds in order and the time.")
    elect.get_by_label("Term start").fill(today.isoformat())
    elect.get_by_label("Term end").fill(term_end.isoformat())
    elect.get_by_role("button", name="Start the election").click()
    election = logbook.locator("section[data-item]").nth(1)
    expect(election.get_by_role("heading", level=2)).to_contain_text("2. Election: Facilitator")
    for nominator, nominee, reasons in (
            (secretary, noor, "Calm and precise."),
            (camille, noor, "Knows the rounds well."),
            (noor, camille, "Has time this year.")):
        nominate = election.locator('form[action*="/nominate/"]')
        nominate.get_by_label("Nominated by").select_option(label=str(nominator))
        nominate.get_by_label("Nominee").select_option(label=str(nominee))
        nominate.get_by_label("Reasons").fill(reasons)
        nominate.get_by_role("button", name="Record nomination").click()
        expect(election.locator(".election table")).to_contain_text(reasons)
    screenshot("logbook-nominations")
    propose = election.locator('form[action*="/propose/"]')
    propose.get_by_label("Proposed candidate").select_option(label=str(noor))
    propose.get_by_role("button", name="Propose for consent").click()
    candidacy = election.locator("[data-proposal]")
    expect(candidacy).to_contain_text("Noor Haddad elected facilitator")
    for person in (camille, secretary, noor):
        candidate_row = candidacy.locator(f'tr[data-member="{person.pk}"]')
        turn_form(candidate_row, "consent").get_by_role("button", name="Consent").click()
        expect(candidate_row.locator(".badge")).to_have_text("Consent")
    candidacy.get_by_role("button", name="Adopt by consent").click()
    expect(candidacy.locator(".callout--good")).to_contain_text("Adopted by consent.")
    expect(election.locator(".election .badge")).to_have_text("Elected")
    held = OfficerRole.objects.held().get(circle=circle, role=OfficerRole.Role.FACILITATOR)
    assert held.person == noor and held.term_end == term_end
    assert page.evaluate("window.__marker") == 1  # the whole meeting ran without a reload
    screenshot("logbook-meeting")

    # 9. The draft minutes, as a PDF.
    link = page.get_by_role("link", name="Draft minutes (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = SCREENSHOTS / "logbook-minutes.pdf"
    pdf.write_bytes(response.body())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for stale in SCREENSHOTS.glob("logbook-minutes-*.png"):
        stale.unlink()
    subprocess.run([PDFTOPPM, "-png", "-r", "60", str(pdf),  # noqa: S603 - our own file
                    str(SCREENSHOTS / "logbook-minutes")], check=True, timeout=30)
    first_page = sorted(SCREENSHOTS.glob("logbook-minutes-*.png"))
    assert first_page and first_page[0].stat().st_size > 0
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"],  # noqa: S603
                          check=True, capture_output=True, text=True, timeout=30).stdout
    assert TITLE in text
    assert "Objection" in text and "client workshops" in text
    assert "Noor Haddad elected facilitator" in text
    # What was said on version 1 stays in the minutes after the amendment.
    assert "summer months" in " ".join(text.split())
