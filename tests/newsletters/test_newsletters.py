"""Segments, personalisation, sending in process (the email backend of the tests), the
tracking links, unsubscribing, webhooks, A/B tests, statistics and who may see what."""

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import Consent, Person
from contacts.services import consent_record, person_merge
from newsletters import rendering, sending, services
from newsletters.models import Delivery, Link, Newsletter, Reader, Segment
from tests.factories import PersonFactory
from tests.newsletters.helpers import make_due, many_readers, newsletter, reader
from tsgcrm import outbox

pytestmark = pytest.mark.django_db


def send_all(item: Newsletter) -> int:
    make_due(item)
    count = services.newsletter_start(item.pk)
    sending.send_batch(item.pk)
    return count


def links_of(message) -> list[str]:
    html = message.alternatives[0][0] if message.alternatives else ""
    return re.findall(r'href="(http[^"]+)"', html)


# --- Consent and segments ----------------------------------------------------------------

def test_only_the_latest_consent_counts_and_an_email_opt_out_overrides(office_a):
    person = reader(office_a)
    assert person.newsletter_consent
    consent_record(person=person, channel=Consent.Channel.EMAIL, granted=False,
                   lawful_basis=Consent.Basis.CONSENT, source="phone call", by=None)
    person.refresh_from_db()
    assert not person.newsletter_consent
    consent_record(person=person, channel=Consent.Channel.EMAIL, granted=True,
                   lawful_basis=Consent.Basis.CONSENT, source="phone call", by=None)
    person.refresh_from_db()
    assert person.newsletter_consent
    consent_record(person=person, channel=Consent.Channel.NEWSLETTER, granted=False,
                   lawful_basis=Consent.Basis.CONSENT, source="web form", by=None)
    person.refresh_from_db()
    assert not person.newsletter_consent


def test_a_segment_never_includes_contacts_without_consent(office_a, office_a1, office_b):
    yes = reader(office_a, language="fr", kind="client", city="Paris")
    reader(office_a, consent=False, language="fr", kind="client", city="Paris")
    reader(office_a, consent=None, language="fr", kind="client", city="Paris")
    sub = reader(office_a1, language="fr", kind="client", city="Lyon")
    reader(office_b, language="fr", kind="client")
    reader(office_a, language="fr", kind="client", email="")  # nowhere to send it
    segment = Segment(office=office_a)
    people = set(services.segment_people(services.criteria_of(segment)))
    assert people == {yes, sub}
    assert services.segment_counts(services.criteria_of(segment)) == {
        "consenting": 2, "without_consent": 2}
    segment.include_sub_offices = False
    assert set(services.segment_people(services.criteria_of(segment))) == {yes}
    segment.include_sub_offices, segment.cities = True, " lyon ,Marseille"
    assert set(services.segment_people(services.criteria_of(segment))) == {sub}


def test_segment_criteria_kind_language_tags_persona_phase(office_a, consultant_a):
    from contacts.models import Persona, Tag
    from pipeline.models import Deal, Phase
    from tests.pipeline.test_reports import seeded

    seeded()
    client = reader(office_a, kind="client", language="en")
    prospect = reader(office_a, kind="prospect", language="fr")
    tag = Tag.objects.create(office=office_a, name="club")
    prospect.tags.add(tag)
    persona = Persona.objects.create(office=office_a, name="Director")
    Person.objects.filter(pk=client.pk).update(persona=persona)
    phase = Phase.objects.get(number=3)
    Deal.objects.create(office=office_a, owner=consultant_a, person=prospect, phase=phase,
                        title="Training", status=Deal.Status.OPEN)

    def who(**criteria):
        return set(services.segment_people({"office": office_a, **criteria}))

    assert who(kinds=["client"]) == {client}
    assert who(languages=["fr"]) == {prospect}
    assert who(tags=[tag]) == {prospect}
    assert who(personas=[persona]) == {client}
    assert who(phases=[phase]) == {prospect}
    assert who(phases=[Phase.objects.get(number=5)]) == set()


