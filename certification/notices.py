"""What the certification paths send: the certificate, and reminders of stage due dates
and mentor check-ins (each exactly once)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circles.models import User
from tsgcrm.mail import send_once

from .models import Certificate, Enrolment, Evidence, Notice, StageProgress

# A stage's due date is announced this many days ahead (and once more if missed).
STAGE_NOTICE_DAYS = 14


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a PDF, bilingual English and French whatever the reader's
    language."""
    from weasyprint import HTML

    texts = {}
    for language in ("en", "fr"):
        with translation.override(language):
            texts[language] = {
                "heading": _("Certificate"),
                "certifies": _("The Sociocracy Group certifies that"),
                "title_intro": _("is recognised by the circle of certified experts as"),
                "decision": _("By consent decision %(reference)s of the %(circle)s.")
                % {"reference": certificate.decision.reference,
                   "circle": certificate.decision.circle},
                "issued": _("Issued on %(date)s") % {"date": date_format(certificate.issued_on)},
                "verify": _("Verify this certificate at %(url)s with the code")
                % {"url": f"{settings.SITE_URL}/verify/"},
            }
    html = render_to_string("certification/certificate_pdf.html", {
        "certificate": certificate, "en": texts["en"], "fr": texts["fr"],
        "verify_url": f"{settings.SITE_URL}{certificate.get_absolute_url()}"})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def certificate_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.code}.pdf"


def certificate_issue(*, certificate_id: int) -> bool:
    """Store the certificate PDF and email it to its holder, once: the row is locked and
    marked sent in the same transaction."""
    with transaction.atomic():
        certificate = (Certificate.objects.select_for_update(of=("self",))
                       .select_related("holder", "decision__circle")
                       .filter(pk=certificate_id).first())
        if certificate is None or certificate.sent_at is not None:
            return False
        pdf = certificate_pdf(certificate)
        certificate.pdf.save(certificate_filename(certificate), ContentFile(pdf), save=False)
        holder = certificate.holder
        with translation.override(holder.language or settings.LANGUAGE_CODE):
            message = EmailMessage(
                subject=_("Your certificate: %(title)s") % {"title": certificate.display_title},
                body=render_to_string("certification/email/certificate.txt", {
                    "certificate": certificate, "site_url": settings.SITE_URL}),
                to=[holder.email])
            message.attach(certificate_filename(certificate), pdf, "application/pdf")
            message.send()
        certificate.sent_at = timezone.now()
        certificate.save(update_fields=["pdf", "sent_at"])
    return True


def _send_once(*, kind: str, enrolment: Enrolment, due_on: date, to: list[User],
               template: str, subject, context: dict) -> bool:
    """One notice per kind, enrolment and due date (a Notice row), to the people given."""
    return send_once(
        record=lambda: Notice.objects.create(kind=kind, enrolment=enrolment, due_on=due_on),
        to=to, subject=subject, template=template,
        context={**context, "enrolment": enrolment, "site_url": settings.SITE_URL,
                 "subject_args": {"candidate": enrolment.candidate_name}})


def reminders_send(today: date | None = None) -> int:
    """A stage's due date coming (and, once, missed) to the candidate and the mentor; a
    mentor check-in when no assessment was recorded for the agreed time. Safe to run
    from several processes at once and as often as wished."""
    today = today or timezone.localdate()
    done = set(Notice.objects.filter(enrolment__status=Enrolment.Status.ACTIVE)
               .values_list("kind", "enrolment_id", "due_on"))
    sent = 0
    progresses = (StageProgress.objects.filter(
        completed_on__isnull=True, due_on__lte=today + timedelta(days=STAGE_NOTICE_DAYS),
        enrolment__status=Enrolment.Status.ACTIVE,
        enrolment__current_stage_id=F("stage_id"))
        .select_related("stage", "enrolment__user", "enrolment__person",
                        "enrolment__mentor", "enrolment__path"))
    for progress in progresses:
        enrolment = progress.enrolment
        kind = Notice.Kind.STAGE_LATE if progress.due_on < today else Notice.Kind.STAGE_DUE
        if (kind, enrolment.pk, progress.due_on) in done:
            continue
        sent += _send_once(
            kind=kind, enrolment=enrolment, due_on=progress.due_on,
            to=[enrolment.user, enrolment.mentor],
            template="certification/email/stage_due.txt",
            subject=(STAGE_LATE_SUBJECT if kind == Notice.Kind.STAGE_LATE
                     else STAGE_DUE_SUBJECT),
            context={"progress": progress, "late": kind == Notice.Kind.STAGE_LATE})
    last_assessed = dict(Evidence.objects.filter(kind=Evidence.Kind.ASSESSMENT)
                         .values("enrolment_id").annotate(last=Max("occurred_on"))
                         .values_list("enrolment_id", "last"))
    for enrolment in (Enrolment.objects.filter(status=Enrolment.Status.ACTIVE,
                                               mentor__isnull=False)
                      .select_related("mentor", "user", "person", "path")):
        since = max(filter(None, [last_assessed.get(enrolment.pk), enrolment.started_on]))
        due = since + timedelta(days=enrolment.check_in_days)
        if due > today or (Notice.Kind.CHECK_IN, enrolment.pk, due) in done:
            continue
        sent += _send_once(
            kind=Notice.Kind.CHECK_IN, enrolment=enrolment, due_on=due, to=[enrolment.mentor],
            template="certification/email/check_in.txt", subject=CHECK_IN_SUBJECT,
            context={"since": since})
    return sent


STAGE_DUE_SUBJECT = gettext_lazy("Certification path: a stage is due soon (%(candidate)s)")
STAGE_LATE_SUBJECT = gettext_lazy("Certification path: a stage is overdue (%(candidate)s)")
CHECK_IN_SUBJECT = gettext_lazy("Mentor check-in due: %(candidate)s")
