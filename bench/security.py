"""Scripted security checks of the whole app, rerunnable against a prepared database.

    python bench/security.py [--skip-prepare] [--json var/bench/security.json]

Why a script and not only tests: the issue asks for every URL, every form and every field
to be tried, on a realistic network (the demo), every time the app changes. The script
migrates the database named by DATABASE_URL, loads the demo network (`manage.py demo`,
idempotent), then seeds, inside one transaction that is rolled back at the end, a set of
office-A objects whose text fields carry XSS payloads and a marker unique to the run. The
checks below take that prepared set (`Cast` and `Targets`), so
`tests/tsgcrm/test_security_checks.py` runs the very same functions on a small network
built by pytest-django.

Checks (each a function returning a `Check`; the table printed and the JSON file list the
cases tried and every failure with its URL, user and status; exit code 1 on any failure):
- access: every URL pattern (filled with office A's objects; the admin sampled) as an
  anonymous visitor and as people of another national office (B), plain and as htmx
  fragments: 302 to the log-in page / 403 / 404 / 405, never office A's data; forged
  tokens of the public links answer 404; PUBLIC and SHOWS_DATA list what is open by design;
- access-post: people of office B post to every URL naming one of A's objects: refused;
- csrf: every URL posted without a token (Client(enforce_csrf_checks=True)) answers 403,
  only CSRF_EXEMPT views are exempt, every <form method=post> on every page has a token;
- xss: every page and htmx fragment office A's people open: no raw payload, no inline
  script or on…= handler (the CSP forbids them), and every seeded field seen escaped on
  at least one page (else it was never checked);
- sql: SQL-ish, NUL, oversized input and A's ids in every GET parameter of the list pages
  (their filter forms' fields read from the page, plus LIST_PAGES): never a 500, never
  office A's rows for office B;
- redirects: `next` and Referer pointing elsewhere never leave the site;
- bruteforce: django-axes refuses the right password after AXES_FAILURE_LIMIT wrong ones;
- deploy: `manage.py check --deploy` in a production environment has no warning;
- headers: HTTPS redirect, HSTS, CSP (script-src 'self' without unsafe-*, object-src,
  frame-ancestors, base-uri, form-action), X-Frame-Options DENY, nosniff, Referrer-Policy,
  Secure/HttpOnly cookies, in production settings.

Environment: DATABASE_URL (PostgreSQL), REDIS_URL, CACHE_URL, SECRET_KEY and DEBUG=0 as
for the app; the cache is cleared before and after the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Payloads -----------------------------------------------------------------------------

# Each seeded text field gets its own number n, so a payload found on a page names its field.
RAW_PATTERNS = [re.compile(r"<script>alert\((\d+)\)</script>"),
                re.compile(r"<img src=x onerror=alert\((\d+)\)>")]

SQL_PAYLOADS = ["' OR 1=1 --", "%", "\\", "'; DROP TABLE x; --", "\" OR \"\"=\"",
                "1) OR (1=1", "\x00", "é' UNION SELECT NULL--", "x" * 5000]

EVIL_TARGETS = ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                "https:evil.example", "\\\\evil.example", "javascript:alert(1)",
                "http://testserver@evil.example/"]

# Parameters list pages read besides their filter forms' own fields (which are parsed from
# the page itself): pagination, the calendar's and agenda's navigation, the report drill-down.
EXTRA_GET_PARAMS = ["q", "page", "p", "office", "person", "status", "scope", "view", "date",
                    "week", "month", "year", "day", "part", "term", "due_date", "title",
                    "deal", "next", "phase", "owner", "sort", "order"]


def payload(n: int, marker: str) -> str:
    """A text carrying the run's marker, the field number and both XSS payloads."""
    return f"{marker}{n} <script>alert({n})</script>\"><img src=x onerror=alert({n})>"


def escaped_forms(n: int) -> list[str]:
    """How Django's autoescape writes both payloads of field n."""
    return [html.escape(f"<script>alert({n})</script>"),
            html.escape(f"\"><img src=x onerror=alert({n})>")]


# --- Results ------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    cases: int = 0
    failures: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def case(self, ok: bool, **detail: Any) -> bool:
        self.cases += 1
        if not ok:
            self.failures.append(detail)
        return ok

    def as_dict(self) -> dict:
        return {"check": self.name, "cases": self.cases, "failures": self.failures,
                "notes": self.notes, "seconds": round(self.seconds, 2)}


@dataclass
class Cast:
    """Who plays: `insider` (a consultant of office A who owns the seeded objects),
    `lead_a` (sees A and its sub-offices), `outsiders` (people of another national office,
    including its lead) and a password that logs `insider` in."""

    office_a: Any
    office_b: Any
    insider: Any
    lead_a: Any
    outsiders: list
    password: str


@dataclass
class Targets:
    """The seeded objects of office A (by name), the run's marker, the seeded fields
    (number -> model.field) and the tokens some URLs take."""

    marker: str
    objects: dict[str, Any]
    fields: dict[int, str]
    tokens: dict[str, str]

    def pk(self, name: str) -> int:
        return self.objects[name].pk


# --- Seeding ------------------------------------------------------------------------------