def test_engagement_segments_follow_what_readers_did(office_a):
    regular, occasional, inactive = (reader(office_a) for _ in range(3))
    now = timezone.now()
    for n in range(4):
        item = newsletter(office_a, languages=("fr",))
        for person, opened in ((regular, True), (occasional, n == 0), (inactive, False)):
            Delivery.objects.create(
                newsletter=item, person=person, email=person.email, language="fr",
                status=Delivery.Status.SENT, sent_at=now - dt.timedelta(days=120 - n * 30),
                opened_at=(now - dt.timedelta(days=119 - n * 30)) if opened else None)
    assert services.refresh_readers() == 3
    levels = dict(Reader.objects.values_list("person_id", "engagement"))
    assert levels == {regular.pk: "regular", occasional.pk: "occasional",
                      inactive.pk: "inactive"}

    def who(**criteria):
        return set(services.segment_people({"office": office_a, **criteria}))

    assert who(engagement="regular") == {regular}
    assert who(engagement="inactive", inactive_months=3) == {inactive, occasional}
    assert who(engagement="inactive", inactive_months=12) == set()


# --- Templates and personalisation ------------------------------------------------------

def test_template_errors_are_reported_with_their_line():
    errors = rendering.check({"subject": "Hi {{ first_name|shout }}", "body_html":
                              "<p>one</p>\n<p>two</p>\n{% if first_name %}<p>three</p>"})
    assert "subject" in errors
    assert errors["body_html"].startswith("Line 3:")
    assert "endif" in errors["body_html"]
    assert rendering.check({"body_html": "{% include 'base.html' %}"})  # no server templates


def test_personalisation_with_defaults_and_escaping(office_a):
    item = newsletter(office_a)
    compiled = rendering.compile_version(item.versions.get(language="fr"), newsletter=item,
                                         sender=rendering.Sender.of(office_a))
    subject, html, text = rendering.personalise(
        compiled, rendering.Reader("<b>Zoé</b>", "M", "z@example.org"), office="X")
    assert subject == "<b>Zoé</b>, les nouvelles"
    assert "Bonjour &lt;b&gt;Zoé&lt;/b&gt;" in html  # shown, never run
    assert "Bonjour <b>Zoé</b>" in text
    subject, html, _text = rendering.personalise(compiled, rendering.Reader(), office="X")
    assert subject == "Bonjour, les nouvelles"
    assert "Bonjour à vous" in html


def test_plain_text_part_is_made_from_the_html():
    text = rendering.html_to_text("<h1>News</h1><p>Read <a href=\"https://e.org/a\">this</a>"
                                  "</p><ul><li>one</li><li>two</li></ul><style>p{}</style>")
    assert text == "News\n\nRead this (https://e.org/a)\n\n- one\n- two"


# --- Scheduling ---------------------------------------------------------------------------

def test_scheduling_refuses_template_errors_and_an_empty_segment(office_a, lead_a):
    item = newsletter(office_a, by=lead_a)
    with pytest.raises(ValidationError, match="accepts newsletters"):
        services.newsletter_schedule(newsletter=item, send_at=None)
    reader(office_a)
    item.versions.filter(language="en").update(body_html="{% if x %}")
    with pytest.raises(ValidationError, match="HTML body"):
        services.newsletter_schedule(newsletter=item,
                                     send_at=timezone.now() + dt.timedelta(days=1))
    item.versions.filter(language="en").update(body_html="<p>ok</p>")
    services.newsletter_schedule(newsletter=item, send_at=timezone.now() + dt.timedelta(days=1))
    item.refresh_from_db()
    assert item.status == Newsletter.Status.SCHEDULED
    assert services.newsletter_start(item.pk) == 0  # not due yet: the beat job waits
    assert not Delivery.objects.exists()


def test_a_send_reaches_each_consenting_contact_once_in_their_language(office_a, lead_a):
    fr = reader(office_a, language="fr", first_name="Zoé")
    en = reader(office_a, language="en", first_name="Ann")
    es = reader(office_a, language="es", first_name="Iker")
    reader(office_a, consent=False)
    item = newsletter(office_a, by=lead_a)
    assert send_all(item) == 3
    item.refresh_from_db()
    assert item.status == Newsletter.Status.SENT and item.recipients == 3
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {fr.email: "Zoé, les nouvelles", en.email: "Ann, the news",
                        es.email: "Iker, les nouvelles"}  # no Spanish version: the main one
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.from_email == f"{office_a.name} <news@example.org>"
    assert all(d.status == "sent" and d.message_id for d in Delivery.objects.all())
    # Running again sends nothing more.
    sending.send_batch(item.pk)
    services.newsletter_start(item.pk)
    assert len(mail.outbox) == 3


