"""Demo newsletters: each national office's sender and segments, three newsletters sent
over the last months with realistic opens, clicks, unsubscribes and bounces (one of them
an A/B test of the subject), one scheduled for next week and one draft."""

from __future__ import annotations

import datetime as dt
import random
import zlib

from django.db import transaction
from django.utils import timezone

from circles.models import Office, User
from contacts.models import Kind

from . import rendering, services
from .models import Click, Delivery, Link, Newsletter, Segment, Sender, Version

BODY = {
    "en": ("<h1>{title}</h1><p>Dear {{{{ first_name|default:\"friend\" }}}},</p>"
           "<p>{lead}</p><p><a href=\"https://www.sociocracy.example/{slug}\">Read more on "
           "our web site</a> or <a href=\"https://www.sociocracy.example/events\">see the "
           "coming events</a>.</p><p>Warm regards,<br>{{{{ office }}}}</p>"),
    "fr": ("<h1>{title}</h1><p>Bonjour {{{{ first_name|default:\"à vous\" }}}},</p>"
           "<p>{lead}</p><p><a href=\"https://www.sociocracy.example/{slug}\">Lire la suite "
           "sur notre site</a> ou <a href=\"https://www.sociocracy.example/events\">voir les "
           "prochains événements</a>.</p><p>Bien cordialement,<br>{{{{ office }}}}</p>"),
    "es": ("<h1>{title}</h1><p>Hola {{{{ first_name|default:\"\" }}}},</p>"
           "<p>{lead}</p><p><a href=\"https://www.sociocracy.example/{slug}\">Leer más en "
           "nuestra web</a> o <a href=\"https://www.sociocracy.example/events\">ver los "
           "próximos eventos</a>.</p><p>Un saludo cordial,<br>{{{{ office }}}}</p>"),
}

ISSUES = [  # (slug, {language: (subject, subject B, title, lead)})
    ("consent-meetings", {
        "en": ("{{ first_name|default:\"Hello\" }}, shorter meetings by consent",
               "How one board halved its meeting time",
               "Shorter meetings by consent",
               "Consent rounds give every voice its place and end with a decision everyone "
               "can work with. Three offices tell how their clients' meetings got shorter."),
        "fr": ("{{ first_name|default:\"Bonjour\" }}, des réunions plus courtes par "
               "consentement", "Comment un conseil a divisé par deux ses réunions",
               "Des réunions plus courtes par consentement",
               "Les tours de consentement donnent sa place à chaque voix et se terminent "
               "par une décision avec laquelle chacun peut travailler."),
        "es": ("{{ first_name|default:\"Hola\" }}, reuniones más cortas por consentimiento",
               "Cómo un consejo redujo sus reuniones a la mitad",
               "Reuniones más cortas por consentimiento",
               "Las rondas de consentimiento dan su lugar a cada voz y terminan con una "
               "decisión con la que todos pueden trabajar."),
    }),
    ("leadership-programme", {
        "en": ("The LEADERSHIP programme starts again in spring", "",
               "The LEADERSHIP programme", "Eighteen months to lead with the double link, "
               "elections without candidates and decisions by consent."),
        "fr": ("Le programme DIRIGER reprend au printemps", "", "Le programme DIRIGER",
               "Dix-huit mois pour diriger avec le double lien, l'élection sans candidat et "
               "la décision par consentement."),
        "es": ("El programa LEADERSHIP vuelve en primavera", "", "El programa LEADERSHIP",
               "Dieciocho meses para dirigir con el doble vínculo, elecciones sin "
               "candidatos y decisiones por consentimiento."),
    }),
    ("client-story", {
        "en": ("A cooperative that found its way back to growth", "",
               "A client's story", "How a cooperative of 40 people organised in circles "
               "and found its way back to growth within a year."),
        "fr": ("Une coopérative qui a retrouvé la croissance", "", "Témoignage client",
               "Comment une coopérative de 40 personnes s'est organisée en cercles et a "
               "retrouvé la croissance en un an."),
        "es": ("Una cooperativa que volvió a crecer", "", "La historia de un cliente",
               "Cómo una cooperativa de 40 personas se organizó en círculos y volvió a "
               "crecer en un año."),
    }),
]


def _version(newsletter, language, slug, texts, ab=False):
    subject, subject_b, title, lead = texts
    Version.objects.create(newsletter=newsletter, language=language, subject=subject,
                           subject_b=subject_b if ab else "",
                           preheader=lead[:120],
                           body_html=BODY[language].format(title=title, lead=lead, slug=slug))