def seed(cast: Cast, marker: str | None = None) -> Targets:
    """Create in office A one object of every kind a URL points at, every text field a
    person types carrying `payload(n)`. Plain ORM writes: the checks are about what pages
    show and who may open them, not about the services' rules."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from certification.models import Certificate, Enrolment, Evidence, StageProgress
    from certification.models import Path as CertPath
    from circles.decisions.models import (
        AgendaItem,
        ConsentAnswer,
        Decision,
        Election,
        Meeting,
        Proposal,
        ProposalVersion,
    )
    from circles.models import Circle, Membership, OfficerRole
    from contacts.models import Organisation, Person, Persona
    from newsletters.models import Delivery, Link, Newsletter, Segment, Sender, Version
    from newsletters.rendering import tracking_token
    from pipeline.agenda.models import CalendarFeed, Notification, Task
    from pipeline.models import Deal, Interaction, Objection, Phase
    from pipeline.reports.models import ReportRun, ReportSubscription

    marker = marker or f"Sec{secrets.token_hex(4)}"
    fields: dict[int, str] = {}
    counter = iter(range(1, 10_000))

    def text(label: str, limit: int = 200) -> str:
        n = next(counter)
        fields[n] = label
        value = payload(n, marker)
        assert len(value) <= limit, label
        return value

    office, user, lead = cast.office_a, cast.insider, cast.lead_a
    today = timezone.localdate()
    objects: dict[str, Any] = {}

    top = Circle.objects.filter(kind=Circle.Kind.TOP).first() or Circle.objects.create(
        name="Top", kind=Circle.Kind.TOP)
    parent = Circle.objects.filter(office=office).order_by("pk").first() or top
    circle = Circle.objects.create(name=text("circle.name", 120), kind=Circle.Kind.OTHER,
                                   aim=text("circle.aim"), domain=text("circle.domain"),
                                   parent=parent, office=office)
    objects["circle"] = circle
    objects["membership"] = Membership.objects.create(circle=circle, person=user)
    Membership.objects.create(circle=circle, person=lead)
    objects["holding"] = OfficerRole.objects.create(circle=circle, person=user,
                                                    role=OfficerRole.Role.SECRETARY,
                                                    started_on=today)
    meeting = Meeting.objects.create(circle=circle, starts_at=timezone.now(),
                                     place=text("meeting.place"), status=Meeting.Status.OPEN,
                                     minutes=text("meeting.minutes"), secretary=user,
                                     facilitator=user, created_by=user)
    objects["meeting"] = meeting
    item = AgendaItem.objects.create(meeting=meeting, title=text("agendaitem.title"),
                                     notes=text("agendaitem.notes"))
    objects["item"] = item
    proposal = Proposal.objects.create(circle=circle, item=item,
                                       title=text("proposal.title"), author=user,
                                       version_count=1)
    objects["proposal"] = proposal
    version = ProposalVersion.objects.create(
        proposal=proposal, number=1, text=text("proposalversion.text"),
        evaluation_criteria=text("proposalversion.evaluation_criteria"), created_by=user)
    objects["answer"] = ConsentAnswer.objects.create(
        version=version, member=user, answer=ConsentAnswer.Answer.OBJECTION,
        argument=text("consentanswer.argument"), recorded_by=user)
    election_item = AgendaItem.objects.create(meeting=meeting, title=text("electionitem.title"),
                                              kind=AgendaItem.Kind.ELECTION)
    objects["election"] = Election.objects.create(
        meeting=meeting, item=election_item, role=Election.ELECTABLE[0][0],
        role_description=text("election.role_description"), term_start=today,
        term_end=today + dt.timedelta(days=365))
    objects["decision"] = Decision.objects.create(
        circle=circle, meeting=meeting, title=text("decision.title"),
        text=text("decision.text"), evaluation_criteria=text("decision.evaluation_criteria"),
        decided_on=today, recorded_by=user)

    person = Person.objects.create(
        office=office, owner=user, first_name=text("person.first_name", 100),
        last_name=text("person.last_name", 100), email=f"{marker.lower()}@example.org",
        city=text("person.city", 120), notes=text("person.notes"),
        interests=text("person.interests"), address=text("person.address"))
    objects["person"] = person
    objects["other_person"] = Person.objects.create(
        office=office, owner=user, first_name=marker, last_name=text("person2.last_name", 100),
        email=f"{marker.lower()}.2@example.org")
    objects["organisation"] = Organisation.objects.create(
        office=office, owner=user, name=text("organisation.name"),
        notes=text("organisation.notes"), city=text("organisation.city", 120))
    objects["persona"] = Persona.objects.create(
        office=office, name=text("persona.name", 120), situation=text("persona.situation"),
        objectives=text("persona.objectives"), elevator_pitch=text("persona.elevator_pitch"))

    phase = Phase.objects.order_by("number").first()
    deal = Deal.objects.create(office=office, owner=user, person=person,
                               organisation=objects["organisation"],
                               title=text("deal.title"), phase=phase,
                               next_step=text("deal.next_step"), need=text("deal.need"),
                               notes=text("deal.notes"))
    objects["deal"] = deal
    objects["routine"] = phase.routines.order_by("pk").first()
    objects["interaction"] = Interaction.objects.create(
        office=office, deal=deal, person=person, kind=Interaction.Kind.CALL,
        participants=text("interaction.participants"), notes=text("interaction.notes"),
        created_by=user)
    objects["objection"] = Objection.objects.create(
        deal=deal, office=office, category=Objection.Category.PRICE,
        words=text("objection.words"), technique=text("objection.technique"),
        created_by=user)
    objects["task"] = Task.objects.create(
        office=office, assignee=user, created_by=user, title=text("task.title"),
        notes=text("task.notes"), due_date=today, deal=deal, person=person)
    shown = text("notification.text")  # to both people the XSS check browses as
    objects["notification"] = Notification.objects.create(user=user, text=shown, url="/")
    Notification.objects.create(user=lead, text=shown, url="/")
    feed = CalendarFeed.objects.create(user=user)
    objects["feed"] = feed

    objects["report_run"] = ReportRun.objects.create(
        kind=ReportRun.Kind.OFFICE, office=office, start=today - dt.timedelta(days=30),
        end=today, currency=office.currency or "EUR", key=f"{marker}-run",
        requested_by=lead)
    objects["subscription"] = ReportSubscription.objects.create(
        user=lead, office=office, frequency=ReportSubscription.Frequency.WEEKLY)

    segment = Segment.objects.create(office=office, name=text("segment.name", 120),
                                     description=text("segment.description"),
                                     created_by=lead)
    objects["segment"] = segment
    newsletter = Newsletter.objects.create(office=office, name=text("newsletter.name", 150),
                                           segment=segment, language="en", created_by=lead)
    objects["newsletter"] = newsletter
    Version.objects.create(newsletter=newsletter, language="en",
                           subject=text("version.subject"),
                           preheader=text("version.preheader"),
                           body_html="<p>Hello {{ first_name }}</p>"
                                     '<p><a href="https://example.org/">link</a></p>',
                           body_text="Hello")
    link = Link.objects.create(newsletter=newsletter, url="https://example.org/")
    delivery = Delivery.objects.create(newsletter=newsletter, person=person,
                                       email=person.email, language="en")
    sender = Sender.objects.filter(office=office).first()
    if sender is None:
        Sender.objects.create(office=office, from_name=text("sender.from_name", 120),
                              from_email="news@example.org",
                              postal_address=text("sender.postal_address"))
    else:
        sender.from_name = text("sender.from_name", 120)
        sender.postal_address = text("sender.postal_address")
        sender.save()

    cert_path = CertPath.objects.filter(active=True).order_by("pk").first()
    if cert_path is not None and cert_path.current_version() is not None:
        from certification.services import enrol

        enrolment = enrol(path=cert_path, office=office, person=person, by=lead,
                          notes=text("enrolment.notes"))
        objects["enrolment"] = enrolment
        stage = enrolment.current_stage
        objects["stage"] = stage
        objects["evidence"] = Evidence.objects.create(
            enrolment=enrolment, stage=stage, kind=stage.requirements.first().kind
            if stage.requirements.exists() else "reflection",
            title=text("evidence.title"), text=text("evidence.text"), recorded_by=user,
            document=evidence_document())
        assert StageProgress.objects.filter(enrolment=enrolment).exists()
        decision = Decision.objects.create(
            circle=circle, title=text("certdecision.title"), text="Certified.",
            decided_on=today, recorded_by=lead,
            subject_type=ContentType.objects.get_for_model(Enrolment), subject_id=enrolment.pk)
        objects["certificate"] = Certificate.objects.create(
            enrolment=enrolment, holder=user, holder_name=text("certificate.holder_name"),
            title="Expert", title_fr="Expert", decision=decision, issued_on=today,
            code=f"SEC{secrets.token_hex(4).upper()}")

    tokens = {"feed": feed.token, "open": tracking_token(delivery.pk),
              "click": tracking_token(delivery.pk, link.pk),
              "unsubscribe": tracking_token(delivery.pk),
              "import": secrets.token_hex(16),
              "certificate": objects["certificate"].code if "certificate" in objects else "X"}
    return Targets(marker=marker, objects=objects, fields=fields, tokens=tokens)


def evidence_document() -> str:
    """A small stored document the seeded evidence points at (written once, kept)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = "evidence/security-check.txt"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(b"security check\n"))
    return name