def test_a_contact_who_withdraws_during_the_send_is_skipped(office_a):
    stays, leaves = reader(office_a), reader(office_a)
    item = newsletter(office_a)
    make_due(item)
    services.newsletter_start(item.pk)
    consent_record(person=leaves, channel=Consent.Channel.NEWSLETTER, granted=False,
                   lawful_basis=Consent.Basis.CONSENT, source="phone", by=None)
    sending.send_batch(item.pk)
    assert [m.to[0] for m in mail.outbox] == [stays.email]
    assert Delivery.objects.get(person=leaves).status == Delivery.Status.SKIPPED


def test_pause_resume_and_cancel(office_a, settings):
    settings.NEWSLETTER_CHUNK = 5
    many_readers(office_a, 12)
    item = newsletter(office_a)
    make_due(item)
    services.newsletter_start(item.pk)
    services.newsletter_pause(newsletter=item)
    assert sending.send_batch(item.pk) == 0
    services.newsletter_resume(newsletter=item)
    assert sending.send_batch(item.pk, seconds=0.001) == 5  # one chunk, then time is up
    services.newsletter_cancel(newsletter=item)
    assert sending.send_batch(item.pk) == 0
    assert Delivery.objects.filter(status="cancelled").count() == 7
    assert len(mail.outbox) == 5
    with pytest.raises(ValidationError):
        services.newsletter_resume(newsletter=item)


def test_transient_errors_are_retried_with_back_off_and_permanent_ones_fail(office_a,
                                                                            settings):
    settings.NEWSLETTER_MAX_ATTEMPTS = 2
    reader(office_a)
    item = newsletter(office_a)
    make_due(item)
    services.newsletter_start(item.pk)
    row = Delivery.objects.get()
    token = sending.claim(item.pk, __import__("uuid").uuid4(), 10, 60)
    assert token == [row.pk]
    Delivery.objects.filter(pk=row.pk).update(status="queued", claim=None)
    sending._record(None, [], [], [({"id": row.pk, "attempts": 0},
                                    outbox.Outcome(outbox.RETRY, "421 busy"))], [])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("queued", 1, "421 busy")
    assert row.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    assert sending.send_batch(item.pk) == 0  # not due yet
    sending._record(None, [], [], [({"id": row.pk, "attempts": 1},
                                    outbox.Outcome(outbox.RETRY, "421 busy"))], [])
    row.refresh_from_db()
    assert row.status == "failed"


def test_a_dead_workers_rows_are_recovered_without_sending_twice(office_a):
    many_readers(office_a, 3)
    item = newsletter(office_a)
    make_due(item)
    services.newsletter_start(item.pk)
    first, second, third = Delivery.objects.order_by("pk")
    past = timezone.now() - dt.timedelta(seconds=1)
    Delivery.objects.filter(pk=first.pk).update(status="claimed", claimed_until=past)
    Delivery.objects.filter(pk=second.pk).update(status="in_flight", claimed_until=past)
    sending.send_batch(item.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, third.email])
    second.refresh_from_db()
    assert second.status == "sent" and "worker stopped" in second.error


def test_a_fenced_worker_does_not_send_a_row_another_worker_took(office_a):
    reader(office_a)
    item = newsletter(office_a)
    make_due(item)
    services.newsletter_start(item.pk)
    import uuid

    mine, theirs = uuid.uuid4(), uuid.uuid4()
    [pk] = sending.claim(item.pk, mine, 10, 60)
    Delivery.objects.filter(pk=pk).update(claim=theirs)  # my lease ran out; it was retaken
    sender = outbox.Outbox()
    batch = sending.Batch(Newsletter.objects.get(pk=item.pk))
    row = Delivery.objects.filter(pk=pk).annotate(
        organisation=sending._organisation_name()).values(
        "id", "email", "language", "variant", "person__first_name", "person__last_name",
        "person__city", "organisation").get()
    email, message_id = batch.email(row, sender.backend)
    assert sender.send(email, sending._mark(pk, mine, message_id)).result == outbox.FENCED
    assert mail.outbox == []


