"""What the logbook sends: the minutes of a closed meeting, and review reminders."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circles.models import OfficerRole, User
from tsgcrm.mail import send_once

from . import selectors
from .models import Decision, Meeting, ReviewNotice

# A decision's review, and the end of an officer's term, are announced this many days ahead.
REVIEW_NOTICE_DAYS = 14
TERM_NOTICE_DAYS = 30


def minutes_pdf(meeting: Meeting) -> bytes:
    """The minutes of a meeting as a PDF, in the active language."""
    from weasyprint import HTML

    office = meeting.circle.office
    with timezone.override(office.time_zone if office else settings.TIME_ZONE):
        html = render_to_string("circles/minutes_pdf.html", selectors.meeting_logbook(meeting))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def minutes_filename(meeting: Meeting) -> str:
    return f"minutes-{meeting.circle_id}-{timezone.localtime(meeting.starts_at):%Y%m%d}.pdf"


def minutes_send(*, meeting_id: int) -> int:
    """Store the minutes PDF and email it to the circle's members, each in their language.
    Sends once: the meeting row is locked and marked sent in the same transaction."""
    with transaction.atomic():
        meeting = (Meeting.objects.select_for_update().select_related("circle")
                   .filter(pk=meeting_id, status=Meeting.Status.CLOSED).first())
        if meeting is None or meeting.minutes_sent_at is not None:
            return 0
        people = (User.objects.filter(is_active=True, memberships__circle=meeting.circle,
                                      memberships__until__isnull=True)
                  .exclude(email="").distinct())
        by_language: dict[str, list[str]] = defaultdict(list)
        for person in people:
            by_language[person.language or settings.LANGUAGE_CODE].append(person.email)
        with translation.override(settings.LANGUAGE_CODE):
            stored = minutes_pdf(meeting)
        meeting.minutes_pdf.save(minutes_filename(meeting), ContentFile(stored), save=False)
        sent = 0
        for language, emails in sorted(by_language.items()):
            with translation.override(language):
                pdf = stored if language == settings.LANGUAGE_CODE else minutes_pdf(meeting)
                message = EmailMessage(
                    subject=_("Minutes: %(meeting)s") % {"meeting": meeting},
                    body=render_to_string("circles/email/minutes.txt", {"meeting": meeting}),
                    to=[settings.DEFAULT_FROM_EMAIL], bcc=emails)
                message.attach(minutes_filename(meeting), pdf, "application/pdf")
                message.send()
            sent += len(emails)
        meeting.minutes_sent_at = timezone.now()
        meeting.save(update_fields=["minutes_pdf", "minutes_sent_at"])
    return sent


def _notify(*, kind: str, object_id: int, due_on, circle_id: int, subject,
            body_template: str, context: dict) -> bool:
    """Send one reminder to the circle's secretary and leader, exactly once per thing and
    due date (a ReviewNotice row)."""
    holders = User.objects.filter(
        officer_roles__circle_id=circle_id, officer_roles__ended_on__isnull=True,
        officer_roles__role__in=[OfficerRole.Role.SECRETARY, OfficerRole.Role.LEADER],
        is_active=True).exclude(email="").distinct()
    return send_once(
        record=lambda: ReviewNotice.objects.create(kind=kind, object_id=object_id,
                                                   due_on=due_on),
        to=holders, subject=subject, template=body_template, context=context)


def review_reminders_send(today=None) -> int:
    """Remind secretaries and leaders of decisions due for review and officer terms about
    to end (or past). Safe to run often and from several processes at once."""
    today = today or timezone.localdate()
    sent = 0
    decisions = (Decision.objects.in_force().filter(
        review_date__lte=today + timedelta(days=REVIEW_NOTICE_DAYS))
        .exclude(pk__in=ReviewNotice.objects.filter(kind=ReviewNotice.Kind.DECISION_REVIEW)
                 .values("object_id"))
        .select_related("circle"))
    for decision in decisions:
        sent += _notify(
            kind=ReviewNotice.Kind.DECISION_REVIEW, object_id=decision.pk,
            due_on=decision.review_date, circle_id=decision.circle_id,
            subject=gettext_lazy("Decision to review: %(decision)s"),
            body_template="circles/email/decision_review.txt",
            context={"decision": decision, "site_url": settings.SITE_URL,
                     "subject_args": {"decision": decision}})
    holdings = (OfficerRole.objects.held().filter(
        role__in=OfficerRole.ELECTED, term_end__lte=today + timedelta(days=TERM_NOTICE_DAYS))
        .select_related("circle", "person"))
    for holding in holdings:
        sent += _notify(
            kind=ReviewNotice.Kind.TERM_END, object_id=holding.pk, due_on=holding.term_end,
            circle_id=holding.circle_id,
            subject=gettext_lazy("Officer term ending: %(holding)s"),
            body_template="circles/email/term_end.txt",
            context={"holding": holding, "site_url": settings.SITE_URL,
                     "subject_args": {"holding": holding}})
    return sent