# --- URL catalogue ------------------------------------------------------------------------

# Public by design: which URL names anyone may open, and why. Everything else must send an
# anonymous visitor to the log-in page (or answer 403/404/405).
PUBLIC = {
    "login": "the log-in page",
    "logout": "log-out (POST only; GET answers 405)",
    "password_reset": "asking for a reset link by email",
    "password_reset_done": "a fixed 'check your email' page",
    "password_reset_confirm": "the emailed link; a forged token shows 'invalid link'",
    "password_reset_complete": "a fixed 'you may log in' page",
    "set_language": "switching the language before logging in",
    "healthz": "load balancers (says only ok / not ok)",
    "certification:verify_form": "anyone checks a certificate's code",
    "certification:verify": "name, title and date of a certificate for its code, nothing else",
    "pipeline:calendar_feed": "calendar programs fetch the feed; the 43-character token is "
                              "the credential (revocable); a forged token gets 404",
    "newsletters:open": "readers' mail programs load the open pixel; signed token",
    "newsletters:click": "readers click a tracked link; signed token, redirects only to the "
                         "newsletter's own links",
    "newsletters:unsubscribe": "one-click unsubscribe (RFC 8058); signed token",
    "newsletters:webhook": "providers' bounce webhooks; basic auth from ANYMAIL_WEBHOOK_SECRET",
}

# Pages that show office A's data to any signed-in person (or to the link holder) by design.
SHOWS_DATA = {
    "certification:verify": "a certificate's name, title and date for its code",
    "certification:registry": "the network's registry of certified experts (name, office, "
                              "language) is open to everyone signed in",
    "pipeline:calendar_feed": "the feed shows its owner's items to whoever holds the link",
}

# Exempt from CSRF by design (checked: no other view may be).
CSRF_EXEMPT = {
    "newsletters:unsubscribe": "RFC 8058 one-click unsubscribe is posted by mail programs "
                               "without a session; the signed token is the credential",
    "newsletters:webhook": "providers post without a session; basic auth instead",
}

# The Django admin: only these pages are requested (the rest is the same admin_view wrapper).
ADMIN_SAMPLE = {"admin:index", "admin:contacts_person_changelist",
                "admin:contacts_person_change", "admin:pipeline_deal_changelist",
                "admin:circles_user_changelist"}