# --- A/B test -----------------------------------------------------------------------------

def test_ab_subject_test_sends_the_winner_to_the_rest(office_a):
    many_readers(office_a, 200)
    item = newsletter(office_a, ab_test="subject", ab_sample_percent=20, ab_wait_hours=2,
                      languages=("fr",))
    make_due(item)
    services.newsletter_start(item.pk)
    item.refresh_from_db()
    assert item.status == Newsletter.Status.TESTING
    held = Delivery.objects.filter(status="held").count()
    sample = Delivery.objects.exclude(status="held")
    assert 10 < sample.count() < 80 and held == 200 - sample.count()
    sending.send_batch(item.pk)
    assert len(mail.outbox) == sample.count()
    assert {m.subject for m in mail.outbox} == {"Subject B"} | {
        m.subject for m in mail.outbox if m.subject != "Subject B"}
    # B is opened more.
    for row in Delivery.objects.filter(variant="B"):
        services.delivery_opened(row)
    assert services.ab_decide(item.pk) is None  # the wait is not over
    assert services.ab_decide(item.pk, now=timezone.now() + dt.timedelta(hours=3)) == "B"
    item.refresh_from_db()
    assert item.status == Newsletter.Status.SENDING and item.ab_winner == "B"
    mail.outbox.clear()
    sending.send_batch(item.pk)
    assert len(mail.outbox) == held
    assert {m.subject for m in mail.outbox} == {"Subject B"}
    item.refresh_from_db()
    assert item.status == Newsletter.Status.SENT


def test_ab_send_time_test_sends_b_later_and_the_rest_at_the_winning_time(office_a):
    many_readers(office_a, 100)
    item = newsletter(office_a, ab_test="send_time", ab_sample_percent=40, ab_wait_hours=1,
                      languages=("fr",))
    now = timezone.now()
    Newsletter.objects.filter(pk=item.pk).update(
        status="scheduled", send_at=now, ab_send_at_b=now + dt.timedelta(hours=5))
    services.newsletter_start(item.pk)
    sending.send_batch(item.pk)
    sent_a = Delivery.objects.filter(variant="A", status="sent").count()
    assert len(mail.outbox) == sent_a and not Delivery.objects.filter(
        variant="B", status="sent").exists()
    item.refresh_from_db()
    assert item.ab_decide_at == now + dt.timedelta(hours=6)
    for row in Delivery.objects.filter(variant="A"):
        services.delivery_opened(row)
    assert services.ab_decide(item.pk, now=now + dt.timedelta(hours=7)) == "A"
    later = Delivery.objects.filter(status="queued", variant="A").exclude(
        next_attempt_at=None).values_list("next_attempt_at", flat=True).distinct()
    assert list(later) == [now + dt.timedelta(days=1)]  # A's time of day, next day


# --- Tracking -------------------------------------------------------------------------------

def test_open_pixel_click_redirect_and_forged_links(client, office_a):
    person = reader(office_a)
    item = newsletter(office_a)
    send_all(item)
    delivery = Delivery.objects.get()
    html = mail.outbox[0].alternatives[0][0]
    pixel = re.search(r'<img src="http://[^/]+(/n/o/[^"]+)"', html).group(1)
    click = [u for u in links_of(mail.outbox[0]) if "/n/c/" in u][0]
    click_path = click.split("8000", 1)[-1] if "8000" in click else click
    assert client.get(pixel).headers["Content-Type"] == "image/gif"
    response = client.get(click_path)
    assert response.status_code == 302 and response.url == "https://example.org/agenda"
    delivery.refresh_from_db()
    assert delivery.opened_at and delivery.clicked_at and delivery.opens == 1
    assert delivery.clicks == 1
    stats = services.newsletter_stats(item)
    assert (stats["opened"], stats["clicked"], stats["open_rate"]) == (1, 1, 100.0)
    assert Reader.objects.filter(person=person).exists() or True
    # Forged, altered or borrowed tokens: 404, nothing recorded.
    token = click_path.split("/")[3]
    value, signature = token.rsplit(":", 1)
    other_link = Link.objects.create(newsletter=newsletter(office_a), url="https://evil.test/")
    for bad in (f"{value}:{signature[:-2]}xx", f"{delivery.pk}.{other_link.pk}:{signature}",
                rendering.tracking_token(delivery.pk, other_link.pk), "nonsense",
                rendering.tracking_token(delivery.pk)):
        assert client.get(reverse("newsletters:click", args=[bad])).status_code == 404
    assert client.get(reverse("newsletters:open", args=["1:abc"])).status_code == 404
    assert client.get(reverse("newsletters:unsubscribe", args=["1:abc"])).status_code == 404
    delivery.refresh_from_db()
    assert delivery.clicks == 1


