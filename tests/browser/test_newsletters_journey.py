"""An office lead builds a segment (its count updates live), writes a French newsletter
(a template error shows next to the body, with its line), previews it as a contact, sends
a test to themself, schedules it; once it has gone out, a reader opens it and clicks its
link, and the lead sees the opens and clicks."""

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Consent
from contacts.services import consent_record
from newsletters import sending, services, tasks
from newsletters.models import Delivery, Newsletter, Segment
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = "https://www.tsg-france.example/printemps"
BODY = ("<h1>Les nouvelles du printemps</h1>\n"
        "<p>Bonjour {{ first_name|default:\"à vous\" }},</p>\n"
        "{% if city %}<p>Un atelier près de chez vous, à {{ city }}.</p>\n"
        f"<p><a href=\"{LINK}\">Lire la suite</a></p>")


def contact(office, first_name, last_name, *, kind="prospect", language="fr",
            consent=True, city=""):
    address = unicodedata.normalize("NFKD", f"{first_name}.{last_name}@example.fr".lower())
    person = PersonFactory(office=office, first_name=first_name, last_name=last_name,
                           email=address.encode("ascii", "ignore").decode(),
                           kind=kind, language=language, city=city)
    if consent is not None:
        consent_record(person=person, channel=Consent.Channel.NEWSLETTER, granted=consent,
                       lawful_basis=Consent.Basis.CONSENT, source="Salon, mars", by=None)
    person.refresh_from_db()
    assert person.newsletter_consent is bool(consent)
    return person


@pytest.fixture
def contacts(office_a):
    """French prospects: three accept newsletters, one refused, one was never asked; a
    French client and an English prospect accept them too (not in the segment)."""
    return {
        "amelie": contact(office_a, "Amélie", "Durand", city="Lyon"),
        "bernard": contact(office_a, "Bernard", "Petit"),
        "chloe": contact(office_a, "Chloé", "Martin", city="Paris"),
        "denis": contact(office_a, "Denis", "Roux", consent=False),
        "eva": contact(office_a, "Eva", "Blanc", consent=None),
        "fabrice": contact(office_a, "Fabrice", "Moreau", kind="client"),
        "grace": contact(office_a, "Grace", "Hill", language="en"),
    }


@pytest.fixture
def queued(monkeypatch):
    """Celery tasks the services enqueue, recorded instead of sent to the broker: this test
    plays the worker itself."""
    calls = []
    for task in (tasks.start_newsletter, tasks.send_newsletter_batch, tasks.refresh_readers):
        monkeypatch.setattr(task, "delay",
                            lambda *args, _name=task.name: calls.append((_name, args)))
    return calls


def stat(page, label):
    return page.locator(".report-stats > div").filter(
        has=page.locator(".stat-label", has_text=re.compile(f"^{label}$")))