# Fill each URL's arguments from the targets. A URL missing here is a failure: a new view
# must be added to the checks.
ARGS: dict[str, Callable[[Targets], dict]] = {
    "password_reset_confirm": lambda t: {"uidb64": "MQ", "token": "set-password"},
    "circles:office_detail": lambda t: {"pk": t.objects["circle"].office_id},
    "circles:circle_detail": lambda t: {"pk": t.pk("circle")},
    "circles:membership_add": lambda t: {"pk": t.pk("circle")},
    "circles:membership_end": lambda t: {"pk": t.pk("circle"),
                                         "membership_pk": t.pk("membership")},
    "circles:officer_assign": lambda t: {"pk": t.pk("circle")},
    "circles:officer_end": lambda t: {"pk": t.pk("circle"), "holding_pk": t.pk("holding")},
    "circles:meeting_list": lambda t: {"pk": t.pk("circle")},
    "circles:meeting_detail": lambda t: {"pk": t.pk("meeting")},
    "circles:attendance_all": lambda t: {"pk": t.pk("meeting")},
    "circles:attendance": lambda t: {"pk": t.pk("meeting"),
                                     "person_pk": t.objects["membership"].person_id},
    "circles:agenda_add": lambda t: {"pk": t.pk("meeting")},
    "circles:proposal_submit": lambda t: {"pk": t.pk("meeting"), "item_pk": t.pk("item")},
    "circles:proposal_amend": lambda t: {"pk": t.pk("meeting"), "proposal_pk": t.pk("proposal")},
    "circles:turn": lambda t: {"pk": t.pk("meeting"), "proposal_pk": t.pk("proposal")},
    "circles:proposal_withdraw": lambda t: {"pk": t.pk("meeting"),
                                            "proposal_pk": t.pk("proposal")},
    "circles:proposal_adopt": lambda t: {"pk": t.pk("meeting"), "proposal_pk": t.pk("proposal")},
    "circles:objection_withdraw": lambda t: {"pk": t.pk("meeting"), "answer_pk": t.pk("answer")},
    "circles:election_create": lambda t: {"pk": t.pk("meeting")},
    "circles:nominate": lambda t: {"pk": t.pk("meeting"), "election_pk": t.pk("election")},
    "circles:election_change_round": lambda t: {"pk": t.pk("meeting"),
                                                "election_pk": t.pk("election")},
    "circles:election_propose": lambda t: {"pk": t.pk("meeting"),
                                           "election_pk": t.pk("election")},
    "circles:meeting_close": lambda t: {"pk": t.pk("meeting")},
    "circles:minutes_pdf": lambda t: {"pk": t.pk("meeting")},
    "circles:decision_detail": lambda t: {"pk": t.pk("decision")},
    "contacts:import_review": lambda t: {"token": t.tokens["import"]},
    "contacts:person_detail": lambda t: {"pk": t.pk("person")},
    "contacts:person_edit": lambda t: {"pk": t.pk("person")},
    "contacts:person_consent": lambda t: {"pk": t.pk("person")},
    "contacts:person_refer": lambda t: {"pk": t.pk("person")},
    "contacts:person_export_json": lambda t: {"pk": t.pk("person")},
    "contacts:person_erase": lambda t: {"pk": t.pk("person")},
    "contacts:person_merge": lambda t: {"pk": t.pk("person"), "other_pk": t.pk("other_person")},
    "contacts:organisation_detail": lambda t: {"pk": t.pk("organisation")},
    "contacts:organisation_edit": lambda t: {"pk": t.pk("organisation")},
    "contacts:persona_detail": lambda t: {"pk": t.pk("persona")},
    "contacts:persona_edit": lambda t: {"pk": t.pk("persona")},
    "pipeline:board_column": lambda t: {"number": t.objects["deal"].phase.number},
    "pipeline:deal_detail": lambda t: {"pk": t.pk("deal")},
    "pipeline:deal_edit": lambda t: {"pk": t.pk("deal")},
    "pipeline:deal_move": lambda t: {"pk": t.pk("deal")},
    "pipeline:routine_toggle": lambda t: {"pk": t.pk("deal"), "routine_pk": t.pk("routine")},
    "pipeline:interaction_add": lambda t: {"pk": t.pk("deal")},
    "pipeline:objection_add": lambda t: {"pk": t.pk("deal")},
    "pipeline:deal_close": lambda t: {"pk": t.pk("deal"), "outcome": "lost"},
    "pipeline:deal_follow_up": lambda t: {"pk": t.pk("deal")},
    "pipeline:deal_nudges": lambda t: {"pk": t.pk("deal")},
    "pipeline:task_edit": lambda t: {"pk": t.pk("task")},
    "pipeline:task_status": lambda t: {"pk": t.pk("task"), "action": "done"},
    "pipeline:calendar_feed": lambda t: {"token": t.tokens["feed"]},
    "pipeline:notification_snooze": lambda t: {"pk": t.pk("notification")},
    "pipeline:report_csv": lambda t: {"kind": "office", "table": "funnel"},
    "pipeline:report_pdf": lambda t: {"kind": "office"},
    "pipeline:report_run": lambda t: {"pk": t.pk("report_run")},
    "pipeline:report_download": lambda t: {"pk": t.pk("report_run")},
    "pipeline:report_unsubscribe": lambda t: {"pk": t.pk("subscription")},
    "certification:enrolment_detail": lambda t: {"pk": t.pk("enrolment")},
    "certification:evidence_add": lambda t: {"pk": t.pk("enrolment")},
    "certification:evidence_strike": lambda t: {"pk": t.pk("enrolment"),
                                                "evidence_pk": t.pk("evidence")},
    "certification:evidence_document": lambda t: {"pk": t.pk("enrolment"),
                                                  "evidence_pk": t.pk("evidence")},
    "certification:stage_advance": lambda t: {"pk": t.pk("enrolment")},
    "certification:status_change": lambda t: {"pk": t.pk("enrolment"), "status": "paused"},
    "certification:mentor_change": lambda t: {"pk": t.pk("enrolment")},
    "certification:due_date_change": lambda t: {"pk": t.pk("enrolment"),
                                                "stage_pk": t.pk("stage")},
    "certification:review_propose": lambda t: {"pk": t.pk("enrolment")},
    "certification:certificate_pdf": lambda t: {"pk": t.pk("certificate")},
    "certification:certificate_revoke": lambda t: {"pk": t.pk("certificate")},
    "certification:verify": lambda t: {"code": t.tokens["certificate"]},
    "newsletters:detail": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:edit": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:preview": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:test": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:schedule": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:unschedule": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:pause": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:resume": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:cancel": lambda t: {"pk": t.pk("newsletter")},
    "newsletters:sender": lambda t: {"office": t.objects["newsletter"].office_id},
    "newsletters:segment_edit": lambda t: {"pk": t.pk("segment")},
    "newsletters:open": lambda t: {"token": t.tokens["open"]},
    "newsletters:click": lambda t: {"token": t.tokens["click"]},
    "newsletters:unsubscribe": lambda t: {"token": t.tokens["unsubscribe"]},
    "newsletters:webhook": lambda t: {"provider": "postmark"},
    "admin:contacts_person_change": lambda t: {"object_id": t.pk("person")},
}

# Forged credentials for the public URLs that take one: must answer 404 (or 400).
FORGED = {
    "pipeline:calendar_feed": {"token": "forged-token"},
    "newsletters:open": {"token": "1:forged"},
    "newsletters:click": {"token": "1.1:forged"},
    "newsletters:unsubscribe": {"token": "1:forged"},
}


@dataclass
class Endpoint:
    name: str
    url: str
    callback: Any
    has_object: bool  # the URL names one of office A's objects


def walk_patterns(patterns: Iterable, prefix: str = "", namespace: str = "") -> list[tuple]:
    """(name, route, callback, arguments) of every URL pattern, includes unfolded."""
    from django.urls import URLPattern, URLResolver

    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            found += walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern),
                                   full_ns)
        elif isinstance(pattern, URLPattern):
            if not pattern.name:
                continue
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            found.append((name, prefix + str(pattern.pattern), pattern.callback,
                          list(pattern.pattern.converters) or
                          re.findall(r"\(\?P<(\w+)>", str(pattern.pattern))))
    return found