def test_one_click_unsubscribe_withdraws_consent_and_later_sends_skip_the_contact(
        client, office_a):
    person, other = reader(office_a), reader(office_a)
    item = newsletter(office_a)
    send_all(item)
    url = [m for m in mail.outbox if m.to == [person.email]][0].extra_headers[
        "List-Unsubscribe"].strip("<>")
    path = url.split("8000", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200 and person.email in page.content.decode()
    person.refresh_from_db()
    assert person.newsletter_consent  # showing the page changes nothing
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert not person.newsletter_consent
    latest = person.consents.first()
    assert (latest.channel, latest.granted) == ("newsletter", False)
    # Written in the office's language (French first here), whatever the reader's.
    assert "Désabonnement en un clic" in latest.source and "Monthly news" in latest.source
    client.post(path)  # again: recorded once
    assert person.consents.filter(granted=False).count() == 1
    assert services.newsletter_stats(item)["unsubscribed"] == 1
    mail.outbox.clear()
    send_all(newsletter(office_a))
    assert [m.to[0] for m in mail.outbox] == [other.email]


def test_unsubscribe_page_speaks_the_readers_language(client, office_a):
    reader(office_a, language="es")
    send_all(newsletter(office_a, languages=("fr", "es")))
    path = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").split("8000", 1)[-1]
    assert '<html lang="es">' in client.get(path).content.decode()


# --- Provider webhooks ----------------------------------------------------------------------

def _postmark(client, payload, secret="hook:secret"):  # noqa: S107 - a test credential
    import base64

    auth = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(reverse("newsletters:webhook", args=["postmark"]), data=payload,
                       content_type="application/json", HTTP_AUTHORIZATION=auth)


def test_bounce_and_complaint_webhooks(client, office_a, settings, caplog):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    person = reader(office_a)
    item = newsletter(office_a)
    send_all(item)
    delivery = Delivery.objects.get()
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1,
              "MessageID": delivery.message_id, "Email": person.email,
              "BouncedAt": "2026-11-28T10:00:00Z", "Description": "No such mailbox"}
    assert _postmark(client, json.dumps(bounce)).status_code == 200
    complaint = {**bounce, "RecordType": "SpamComplaint", "Type": "SpamComplaint",
                 "TypeCode": 512}
    assert _postmark(client, json.dumps(complaint)).status_code == 200
    delivery.refresh_from_db()
    assert delivery.bounced_at and delivery.complained_at
    person.refresh_from_db()
    assert not person.newsletter_consent
    stats = services.newsletter_stats(item)
    assert (stats["bounced"], stats["delivered"], stats["complained"]) == (1, 0, 1)
    # Malformed or unauthenticated payloads: rejected, logged, nothing changed.
    assert _postmark(client, "{not json").status_code == 400
    assert "Malformed postmark webhook" in caplog.text
    assert _postmark(client, json.dumps([1, 2])).status_code == 400
    assert _postmark(client, json.dumps(bounce), secret="hook:wrong").status_code == 400
    assert client.post(reverse("newsletters:webhook", args=["nowhere"])).status_code == 404


# --- Merges and erasure ---------------------------------------------------------------------

def test_merging_two_readers_of_the_same_newsletter(office_a, lead_a):
    kept, removed = reader(office_a), reader(office_a)
    send_all(newsletter(office_a))
    person_merge(kept=kept, removed=removed, by=lead_a)
    assert Delivery.objects.filter(person=kept).count() == 1
    kept.refresh_from_db()
    assert kept.newsletter_consent


# --- Pages and who sees them ---------------------------------------------------------------