@transaction.atomic
def build_demo_newsletters() -> dict[str, int]:
    now = timezone.now()
    for office in Office.objects.filter(active=True, parent__isnull=True).order_by("pk"):
        if Newsletter.objects.filter(office=office).exists():
            continue
        rng = random.Random(zlib.crc32(office.name.encode()))  # noqa: S311 - demo data
        lead = (User.objects.filter(office=office, is_office_lead=True).first()
                or User.objects.filter(office=office).first())
        main = next((c for c in office.language_list if c in BODY), "en")
        languages = [c for c in office.language_list if c in BODY] or ["en"]
        Sender.objects.get_or_create(office=office, defaults={
            "from_name": office.name, "from_email": f"news@{office.country.code.lower()}"
            ".tsg.example", "postal_address": f"{office.name}\n{office.city}, "
            f"{office.country.name}", "rate_per_minute": 600})
        everyone = Segment.objects.create(
            office=office, name=_label(main, "everyone"), created_by=lead,
            description=_label(main, "everyone_description"))
        clients = Segment.objects.create(
            office=office, name=_label(main, "clients"), created_by=lead,
            kinds=[Kind.CLIENT, Kind.FORMER_CLIENT])
        Segment.objects.create(office=office, name=_label(main, "inactive"), created_by=lead,
                               engagement="inactive", inactive_months=3)
        for n, (slug, texts) in enumerate(ISSUES):
            segment = clients if n == 2 else everyone
            ab = n == 0
            started = now - dt.timedelta(days=75 - n * 30, hours=rng.randint(0, 6))
            newsletter = Newsletter.objects.create(
                office=office, name=texts["en"][2], segment=segment, language=main,
                created_by=lead, status=Newsletter.Status.DRAFT,
                ab_test=Newsletter.ABTest.SUBJECT if ab else "", ab_wait_hours=4)
            for language in languages:
                _version(newsletter, language, slug, texts[language], ab=ab)
            _sent(newsletter, started, rng)
        upcoming = Newsletter.objects.create(
            office=office, name=_label(main, "upcoming"), segment=everyone, language=main,
            created_by=lead, status=Newsletter.Status.SCHEDULED,
            send_at=now + dt.timedelta(days=7))
        draft = Newsletter.objects.create(
            office=office, name=_label(main, "draft"), segment=clients, language=main,
            created_by=lead)
        for newsletter in (upcoming, draft):
            for language in languages:
                _version(newsletter, language, "events", ISSUES[1][1][language])
    services.refresh_readers()
    return {"newsletters": Newsletter.objects.count(),
            "newsletter_deliveries": Delivery.objects.count()}


def _sent(newsletter: Newsletter, started: dt.datetime, rng: random.Random) -> None:
    """What a real send leaves behind: a delivery per consenting contact with opens over
    the following days, clicks on its links, a few unsubscribes and bounces."""
    people = list(services.segment_people(services.criteria_of(newsletter.segment))
                  .values_list("pk", "email", "language"))
    languages = set(newsletter.versions.values_list("language", flat=True))
    urls = {url for v in newsletter.versions.all() for url in rendering.links_in(v.body_html)}
    links = [Link.objects.create(newsletter=newsletter, url=url) for url in sorted(urls)]
    open_rate = rng.uniform(0.18, 0.32)
    rows, clicks = [], []
    for pk, email, language in people:
        variant = ""
        if newsletter.ab_test:
            variant = "A" if rng.random() < 0.5 else "B"
        row = Delivery(newsletter=newsletter, person_id=pk, email=email,
                       language=language if language in languages else newsletter.language,
                       variant=variant, status=Delivery.Status.SENT,
                       sent_at=started + dt.timedelta(seconds=rng.randint(0, 600)),
                       message_id=rendering.new_message_id(newsletter.pk, pk))
        draw = rng.random()
        if draw < 0.006:
            row.bounced_at = row.sent_at + dt.timedelta(minutes=2)
        elif draw < open_rate + (0.06 if variant == "B" else 0):
            row.opened_at = row.sent_at + dt.timedelta(hours=rng.expovariate(1 / 20))
            row.opens = rng.randint(1, 3)
            if rng.random() < 0.2 and links:
                row.clicked_at = row.opened_at + dt.timedelta(minutes=rng.randint(0, 30))
                row.clicks = 1
            if rng.random() < 0.015:
                row.unsubscribed_at = row.opened_at + dt.timedelta(minutes=1)
        rows.append(row)
    Delivery.objects.bulk_create(rows)
    for row in rows:
        if row.clicked_at:
            clicks.append(Click(delivery=row, link=rng.choice(links), at=row.clicked_at))
    Click.objects.bulk_create(clicks)
    newsletter.status = Newsletter.Status.SENT
    newsletter.send_at = newsletter.started_at = started
    newsletter.finished_at = started + dt.timedelta(minutes=12)
    newsletter.recipients = len(rows)
    if newsletter.ab_test:
        newsletter.ab_winner = "B"
        newsletter.ab_decide_at = started + dt.timedelta(hours=newsletter.ab_wait_hours)
    newsletter.save()


LABELS = {
    "everyone": {"en": "Everyone who accepts newsletters", "fr": "Tous les abonnés",
                 "es": "Todos los suscriptores"},
    "everyone_description": {
        "en": "Every contact of the office and its sub-offices who agreed to newsletters.",
        "fr": "Tous les contacts du bureau et de ses sous-bureaux qui acceptent la lettre.",
        "es": "Todos los contactos de la oficina y sus suboficinas que aceptan el boletín."},
    "clients": {"en": "Clients and former clients", "fr": "Clients et anciens clients",
                "es": "Clientes y antiguos clientes"},
    "inactive": {"en": "Inactive readers (3 months)", "fr": "Lecteurs inactifs (3 mois)",
                 "es": "Lectores inactivos (3 meses)"},
    "upcoming": {"en": "Events of the coming season", "fr": "Les événements de la saison",
                 "es": "Eventos de la temporada"},
    "draft": {"en": "Client letter (draft)", "fr": "Lettre aux clients (brouillon)",
              "es": "Carta a los clientes (borrador)"},
}


def _label(language: str, key: str) -> str:
    return LABELS[key].get(language, LABELS[key]["en"])