def endpoints(targets: Targets, check: Check | None = None) -> list[Endpoint]:
    """Every URL of the app (admin: a sample), reversed with office A's objects."""
    from django.urls import get_resolver, reverse

    result, seen = [], set()
    for name, route, callback, params in walk_patterns(get_resolver().url_patterns):
        if name in seen:
            continue
        seen.add(name)
        if name.startswith("admin:") and name not in ADMIN_SAMPLE:
            continue
        kwargs = {}
        if params:
            if name not in ARGS:
                if check is not None:
                    check.case(False, url=route, user="-", status="-",
                               problem=f"URL {name} has no arguments in ARGS: add it")
                continue
            try:
                kwargs = ARGS[name](targets)
            except KeyError as missing:
                if check is not None:
                    check.notes.append(f"{name}: no seeded {missing} on this network")
                continue
        result.append(Endpoint(name=name, url=reverse(name, kwargs=kwargs), callback=callback,
                               has_object=bool(kwargs) and name not in PUBLIC
                               and name not in {"pipeline:report_csv", "pipeline:report_pdf",
                                                "pipeline:board_column"}))
    return result


# --- Helpers ------------------------------------------------------------------------------


def client_for(user=None, **kwargs):
    from django.test import Client

    # A server error is a finding to record, not an exception to stop at.
    client = Client(raise_request_exception=False, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


def who(user) -> str:
    return "anonymous" if user is None else user.email


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def leaks(page: str, targets: Targets) -> bool:
    """Whether `page` shows a seeded text of office A (the marker followed by its field
    number; the marker alone may be the page echoing a search)."""
    return re.search(re.escape(targets.marker) + r"\d", page) is not None


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def to_login(response) -> bool:
    location = response.get("Location", "")
    path = urlsplit(location).path
    return response.status_code == 302 and path in ("/accounts/login/", "/admin/login/")


def local_redirect(location: str) -> bool:
    """A Location the browser resolves on this site."""
    parts = urlsplit(location.replace("\\", "/"))
    return (not parts.scheme or parts.scheme in ("http", "https")) and \
        parts.netloc in ("", "testserver") and not location.startswith("//") and \
        not location.lower().startswith("javascript:")


# --- Checks -------------------------------------------------------------------------------


def check_access(cast: Cast, targets: Targets, htmx: bool = True) -> Check:
    """Anonymous visitors and people of office B open (GET) every URL filled with office A's
    objects, plain and as an htmx fragment, then post to it (with a valid CSRF token)."""
    check = Check("access")
    points = endpoints(targets, check)
    check.notes.append(f"{len(points)} URLs ({sum(p.name in PUBLIC for p in points)} public "
                       f"by design), {len(cast.outsiders)} outsiders")
    variants = [{}, {"HTTP_HX_REQUEST": "true"}] if htmx else [{}]
    anonymous = client_for()
    for point in points:
        for headers in variants:
            response = anonymous.get(point.url, **headers)
            status = response.status_code
            if point.name in PUBLIC:
                ok = status < 500
            else:
                ok = to_login(response) or status in (403, 404, 405)
            check.case(ok, url=point.url, user="anonymous", method="GET",
                       htmx=bool(headers), status=status, location=response.get("Location"))
        if point.name in FORGED:
            from django.urls import reverse

            forged = reverse(point.name, kwargs=FORGED[point.name])
            status = anonymous.get(forged).status_code
            check.case(status in (400, 404), url=forged, user="anonymous", method="GET",
                       status=status, problem="forged token accepted")
        response = anonymous.post(point.url, {})
        ok = response.status_code < 500 if point.name in PUBLIC else (
            to_login(response) or response.status_code in (403, 404, 405))
        check.case(ok, url=point.url, user="anonymous", method="POST",
                   status=response.status_code, location=response.get("Location"))
    for outsider in cast.outsiders:
        client = client_for(outsider)
        for point in points:
            for headers in variants:
                response = client.get(point.url, **headers)
                status = response.status_code
                body = body_of(response) if status == 200 else ""
                leaked = leaks(body, targets)
                if point.name in SHOWS_DATA:
                    leaked = False
                if point.name in PUBLIC:
                    ok = status < 500 and not leaked
                elif point.has_object:
                    ok = status in (302, 403, 404, 405) and not leaked
                else:
                    ok = status in (200, 302, 403, 404, 405) and not leaked
                # newsletters:click sends readers to the newsletter's own (signed) link.
                if status == 302 and not point.name.startswith("admin:") and \
                        point.name != "newsletters:click":
                    ok = ok and local_redirect(response.get("Location", ""))
                check.case(ok, url=point.url, user=who(outsider), method="GET",
                           htmx=bool(headers), status=status, leaked=leaked)
    return check


def check_outsider_posts(cast: Cast, targets: Targets) -> Check:
    """People of office B post (with a token, empty data) to every URL naming one of office
    A's objects: the view must refuse before doing anything. Runs last: a hole here would
    change office A's data."""
    check = Check("access-post")
    points = [p for p in endpoints(targets) if p.has_object]
    for outsider in cast.outsiders:
        client = client_for(outsider)
        for point in points:
            response = client.post(point.url, {}, HTTP_HX_REQUEST="true")
            status = response.status_code
            leaked = status == 200 and leaks(body_of(response), targets)
            ok = (status in (403, 404, 405) or to_login(response)) and not leaked
            check.case(ok, url=point.url, user=who(outsider), method="POST", status=status,
                       leaked=leaked, location=response.get("Location"))
    return check


def check_csrf(cast: Cast, targets: Targets) -> Check:
    """Every URL posted without a token by a signed-in person answers 403; only the listed
    views are csrf_exempt."""
    check = Check("csrf")
    client = client_for(cast.lead_a, enforce_csrf_checks=True)
    for point in endpoints(targets):
        exempt = getattr(point.callback, "csrf_exempt", False)
        if point.name.startswith("admin:"):
            exempt = False
        if exempt:
            check.case(point.name in CSRF_EXEMPT, url=point.url, user=who(cast.lead_a),
                       status="-", problem="csrf_exempt view not in CSRF_EXEMPT")
            continue
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(point.url, {"title": "x"}, **headers)
            check.case(response.status_code == 403, url=point.url, user=who(cast.lead_a),
                       method="POST", htmx=bool(headers), status=response.status_code)
    anonymous = client_for(enforce_csrf_checks=True)
    for name in ("/accounts/login/", "/i18n/setlang/", "/accounts/password_reset/"):
        response = anonymous.post(name, {"username": cast.insider.email,
                                         "password": cast.password, "language": "fr",
                                         "email": cast.insider.email})
        check.case(response.status_code == 403, url=name, user="anonymous", method="POST",
                   status=response.status_code)
    return check


_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json)"
                            r"[^>]*>\s*\S", re.I)