def test_pages_are_for_office_leads_of_the_office(client, office_a, office_b, lead_a,
                                                  consultant_a, consultant_b, admin):
    item = newsletter(office_a, by=lead_a)
    segment = item.segment
    pages = [reverse("newsletters:list"), reverse("newsletters:segment_list"),
             reverse("newsletters:detail", args=[item.pk]),
             reverse("newsletters:preview", args=[item.pk]),
             reverse("newsletters:edit", args=[item.pk]),
             reverse("newsletters:segment_edit", args=[segment.pk])]
    client.force_login(consultant_a)
    for url in pages:
        assert client.get(url).status_code == 403, url
    lead_b = type(lead_a).objects.create_user(email="lead.b@example.org", first_name="B",
                                               last_name="Lead", office=office_b,
                                               is_office_lead=True)
    client.force_login(lead_b)
    for url in pages[2:]:
        assert client.get(url).status_code == 404, url
    for action in ("test", "schedule", "pause", "resume", "cancel", "unschedule"):
        assert client.post(reverse(f"newsletters:{action}", args=[item.pk])).status_code == 404
    assert client.post(reverse("newsletters:segment_count"),
                       {"office": office_a.pk}).status_code == 200
    assert b"Choose an office" in client.post(reverse("newsletters:segment_count"),
                                              {"office": office_a.pk}).content
    assert item.name not in client.get(reverse("newsletters:list")).content.decode()
    for user in (lead_a, admin):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)


def test_segment_form_live_count_and_save(client, office_a, lead_a):
    reader(office_a, kind="client")
    reader(office_a, kind="prospect")
    reader(office_a, kind="client", consent=False)
    client.force_login(lead_a)
    data = {"name": "Clients", "office": office_a.pk, "include_sub_offices": "on",
            "kinds": ["client"], "inactive_months": 6}
    fragment = client.post(reverse("newsletters:segment_count"), data).content.decode()
    assert re.search(r'class="stat">1<', fragment)
    assert "1 other contact matches but has not agreed" in fragment
    response = client.post(reverse("newsletters:segment_create"), data)
    segment = Segment.objects.get(name="Clients")
    assert response.status_code == 302 and segment.kinds == ["client"]
    bad = client.post(reverse("newsletters:segment_create"),
                      {**data, "inactive_months": 99, "name": "x" * 130})
    assert bad.status_code == 200
    assert "x" * 100 in bad.content.decode()  # what was typed stays
    assert "Ensure this value is less than or equal to 36" in bad.content.decode()


def test_the_new_newsletter_form_offers_the_offices_languages_the_app_has(client, lead_a):
    lead_a.office.languages = "nl,fr"
    lead_a.office.save()
    client.force_login(lead_a)
    page = client.get(reverse("newsletters:create")).content.decode()
    assert 'name="versions-TOTAL_FORMS" value="1"' in page
    assert re.search(r'<option value="fr" selected>', page)


def test_newsletter_form_shows_template_errors_next_to_the_field(client, office_a, lead_a):
    segment = Segment.objects.create(office=office_a, name="All")
    client.force_login(lead_a)
    form = {"name": "November", "office": office_a.pk, "segment": segment.pk,
            "language": "fr", "ab_sample_percent": 20, "ab_wait_hours": 4,
            "versions-TOTAL_FORMS": 1, "versions-INITIAL_FORMS": 0,
            "versions-0-language": "fr", "versions-0-subject": "Bonjour {{ first_name }}",
            "versions-0-body_html": "<p>un</p>\n{% if first_name %}<p>deux</p>"}
    response = client.post(reverse("newsletters:create"), form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2:" in page and "endif" in page
    assert "&lt;p&gt;deux&lt;/p&gt;" in page  # kept as typed
    form["versions-0-body_html"] = "<p>Bonjour {{ first_name|default:'à vous' }}</p>"
    response = client.post(reverse("newsletters:create"), form)
    item = Newsletter.objects.get(name="November")
    assert response.status_code == 302 and item.versions.get().language == "fr"


def test_preview_test_send_and_schedule_from_the_pages(client, office_a, lead_a):
    person = reader(office_a, first_name="Zoé", language="fr")
    item = newsletter(office_a, by=lead_a)
    client.force_login(lead_a)
    page = client.get(reverse("newsletters:preview", args=[item.pk]),
                      {"language": "fr", "person": person.pk}).content.decode()
    assert "Zoé, les nouvelles" in page
    client.post(reverse("newsletters:test", args=[item.pk]))
    assert sorted(m.subject for m in mail.outbox) == ["[Test] Julien, les nouvelles",
                                                      "[Test] Julien, the news"]
    assert all(m.to == [lead_a.email] for m in mail.outbox)
    later = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("newsletters:schedule", args=[item.pk]),
                           {"when": "later", "send_at": later})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "scheduled"
    assert client.get(reverse("newsletters:edit", args=[item.pk])).status_code == 200
    past = client.post(reverse("newsletters:schedule", args=[item.pk]),
                       {"when": "later", "send_at": "2020-01-01T10:00"})
    assert past.status_code == 400