def test_an_office_lead_segments_writes_tests_schedules_and_reads_the_stats(
        page, browser, live_server, screenshot, lead_a, office_a, contacts, mailoutbox,
        queued):
    (SCREENSHOTS / "newsletters").mkdir(parents=True, exist_ok=True)
    log_in(page, lead_a.email)

    # A segment of French prospects; the count follows the criteria as they are ticked.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Newsletters").click()
    page.get_by_role("navigation", name="Newsletters").get_by_role(
        "link", name="Segments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    page.get_by_role("link", name="New segment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New segment")
    page.get_by_label("Name").fill("Prospects francophones")
    count = page.locator("#segment-count")
    page.get_by_role("checkbox", name="Prospect", exact=True).check()
    # Four prospects accept newsletters (three French, one English); Denis and Eva match
    # but have not agreed.
    expect(count.locator(".stat")).to_have_text("4")
    expect(count).to_contain_text("2 other contacts match but have not agreed")
    page.get_by_role("checkbox", name="French", exact=True).check()
    expect(count.locator(".stat")).to_have_text("3")
    expect(count).to_contain_text("contacts accept newsletters and would receive them")
    expect(count).to_contain_text("2 other contacts match")
    screenshot("newsletters/journey-segment-count")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Segment saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prospects francophones")
    segment = Segment.objects.get(name="Prospects francophones")
    assert (segment.office, segment.kinds, segment.languages) == (office_a, ["prospect"],
                                                                 ["fr"])
    expect(page.locator("#segment-count .stat")).to_have_text("3")

    # A newsletter in French; the body first has an unclosed {% if %}.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Newsletters").click()
    page.get_by_role("link", name="New newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New newsletter")
    page.get_by_label("Name").fill("Printemps 2026")
    page.get_by_label("Segment:", exact=True).select_option(label="Prospects francophones")
    expect(page.get_by_label("Main language")).to_have_value("fr")
    french = page.locator("#versions .version").nth(0)
    expect(french.get_by_label("Language:", exact=True)).to_have_value("fr")
    french.get_by_label("Subject:", exact=True).fill(
        "{{ first_name|default:\"Bonjour\" }}, les nouvelles du printemps")
    french.get_by_label("Preheader").fill("Ateliers, formations et témoignages")
    french.get_by_label("HTML body").fill(BODY)
    page.get_by_role("button", name="Save").click()

    french = page.locator("#versions .version").nth(0)
    body_field = french.locator(".field").filter(has=page.get_by_label("HTML body"))
    expect(body_field.locator(".errorlist")).to_contain_text(
        "Line 3: Unclosed tag on line 3: 'if'")
    expect(french.get_by_label("HTML body")).to_have_value(BODY)
    expect(french.get_by_label("Subject:", exact=True)).to_have_value(
        "{{ first_name|default:\"Bonjour\" }}, les nouvelles du printemps")
    expect(page.get_by_label("Name")).to_have_value("Printemps 2026")
    assert not Newsletter.objects.exists()
    screenshot("newsletters/journey-template-error")

    french.get_by_label("HTML body").fill(BODY.replace(
        "à {{ city }}.</p>\n", "à {{ city }}.</p>{% endif %}\n"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Newsletter saved. Preview it and send yourself a test.")
           ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Printemps 2026")
    newsletter = Newsletter.objects.get(name="Printemps 2026")
    assert newsletter.language == "fr"
    assert list(newsletter.versions.values_list("language", flat=True)) == ["fr"]
    expect(page.locator(".page-header .badge")).to_have_text("Draft")
    expect(page.locator("#segment-count .stat")).to_have_text("3")

    # Preview as Amélie: her first name in the subject, her city in the body.
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview")
    page.get_by_label("As the contact").select_option(label="Amélie Durand")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#preview-subject")).to_have_text(
        "Amélie, les nouvelles du printemps")
    frame = page.frame_locator("iframe.preview-frame")
    expect(frame.get_by_text("Bonjour Amélie,")).to_be_visible()
    expect(frame.get_by_text("Un atelier près de chez vous, à Lyon.")).to_be_visible()
    screenshot("newsletters/journey-preview")

    # A test to themself, personalised as Amélie.
    page.get_by_role("button", name=f"Send this as a test to {lead_a.email}").click()
    expect(page.get_by_text(f"1 test message(s) sent to {lead_a.email}.")).to_be_visible()
    assert len(mailoutbox) == 1
    test_message = mailoutbox[0]
    assert test_message.to == [lead_a.email]
    assert test_message.subject == "[Test] Amélie, les nouvelles du printemps"
    assert "Bonjour Amélie," in test_message.body
    assert not Delivery.objects.exists()  # a test is no delivery

    # Scheduled for tomorrow morning, in the office's time zone.
    paris = ZoneInfo(office_a.time_zone)
    tomorrow = (timezone.now().astimezone(paris) + dt.timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0)
    page.get_by_label("At a date and time").check()
    page.get_by_label("Send at").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Newsletter scheduled.")).to_be_visible()
    expect(page.locator(".page-header .badge")).to_have_text("Scheduled")
    expect(page.get_by_text("It goes out on")).to_contain_text("9:30")
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SCHEDULED
    assert newsletter.send_at == tomorrow
    assert queued == []  # nothing starts before its time

    # The next morning: the beat job starts it and a worker sends it (here, this test).
    Newsletter.objects.filter(pk=newsletter.pk).update(
        send_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.newsletter_start(newsletter.pk) == 3
    assert queued == [("newsletters.tasks.send_newsletter_batch", (newsletter.pk,))
                      ] * settings.NEWSLETTER_PARALLEL
    assert sending.send_batch(newsletter.pk) == 3
    newsletter.refresh_from_db()
    assert newsletter.status == Newsletter.Status.SENT
    sent = {message.to[0]: message for message in mailoutbox[1:]}
    assert sorted(sent) == sorted(contacts[name].email for name in ("amelie", "bernard",
                                                                     "chloe"))
    assert sent[contacts["bernard"].email].subject == "Bernard, les nouvelles du printemps"

    # Amélie opens it (her mail program loads the pixel) and clicks the link.
    html = sent[contacts["amelie"].email].alternatives[0][0]
    pixel = urlsplit(re.search(r'<img src="([^"]+/n/o/[^"]+\.gif)"', html).group(1)).path
    click = urlsplit(re.search(r'href="([^"]+/n/c/[^"]+/)"', html).group(1)).path
    assert LINK not in html  # the link goes through the tracking redirect
    reader = browser.new_context(base_url=live_server.url)  # no session: a mail program
    try:
        opened = reader.request.get(pixel)
        assert opened.status == 200
        assert opened.headers["content-type"] == "image/gif"
        clicked = reader.request.get(click, max_redirects=0)
        assert clicked.status == 302
        assert clicked.headers["location"] == LINK
        forged = reader.request.get(click.replace("/n/c/", "/n/c/9", 1), max_redirects=0)
        assert forged.status == 404
    finally:
        reader.close()

    # The lead sees the figures.
    page.reload()
    expect(page.locator(".page-header .badge")).to_have_text("Sent")
    expect(stat(page, "Recipients").locator(".stat")).to_have_text("3")
    expect(stat(page, "Delivered").locator(".stat")).to_have_text("3")
    expect(stat(page, "Opens").locator(".stat")).to_have_text("1")
    expect(stat(page, "Opens")).to_contain_text("open rate 33.3 %")
    expect(stat(page, "Clicks").locator(".stat")).to_have_text("1")
    expect(stat(page, "Clicks")).to_contain_text("click rate 33.3 %")
    links = page.get_by_role("table").filter(has=page.get_by_role("columnheader",
                                                                  name="Link"))
    expect(links.get_by_role("row").filter(has_text=LINK).get_by_role("cell")).to_have_text(
        [LINK, "1", "1"])
    screenshot("newsletters/journey-stats")
    amelie = Delivery.objects.get(person=contacts["amelie"])
    assert (amelie.opens, amelie.clicks) == (1, 1)