def inline_scripts(page: str) -> list[str]:
    """Inline <script> blocks and on…= / hx-on attributes: the CSP (script-src 'self')
    blocks them, so a page using one is broken, and one that appears unasked is XSS."""
    found = [m.group(0)[:80] for m in _INLINE_SCRIPT.finditer(page)]
    for tag in _TAG.findall(page):
        bare = _QUOTED.sub('""', tag)
        if _HANDLER.search(bare):
            found.append(tag[:80])
    return found


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def post_forms_without_token(page: str) -> list[str]:
    """The actions of <form method=post> on `page` that carry no CSRF token."""
    missing = []
    for attrs, inner in _FORM.findall(page):
        if re.search(r"method\s*=\s*[\"']?post", attrs, re.I) and \
                "csrfmiddlewaretoken" not in inner:
            action = re.search(r"action\s*=\s*[\"']([^\"']*)", attrs)
            missing.append(action.group(1) if action else "(this page)")
    return missing


def _pages_for_insiders(targets: Targets) -> list[str]:
    """Every GET URL of the app a person of office A may open, plus searches that find the
    seeded rows."""
    urls = [p.url for p in endpoints(targets)
            if not p.name.startswith("admin:") and p.name not in
            {"logout", "newsletters:click", "newsletters:unsubscribe", "newsletters:webhook",
             "set_language"}]
    marker = targets.marker
    urls += [f"/contacts/?q={marker}", f"/organisations/?q={marker}", f"/deals/?q={marker}",
             "/tasks/?scope=office", "/tasks/?scope=me&status=", "/calendar/?view=day",
             "/calendar/?view=week", "/calendar/?view=month", "/reports/?office=",
             "/contacts/duplicates/", f"/certification/candidates/?q={marker}"]
    return urls


def check_xss(cast: Cast, targets: Targets, insider_too: bool = True) -> Check:
    """Pages office A's people open (its lead, and its consultant who owns the objects
    unless `insider_too` is off) show every payload escaped and none raw, run no inline
    script; every post form carries a CSRF token."""
    check = Check("xss")
    escaped_seen: set[int] = set()
    forms = Check("csrf-forms")
    for user in (cast.insider, cast.lead_a) if insider_too else (cast.lead_a,):
        client = client_for(user)
        for url in _pages_for_insiders(targets):
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = client.get(url, **headers)
                status = response.status_code
                check.case(status < 500, url=url, user=who(user), htmx=bool(headers),
                           status=status, problem="server error")
                if status != 200 or not is_html(response):
                    continue
                page = body_of(response)
                raw = sorted({int(m) for pattern in RAW_PATTERNS
                              for m in pattern.findall(page)})
                check.case(not raw, url=url, user=who(user), htmx=bool(headers),
                           status=status, raw_fields=[targets.fields.get(n, n) for n in raw])
                for n in targets.fields:
                    if all(form in page for form in escaped_forms(n)):
                        escaped_seen.add(n)
                inline = inline_scripts(page)
                check.case(not inline, url=url, user=who(user), htmx=bool(headers),
                           status=status, inline_script=inline[:3],
                           problem="inline script or handler (blocked by the CSP)")
                missing = post_forms_without_token(page)
                forms.case(not missing, url=url, user=who(user), htmx=bool(headers),
                           status=status, forms_without_token=missing)
    # Every seeded field must have been seen escaped somewhere (else it was never checked).
    for n, label in sorted(targets.fields.items()):
        check.case(n in escaped_seen, field=label, problem="never shown escaped on any page",
                   user="-", url="-", status="-")
    check.notes.append(f"{forms.cases} pages checked for CSRF tokens in post forms")
    check.failures += [{**f, "problem": "post form without CSRF token"} for f in forms.failures]
    return check


_INPUT_NAMES = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)
_GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>(.*?)</form>", re.S | re.I)

# The list and search pages, with the GET parameters their views read directly (besides
# the fields of the filter forms on the page, which are read from the page itself).
LIST_PAGES = {
    "/contacts/": ["q", "page"], "/organisations/": ["q", "page"], "/personas/": ["q"],
    "/contacts/duplicates/": ["page"], "/deals/": ["q", "page"], "/pipeline/": ["office"],
    "/tasks/": ["scope", "status", "page"], "/tasks/new/": ["due_date", "title", "deal",
                                                           "person", "next"],
    "/deals/new/": ["person"], "/certification/enrol/": ["deal", "person"],
    "/calendar/": ["view", "date", "person", "office"], "/notifications/": ["page"],
    "/reports/": ["office", "start", "end"], "/reports/network/": ["start", "end"],
    "/decisions/": ["page"], "/circles/": ["office"], "/offices/": ["office"],
    "/circles/health/": ["office"], "/certification/candidates/": ["page"],
    "/certification/registry/": ["page"], "/verify/": ["code"],
    "/newsletters/": ["status", "page"], "/newsletters/segments/": ["page"],
    "/deals/export.csv": ["q"], "/contacts/export.csv": ["q"],
}


def check_sql(cast: Cast, targets: Targets, payloads: list[str] | None = None,
              sweepers: int = 1) -> Check:
    """SQL-ish and oversized input, and office A's own ids, in every GET parameter of the
    list pages (the names read from each page's filter forms plus the ones views read
    directly): never a 500, never a row of office A shown to office B. The full sweep runs
    as the last `sweepers` outsiders (the lead of B sees most); every outsider searches
    for office A's marker."""
    check = Check("sql")
    payloads = list(payloads or SQL_PAYLOADS)
    payloads += [str(targets.pk(name)) for name in ("person", "deal", "task")]
    shows_data = {"/certification/registry/"}
    for user in cast.outsiders[-sweepers:]:
        client = client_for(user)
        for page, extra in LIST_PAGES.items():
            first = client.get(page)
            names = set(extra)
            if first.status_code == 200 and is_html(first):
                for inner in _GET_FORM.findall(body_of(first)):
                    names.update(_INPUT_NAMES.findall(inner))
            names.discard("csrfmiddlewaretoken")
            for name in sorted(names):
                for value in payloads:
                    response = client.get(page, {name: value})
                    status = response.status_code
                    leaked = status == 200 and page not in shows_data and \
                        leaks(body_of(response), targets)
                    check.case(status < 500 and not leaked, url=page, param=name,
                               value=value[:40], user=who(user), status=status,
                               leaked=leaked)
    for user in cast.outsiders:
        client = client_for(user)
        # Office A's marker searched for: its rows never come back to B.
        for page in ("/contacts/", "/organisations/", "/deals/", "/personas/",
                     "/certification/candidates/", "/newsletters/", "/decisions/",
                     "/deals/export.csv", "/contacts/export.csv"):
            response = client.get(page, {"q": targets.marker})
            leaked = leaks(body_of(response), targets)
            check.case(response.status_code < 500 and not leaked, url=page, param="q",
                       value=targets.marker, user=who(user), status=response.status_code,
                       leaked=leaked)
    return check


