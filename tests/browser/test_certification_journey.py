"""A candidate's certification, in the browser: the mentor records evidence and moves the
candidate on, puts the certification on the agenda of the experts' circle, the circle's
secretary has it adopted by consent, the new expert downloads a certificate PDF that reads
well, and anyone can verify it by its code without seeing anything private."""

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from certification import services
from certification.models import Certificate, Enrolment, Evidence
from circles.decisions.models import Decision
from circles.decisions.services import meeting_create
from circles.models import Membership, OfficerRole
from tests.browser.conftest import SCREENSHOTS, log_in, turn_form
from tests.factories import (
    UserFactory,
    certified_expert,
    experts_circle,
    give_role,
    network_path,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
TITLE = "Certified sociocracy expert"
REFLECTION = "Consent is not a vote: the circle works with every objection."






def stage_card(page, name: str):
    return page.locator("article.stage", has=page.get_by_role("heading", level=2, name=name))


def record(page, kind: str, *, title: str = "", text: str = "", document=None) -> None:
    """Record one piece of evidence through the side form; it comes back in the list of
    the current stage."""
    entries = page.locator(".stage--current .evidence__item")
    count = entries.count()
    form = page.locator("#record")
    form.get_by_label("Kind").select_option(label=kind)
    form.get_by_label("Title").fill(title)
    form.get_by_label("Text or notes").fill(text)
    if document is not None:
        form.get_by_label("Document").set_input_files(document)
    form.get_by_role("button", name="Record", exact=True).click()
    expect(entries).to_have_count(count + 1)
    expect(page.locator(".messages")).to_contain_text("Evidence recorded.")


def walk_the_history(enrolment: Enrolment, mentor) -> None:
    """The LEADERSHIP programme and the community of practice, as the services record
    them (the browser part of the journey covers the first stage and the review)."""
    for stage_kind in ("programme", "practice"):
        enrolment.refresh_from_db()
        stage = enrolment.current_stage
        assert stage.kind == stage_kind
        for requirement in stage.requirements.all():
            times = 1 if requirement.kind == Evidence.Kind.HOURS else requirement.target
            for n in range(times):
                services.evidence_record(
                    enrolment=enrolment, stage=stage, kind=requirement.kind, by=mentor,
                    quantity=Decimal(requirement.target), title=f"{requirement.label} {n + 1}",
                    text="Recorded during the programme.")
        services.stage_advance(enrolment=enrolment, by=mentor)


@pytest.fixture
def worker_at_once():
    """The certificate is rendered and emailed by the worker: here, right after the
    commit, in the live server's thread."""
    from tsgcrm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_candidate_is_certified_by_the_experts_circle_and_gets_a_certificate(
        page, screenshot, settings, tmp_path, worker_at_once, office_a):
    settings.MEDIA_ROOT = tmp_path / "media"  # evidence documents and certificates
    today = timezone.localdate()

    # The circle of certified experts: the mentor and the circle's secretary.
    mentor = UserFactory(email="marta.ruiz@example.org", first_name="Marta", last_name="Ruiz",
                         office=office_a)
    secretary = UserFactory(email="sofia.brandt@example.org", first_name="Sofia",
                            last_name="Brandt", office=office_a)
    certified_expert(mentor)
    certified_expert(secretary)
    circle = experts_circle()
    give_role(circle, secretary, OfficerRole.Role.SECRETARY)
    candidate = UserFactory(email="ines.laurent@example.org", first_name="Inès",
                            last_name="Laurent", office=office_a)
    enrolment = services.enrol(path=network_path(), office=office_a, user=candidate,
                               mentor=mentor, by=mentor)

    # 1. The mentor records the basic training, through the form.
    log_in(page, mentor.email)
    page.goto(enrolment.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Inès Laurent")
    expect(stage_card(page, "Basic training")).to_contain_text("current stage")
    form = page.locator("#record")
    expect(form.get_by_role("heading")).to_have_text("Record evidence in “Basic training”")
    attended = page.get_by_role("progressbar", name="Basic training days attended")
    for day in range(1, 5):
        record(page, "Session attended", title=f"Training day {day}")
        expect(attended).to_have_attribute("aria-valuenow", str(day * 25))
    # A reflection without its text is refused next to the field; what was typed stays.
    form.get_by_label("Kind").select_option(label="Written reflection")
    form.get_by_label("Title").fill("What I take from the training")
    form.get_by_role("button", name="Record", exact=True).click()
    text_field = form.get_by_label("Text or notes")
    expect(text_field).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field--error")).to_contain_text("Write the text: it is the evidence.")
    expect(form.get_by_label("Kind")).to_have_value("reflection")
    expect(form.get_by_label("Title")).to_have_value("What I take from the training")
    assert not Evidence.objects.filter(enrolment=enrolment, kind="reflection").exists()
    screenshot("certification-evidence-refused")
    text_field.fill(REFLECTION)
    form.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Evidence recorded.")
    expect(page.get_by_role("progressbar", name="What the candidate takes from the training")
           ).to_have_attribute("aria-valuenow", "100")
    expect(stage_card(page, "Basic training").locator(".evidence")).to_contain_text(REFLECTION)
    screenshot("certification-basic-training-met")

    # 2. Every requirement is met: the candidate moves on.
    page.get_by_role("button", name="Every requirement is met: move on to the next stage"
                     ).click()
    expect(page.locator(".messages")).to_contain_text("On to the next stage.")
    expect(stage_card(page, "LEADERSHIP programme")).to_contain_text("current stage")
    expect(stage_card(page, "Basic training")).to_contain_text(
        f"completed on {date_format(today, 'DATE_FORMAT')}")
    expect(page.locator("#record").get_by_role("heading")).to_have_text(
        "Record evidence in “LEADERSHIP programme”")
    enrolment.refresh_from_db()
    assert enrolment.current_stage.name == "LEADERSHIP programme"

    # The programme and the practice, written as history; the experts' circle plans a
    # meeting.
    walk_the_history(enrolment, mentor)
    meeting = meeting_create(circle=circle, starts_at=timezone.now(), by=secretary)
    assert meeting.secretary == secretary
    page.reload()
    review = stage_card(page, "Certification review")
    expect(review).to_contain_text("current stage")

    # 3. Not before the dossier and the mentor's recommendation.
    propose = review.get_by_role("button", name="Put the certification on the agenda")
    expect(review.get_by_label("Meeting of the experts' circle")).to_have_value(str(meeting.pk))
    propose.click()
    expect(review.locator(".errorlist")).to_contain_text(
        "Before the review: Certification dossier, 0 of 1.")
    expect(review.locator(".errorlist")).to_contain_text(
        "Before the review: Mentor's recommendation, 0 of 1.")
    record(page, "Document", title="Certification dossier", document={
        "name": "dossier.txt", "mimeType": "text/plain",
        "buffer": b"Three client projects, 80 hours, the LEADERSHIP programme."})
    record(page, "Mentor's assessment", title="Recommendation",
           text="Inès is ready: she facilitates with care and holds the rounds firmly.")
    for need in ("Certification dossier", "Mentor's recommendation"):
        expect(page.get_by_role("progressbar", name=need)).to_have_attribute(
            "aria-valuenow", "100")
    expect(review.get_by_role("link", name="Download the document")).to_be_visible()
    propose.click()
    expect(page.locator(".messages")).to_contain_text(
        "The certification is on the agenda of the experts' circle.")
    expect(review.locator(".callout--good")).to_contain_text(
        "On the agenda of the experts' circle: Circle of certified experts")
    expect(review.get_by_role("link", name="Open the meeting")).to_have_attribute(
        "href", meeting.get_absolute_url())
    screenshot("certification-on-the-agenda")

    # 4. The secretary runs the meeting: attendance, consent, adoption.
    log_in(page, secretary.email)
    page.goto(meeting.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Meeting of Circle of certified experts")
    logbook = page.locator("#logbook")
    item = logbook.locator("section[data-item]").first
    expect(item.get_by_role("heading", level=2)).to_contain_text(
        "1. Certification of Inès Laurent")
    logbook.get_by_role("button", name="Everyone present").click()
    expect(logbook.get_by_role("heading", name="Attendance")).to_contain_text("2 present")
    proposal = logbook.locator("[data-proposal]")
    expect(proposal).to_contain_text("Inès Laurent is certified: Certified sociocracy expert")
    expect(proposal).to_contain_text(f"Responsible: {mentor}")
    adopt = proposal.get_by_role("button", name="Adopt by consent")
    expect(adopt).to_be_disabled()
    for member in (mentor, secretary):
        row = logbook.locator(f'[data-proposal] tr[data-member="{member.pk}"]')
        turn_form(row, "consent").get_by_role("button", name="Consent").click()
        expect(row.locator(".badge")).to_have_text("Consent")
    expect(adopt).to_be_enabled()
    adopt.click()
    adopted = proposal.locator(".callout--good")
    expect(adopted).to_contain_text("Adopted by consent.")
    expect(adopted.get_by_role("link")).to_have_text(re.compile(r"^D-\d{5}$"))
    screenshot("certification-adopted")

    # The adoption certified the candidate.
    decision = Decision.objects.get(circle=circle, meeting=meeting)
    certificate = Certificate.objects.get(holder=candidate)
    assert certificate.decision == decision and not certificate.is_revoked
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}",
                        certificate.code)
    assert certificate.holder_name == "Inès Laurent" and certificate.title == TITLE
    assert certificate.issued_on == today
    assert set(decision.consenting.all()) == {mentor, secretary}
    assert Membership.objects.current().filter(circle=circle, person=candidate).exists()
    enrolment.refresh_from_db()
    assert enrolment.current_stage.kind == "development"
    # ...and the worker rendered the certificate and emailed it to its holder.
    assert certificate.pdf and certificate.sent_at
    sent = [m for m in mail.outbox if m.to == [candidate.email]]
    assert len(sent) == 1 and sent[0].attachments[0][2] == "application/pdf"

    # 5. The new expert sees it on their path and downloads the certificate.
    log_in(page, candidate.email)
    page.goto("/certification/")
    expect(page.locator(".callout--good")).to_contain_text(
        f"You have been a {TITLE} since {date_format(today, 'DATE_FORMAT')}.")
    expect(page.locator(".callout--good code")).to_have_text(certificate.code)
    pdf_url = f"/certification/certificates/{certificate.pk}/pdf/"
    expect(page.get_by_role("link", name="Download your certificate")).to_have_attribute(
        "href", pdf_url)
    expect(page.locator(".path-summary")).to_contain_text("Now: Continued development")
    screenshot("certification-my-path")
    page.goto(enrolment.get_absolute_url())
    expect(page.locator("#certificate")).to_contain_text(certificate.code)
    link = page.get_by_role("link", name="Download the certificate (PDF)")
    expect(link).to_have_attribute("href", pdf_url)
    # The browser opens it in its PDF viewer (served inline): fetch it with the session.
    response = page.request.get(pdf_url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert f'filename="certificate-{certificate.code}.pdf"' in response.headers[
        "content-disposition"]
    pdf = SCREENSHOTS / "certification-certificate.pdf"
    pdf.write_bytes(response.body())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"],  # noqa: S603 - our own file
                          check=True, capture_output=True, text=True, timeout=30).stdout
    words = " ".join(text.split())
    assert "Inès Laurent" in words
    assert TITLE in words and "Expert certifié en sociocratie" in words
    assert certificate.code in words
    assert f"{settings.SITE_URL}/verify/{certificate.code}/" in words  # where to verify it
    assert decision.reference in words
    for stale in SCREENSHOTS.glob("certification-certificate-*.png"):
        stale.unlink()
    subprocess.run([PDFTOPPM, "-png", "-r", "80", str(pdf),  # noqa: S603
                    str(SCREENSHOTS / "certification-certificate")], check=True, timeout=30)
    pages = sorted(SCREENSHOTS.glob("certification-certificate-*.png"))
    assert len(pages) == 1 and pages[0].stat().st_size > 0  # one page, landscape

    # 6. Anyone verifies the code: the name, the title and the date, nothing private.
    page.context.clear_cookies()
    response = page.goto(f"/verify/{certificate.code.lower()}/")
    assert response.status == 200
    result = page.get_by_role("status")
    expect(result).to_contain_text("Valid certificate")
    expect(result).to_contain_text("Inès Laurent")
    expect(result).to_contain_text(f"{TITLE} / Expert certifié en sociocratie")
    with translation.override("en"):
        expect(result).to_contain_text(date_format(today, "DATE_FORMAT"))
    expect(result).to_contain_text(certificate.code)
    html = page.content()
    for private in (candidate.email, office_a.name, "Marta", decision.reference):
        assert private not in html
    screenshot("certification-verify")