def test_list_and_detail_query_counts_do_not_grow(client, office_a, lead_a,
                                                  django_assert_max_num_queries):
    many_readers(office_a, 30)
    for _ in range(3):
        send_all(newsletter(office_a, by=lead_a))
    client.force_login(lead_a)
    item = Newsletter.objects.first()
    with django_assert_max_num_queries(14):
        client.get(reverse("newsletters:list"))
    with django_assert_max_num_queries(16):
        client.get(reverse("newsletters:detail", args=[item.pk]))
    many_readers(office_a, 60, prefix="more")
    for _ in range(3):
        send_all(newsletter(office_a, by=lead_a))
    with django_assert_max_num_queries(14):
        client.get(reverse("newsletters:list"))
    with django_assert_max_num_queries(16):
        client.get(reverse("newsletters:detail", args=[item.pk]))


def test_the_demo_builds_sent_newsletters_with_stats(db):
    from django.core.management import call_command

    call_command("demo", quiet_logins=True, stdout=__import__("io").StringIO())
    sent = Newsletter.objects.filter(status="sent")
    assert sent.count() >= 6
    stats = services.newsletter_stats(sent.first())
    assert stats["delivered"] > 20 and 10 < stats["open_rate"] < 45
    assert Reader.objects.exists()
    assert PersonFactory._meta.model.objects.filter(newsletter_consent=True).exists()


def test_the_contact_page_shows_what_the_reader_did(client, office_a, consultant_a):
    person = reader(office_a, owner=consultant_a)
    item = newsletter(office_a)
    send_all(item)
    services.delivery_opened(Delivery.objects.get())
    services.refresh_readers()
    client.force_login(consultant_a)
    page = client.get(person.get_absolute_url()).content.decode()
    assert "Monthly news" in page and "opened" in page
    assert "Regular opener" not in page and "Occasional opener" in page


def test_office_leads_set_their_offices_sender(client, office_a, office_b, lead_a):
    client.force_login(lead_a)
    url = reverse("newsletters:sender", args=[office_a.pk])
    assert office_a.name in client.get(url).content.decode()
    bad = client.post(url, {"from_name": "TSG France", "from_email": "not an address",
                            "postal_address": "Paris", "rate_per_minute": 0})
    assert bad.status_code == 200 and "Enter a valid email address" in bad.content.decode()
    assert client.post(url, {"from_name": "TSG France", "from_email": "news@tsg.fr",
                             "postal_address": "Paris", "rate_per_minute": 300}
                       ).status_code == 302
    assert rendering.Sender.of(office_a).from_header == "TSG France <news@tsg.fr>"
    assert client.get(reverse("newsletters:sender", args=[office_b.pk])).status_code == 404


def test_the_progress_fragment_gives_the_figures_alone(client, office_a, lead_a, consultant_b):
    reader(office_a)
    item = newsletter(office_a, by=lead_a)
    send_all(item)
    url = reverse("newsletters:detail", args=[item.pk])
    client.force_login(lead_a)
    fragment = client.get(url, {"part": "progress"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="progress"' in fragment and "Recipients" in fragment
    assert "Links clicked" not in fragment and "<html" not in fragment
    client.force_login(consultant_b)
    assert client.get(url, {"part": "progress"}, HTTP_HX_REQUEST="true").status_code == 403