def check_redirects(cast: Cast, targets: Targets, evils: list[str] | None = None) -> Check:
    """`next` parameters and the Referer never send anyone off the site."""
    check = Check("redirects")
    for evil in evils or EVIL_TARGETS:
        client = client_for()
        response = client.post(f"/accounts/login/?next={evil}",
                               {"username": cast.insider.email, "password": cast.password})
        location = response.get("Location", "")
        check.case(response.status_code == 302 and local_redirect(location), url="login",
                   user=who(cast.insider), next=evil, status=response.status_code,
                   location=location)
        response = client.post("/accounts/login/", {"username": cast.insider.email,
                                                    "password": cast.password, "next": evil})
        location = response.get("Location", "")
        check.case(local_redirect(location), url="login (form)", next=evil,
                   user=who(cast.insider), status=response.status_code, location=location)
        signed = client_for(cast.insider)
        posts = [("/i18n/setlang/", {"language": "en", "next": evil}, {}),
                 ("/i18n/setlang/", {"language": "en"}, {"HTTP_REFERER": evil}),
                 (f"/deals/{targets.pk('deal')}/move/",
                  {"phase": targets.objects["deal"].phase.number, "next": evil}, {}),
                 (f"/deals/{targets.pk('deal')}/move/", {"phase": 999, "next": evil}, {}),
                 (f"/tasks/{targets.pk('task')}/done/", {"next": evil}, {}),
                 (f"/tasks/{targets.pk('task')}/reopen/", {"next": evil}, {}),
                 ("/calendar/move/", {"next": evil}, {}),
                 (f"/notifications/{targets.pk('notification')}/snooze/", {"next": evil}, {}),
                 ("/reminders/", {"next": evil}, {})]
        for url, data, headers in posts:
            response = signed.post(url, data, **headers)
            location = response.get("Location", "")
            check.case(response.status_code < 500 and (not location or local_redirect(location)),
                       url=url, user=who(cast.insider), next=evil, status=response.status_code,
                       location=location)
        for url in (f"/tasks/new/?next={evil}", f"/accounts/login/?next={evil}"):
            response = signed.get(url)
            location = response.get("Location", "")
            check.case(response.status_code < 500 and (not location or local_redirect(location)),
                       url=url, user=who(cast.insider), status=response.status_code,
                       location=location)
        response = signed.post("/accounts/logout/", {"next": evil})
        location = response.get("Location", "")
        check.case(local_redirect(location), url="logout", next=evil,
                   user=who(cast.insider), status=response.status_code, location=location)
    check.notes.append("newsletters:click redirects to the newsletter's own links only "
                       "(signed link number, see access: forged tokens answer 404)")
    return check


def check_bruteforce(cast: Cast, targets: Targets) -> Check:
    """django-axes: after AXES_FAILURE_LIMIT wrong passwords the right one is refused."""
    from axes.utils import reset
    from django.conf import settings

    check = Check("bruteforce")
    check.case(settings.AXES_ENABLED, setting="AXES_ENABLED", status=settings.AXES_ENABLED,
               user="-", url="-")
    email = cast.insider.email
    client = client_for()
    reset(username=email)
    try:
        statuses = [client.post("/accounts/login/", {"username": email,
                                                     "password": f"wrong-{n}"}).status_code
                    for n in range(settings.AXES_FAILURE_LIMIT)]
        check.case(all(s in (200, 403, 429) for s in statuses), url="/accounts/login/",
                   user=email, status=statuses, problem="wrong passwords")
        response = client.post("/accounts/login/", {"username": email,
                                                    "password": cast.password})
        logged_in = "_auth_user_id" in client.session
        check.case(not logged_in and response.status_code in (403, 429),
                   url="/accounts/login/", user=email, status=response.status_code,
                   problem="right password accepted after the failure limit")
        # Another address from the same client is not locked (the lock is per email+IP).
        response = client.post("/accounts/login/", {"username": cast.lead_a.email,
                                                    "password": "still-wrong"})
        check.case(response.status_code == 200, url="/accounts/login/", user=cast.lead_a.email,
                   status=response.status_code, problem="lock spilled to another address")
    finally:
        reset(username=email)
        reset(username=cast.lead_a.email)
    return check


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production deployment: DEBUG off, a long random key, real
    hosts, HTTPS hardening at its defaults (no overrides)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                        "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "DEBUG",
                        # set by the browser tests for their live server, never in production
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "crm.example.org", "DJANGO_SETTINGS_MODULE": "tsgcrm.settings"})
    env.update(extra)
    return env


# `check --deploy` warnings accepted, with the reason. Empty: the deployment check is clean.
DEPLOY_ACCEPTED: dict[str, str] = {}


def check_deploy(cast: Cast | None = None, targets: Targets | None = None) -> Check:
    """`manage.py check --deploy` in a production environment: no warnings."""
    check = Check("deploy")
    result = subprocess.run(  # noqa: S603 - our manage.py, fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), "check", "--deploy",
         "--fail-level", "WARNING"], env=production_env(), capture_output=True, text=True,
        cwd=BASE_DIR, timeout=120, check=False)
    output = result.stdout + result.stderr
    ids = re.findall(r"\(([a-z_.]+\.[WE]\d+)\)", output)
    for warning in ids:
        check.case(warning in DEPLOY_ACCEPTED, url="manage.py check --deploy", user="-",
                   status=warning, problem=output.strip()[-500:])
    check.case(result.returncode == 0 or set(ids) <= set(DEPLOY_ACCEPTED),
               url="manage.py check --deploy", user="-", status=result.returncode,
               problem=output.strip()[-500:])
    return check


def check_headers(cast: Cast, targets: Targets) -> Check:
    """Security headers of a page in production settings (HTTPS, HSTS on)."""
    from django.test import override_settings

    check = Check("headers")
    production = {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
                  "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SESSION_COOKIE_SECURE": True,
                  "CSRF_COOKIE_SECURE": True}
    with override_settings(**production):
        for user, url in ((None, "/accounts/login/"), (cast.insider, "/"),
                          (cast.insider, "/contacts/"), (cast.insider, "/notifications/bell/")):
            client = client_for(user)
            plain = client.get(url)
            check.case(plain.status_code == 301 and
                       plain.get("Location", "").startswith("https://"), url=url,
                       user=who(user), status=plain.status_code, problem="no HTTPS redirect")
            response = client.get(url, secure=True)
            csp = response.get("Content-Security-Policy", "")
            expected = {
                "Strict-Transport-Security": "max-age=31536000" in response.get(
                    "Strict-Transport-Security", ""),
                "X-Frame-Options": response.get("X-Frame-Options") == "DENY"
                or "frame-ancestors 'none'" in csp,
                "X-Content-Type-Options": response.get("X-Content-Type-Options") == "nosniff",
                "Referrer-Policy": bool(response.get("Referrer-Policy")),
                "Content-Security-Policy": bool(csp),
                "CSP default-src 'self'": "default-src 'self'" in csp,
                "CSP object-src 'none'": "object-src 'none'" in csp,
                "CSP frame-ancestors 'none'": "frame-ancestors 'none'" in csp,
                "CSP base-uri": "base-uri" in csp,
                "CSP form-action": "form-action" in csp,
                "CSP script-src without unsafe-inline/unsafe-eval": bool(
                    re.search(r"script-src [^;]*", csp)) and "unsafe-" not in re.search(
                    r"script-src [^;]*", csp).group(0) if csp else False,
            }
            for header, ok in expected.items():
                check.case(ok, url=url, user=who(user), status=response.status_code,
                           header=header, value=response.get(header.split(" ")[0]))
        # Log-in over HTTPS: the session and CSRF cookies are Secure, the session HttpOnly.
        client = client_for()
        client.get("/accounts/login/", secure=True)
        response = client.post("/accounts/login/", {"username": cast.insider.email,
                                                    "password": cast.password}, secure=True)
        cookies = response.cookies
        session, csrf = cookies.get("sessionid"), client.cookies.get("csrftoken")
        check.case(session is not None and bool(session["secure"]) and
                   bool(session["httponly"]), url="/accounts/login/", user=who(cast.insider),
                   status=response.status_code, header="Set-Cookie sessionid Secure HttpOnly",
                   value=str(session))
        check.case(csrf is not None and bool(csrf["secure"]), url="/accounts/login/",
                   user=who(cast.insider), status=response.status_code,
                   header="Set-Cookie csrftoken Secure", value=str(csrf))
    return check


ALL_CHECKS = [check_access, check_csrf, check_xss, check_sql, check_redirects,
              check_bruteforce, check_headers, check_deploy, check_outsider_posts]


def run_checks(cast: Cast, targets: Targets, checks=None, **options) -> list[Check]:
    results = []
    for function in checks or ALL_CHECKS:
        start = time.perf_counter()
        kwargs = {k: v for k, v in options.items()
                  if k in function.__code__.co_varnames[:function.__code__.co_argcount]}
        result = function(cast, targets, **kwargs)
        result.seconds = time.perf_counter() - start
        results.append(result)
    return results


def report(results: list[Check], out=sys.stdout) -> None:
    out.write(f"{'check':<14}{'cases':>8}{'failures':>10}{'seconds':>10}\n")
    for r in results:
        out.write(f"{r.name:<14}{r.cases:>8}{len(r.failures):>10}{r.seconds:>10.1f}\n")
        for note in r.notes:
            out.write(f"    note: {note}\n")
    for r in results:
        for failure in r.failures[:200]:
            out.write(f"FAIL {r.name}: {json.dumps(failure, default=str)}\n")


# --- The demo network ---------------------------------------------------------------------


def demo_cast() -> Cast:
    """The demo's France office (A) and Spain office (B): a consultant and the lead of each."""
    from circles.demo_data import DEMO_PASSWORD
    from circles.models import User

    users = {u.email: u for u in User.objects.select_related("office")}
    insider = users["camille.martin@tsg.example"]
    return Cast(office_a=insider.office, office_b=users["carmen.lopez@tsg.example"].office,
                insider=insider, lead_a=users["julien.bernard@tsg.example"],
                outsiders=[users["carmen.lopez@tsg.example"],
                           users["lucia.garcia@tsg.example"]],
                password=DEMO_PASSWORD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default=str(BASE_DIR / "var" / "bench" / "security.json"))
    parser.add_argument("--skip-prepare", action="store_true",
                        help="do not migrate and load the demo (already done)")
    parser.add_argument("--only", default="", help="comma-separated check names")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsgcrm.settings")
    import logging

    import django

    django.setup()
    # 404s and 405s are what the checks expect; server errors are still logged.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    for noisy in ("weasyprint", "fontTools", "axes", "django.security.csrf"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import transaction

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        print("DATABASE_URL must name a PostgreSQL database", file=sys.stderr)
        return 2
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    start = time.perf_counter()
    if not args.skip_prepare:
        call_command("migrate", verbosity=0)
        call_command("demo", "--quiet-logins")
    prepared = time.perf_counter() - start
    checks = [c for c in ALL_CHECKS if not args.only
              or c.__name__.removeprefix("check_") in args.only.split(",")]
    cache.clear()
    results: list[Check] = []
    try:
        with transaction.atomic():
            targets = seed(demo_cast())
            results = run_checks(demo_cast(), targets, checks=checks, sweepers=2)
            transaction.set_rollback(True)
    finally:
        cache.clear()
    elapsed = time.perf_counter() - start
    report(results)
    print(f"prepared in {prepared:.1f}s, checked in {elapsed - prepared:.1f}s")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seconds": round(elapsed, 1),
                               "checks": [r.as_dict() for r in results]},
                              indent=2, default=str))
    print(f"written {out}")
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
