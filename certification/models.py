"""Expert certification paths: from basic training to certification by the experts' circle.

A path template is versioned: its stages and their requirements are frozen once a version
is published, and an enrolment keeps the version it started on. Evidence is append-only.
A certificate is issued only by an adopted consent decision of the experts' circle.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from circles.models import Office
from tsgcrm.translated import Translated

USER = settings.AUTH_USER_MODEL


class Path(Translated):
    """A certification path template, e.g. "Certified sociocracy expert"."""

    name = models.CharField(_("name (English)"), max_length=160, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=160, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=160, blank=True)
    title = models.CharField(
        _("title conferred (English)"), max_length=160,
        help_text=_("The title a certificate of this path confers, e.g. “Certified "
                    "sociocracy expert”."))
    title_fr = models.CharField(_("title conferred (French)"), max_length=160,
                                help_text=_("Certificates are bilingual, English and French."))
    title_es = models.CharField(_("title conferred (Spanish)"), max_length=160, blank=True)
    description = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Untick to stop new enrolments on this path."))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("certification path")
        verbose_name_plural = _("certification paths")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self._in_language("name")

    @property
    def display_title(self) -> str:
        return self._in_language("title")

    def current_version(self) -> PathVersion | None:
        return (self.versions.filter(published_on__isnull=False)
                .order_by("-number").first())


class PathVersion(models.Model):
    """One wording of a path: a draft until published, then frozen for good."""

    path = models.ForeignKey(Path, verbose_name=_("path"), related_name="versions",
                             on_delete=models.PROTECT)
    number = models.PositiveIntegerField(_("version"))
    published_on = models.DateField(
        _("published on"), null=True, blank=True,
        help_text=_("Empty while the version is a draft. Once published, its stages and "
                    "requirements no longer change: new enrolments start on it."))
    changes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("path version")
        verbose_name_plural = _("path versions")
        ordering = ["path", "-number"]
        constraints = [models.UniqueConstraint(fields=["path", "number"],
                                               name="path_version_unique")]

    def __str__(self) -> str:
        return _("%(path)s, version %(number)s") % {"path": self.path, "number": self.number}

    @property
    def is_published(self) -> bool:
        return self.published_on is not None


class Stage(Translated):
    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        PROGRAMME = "programme", _("Programme")
        PRACTICE = "practice", _("Mentored practice")
        REVIEW = "review", _("Certification review")
        DEVELOPMENT = "development", _("Continued development")

    version = models.ForeignKey(PathVersion, verbose_name=_("path version"),
                                related_name="stages", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name (English)"), max_length=160)
    name_fr = models.CharField(_("name (French)"), max_length=160, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    expected_days = models.PositiveIntegerField(
        _("expected duration (days)"), null=True, blank=True,
        help_text=_("Empty for an open-ended stage, such as continued development."))

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"],
                                               name="stage_position_unique")]

    def __str__(self) -> str:
        return f"{self.position}. {self.display_name}"

    @property
    def display_name(self) -> str:
        return self._in_language("name")

    @property
    def display_description(self) -> str:
        return self._in_language("description")


class Evidence(models.Model):
    """What a candidate did in a stage. Append-only: never edited nor deleted; a mistake
    is struck out by a later entry that says why."""

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Session attended")
        HOURS = "hours", _("Hours of practice")
        PROJECT = "project", _("Client project")
        REFLECTION = "reflection", _("Written reflection")
        DOCUMENT = "document", _("Document")
        ASSESSMENT = "assessment", _("Mentor's assessment")
        STRIKE = "strike", _("Correction")

    enrolment = models.ForeignKey("Enrolment", verbose_name=_("enrolment"),
                                  related_name="evidence", on_delete=models.PROTECT)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), related_name="+",
                              on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    quantity = models.DecimalField(
        _("quantity"), max_digits=6, decimal_places=1, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("Hours for hours of practice; 1 for anything else."))
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True, max_length=20000)
    deal = models.ForeignKey("pipeline.Deal", verbose_name=_("won deal"), null=True,
                             blank=True, related_name="+", on_delete=models.PROTECT)
    document = models.FileField(
        _("document"), upload_to="evidence/%Y/", blank=True,
        validators=[FileExtensionValidator(["pdf", "doc", "docx", "odt", "txt", "png",
                                            "jpg", "jpeg"])])
    strikes = models.OneToOneField("self", verbose_name=_("strikes out"), null=True,
                                   blank=True, related_name="struck_by",
                                   on_delete=models.PROTECT)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), related_name="+",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["occurred_on", "pk"]
        indexes = [models.Index(fields=["enrolment", "stage"], name="evidence_by_stage")]
        constraints = [models.CheckConstraint(
            condition=Q(kind="strike", strikes__isnull=False)
            | (~Q(kind="strike") & Q(strikes__isnull=True)),
            name="evidence_strike_names_what")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title or self.occurred_on}"

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            raise ValidationError(_("Evidence is never edited: strike the entry out and "
                                    "record it again."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Evidence is never deleted: strike the entry out."))


class Requirement(Translated):
    """What a stage asks for: e.g. 12 sessions attended, 40 hours, 3 client projects."""

    KINDS = [(k.value, k.label) for k in Evidence.Kind if k != Evidence.Kind.STRIKE]

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), related_name="requirements",
                              on_delete=models.CASCADE)
    kind = models.CharField(_("evidence"), max_length=12, choices=KINDS)
    target = models.PositiveIntegerField(_("how many"), default=1,
                                         validators=[MinValueValidator(1)])
    description = models.CharField(_("description (English)"), max_length=240, blank=True)
    description_fr = models.CharField(_("description (French)"), max_length=240, blank=True)
    description_es = models.CharField(_("description (Spanish)"), max_length=240, blank=True)

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["stage", "pk"]
        constraints = [models.UniqueConstraint(fields=["stage", "kind"],
                                               name="requirement_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.label} × {self.target}"

    @property
    def label(self) -> str:
        return self._in_language("description") or str(self.get_kind_display())


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def live(self) -> EnrolmentQuerySet:
        return self.filter(status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.PAUSED])


class Enrolment(models.Model):
    """A candidate on a path: a user of the network, or a contact who is not one yet."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    version = models.ForeignKey(PathVersion, verbose_name=_("path version"),
                                related_name="enrolments", on_delete=models.PROTECT)
    path = models.ForeignKey(Path, verbose_name=_("path"), related_name="enrolments",
                             on_delete=models.PROTECT, editable=False)
    user = models.ForeignKey(USER, verbose_name=_("candidate (user)"), null=True, blank=True,
                             related_name="enrolments", on_delete=models.PROTECT)
    person = models.ForeignKey("contacts.Person", verbose_name=_("candidate (contact)"),
                               null=True, blank=True, related_name="enrolments",
                               on_delete=models.PROTECT)
    office = models.ForeignKey(Office, verbose_name=_("office"), related_name="enrolments",
                               on_delete=models.PROTECT)
    mentor = models.ForeignKey(USER, verbose_name=_("mentor"), null=True, blank=True,
                               related_name="mentees", on_delete=models.PROTECT,
                               help_text=_("A certified expert."))
    started_on = models.DateField(_("start date"), default=timezone.localdate)
    current_stage = models.ForeignKey(Stage, verbose_name=_("current stage"),
                                      related_name="+", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    paused_on = models.DateField(_("paused on"), null=True, blank=True)
    check_in_days = models.PositiveSmallIntegerField(
        _("mentor check-in every (days)"), default=30,
        validators=[MinValueValidator(7)],
        help_text=_("The mentor is reminded when no assessment was recorded for this long."))
    source_deal = models.ForeignKey("pipeline.Deal", verbose_name=_("from deal"), null=True,
                                    blank=True, related_name="+", on_delete=models.SET_NULL)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    created_by = models.ForeignKey(USER, verbose_name=_("enrolled by"), related_name="+",
                                   on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-started_on", "-pk"]
        indexes = [models.Index(fields=["office", "status"], name="enrolment_by_office"),
                   models.Index(fields=["mentor", "status"], name="enrolment_by_mentor")]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(person__isnull=False),
                                   name="enrolment_has_candidate"),
            models.UniqueConstraint(fields=["path", "user"],
                                    condition=Q(status__in=["active", "paused"]),
                                    name="enrolment_one_live_per_user"),
            models.UniqueConstraint(fields=["path", "person"],
                                    condition=Q(status__in=["active", "paused"]),
                                    name="enrolment_one_live_per_contact"),
        ]

    def __str__(self) -> str:
        return _("%(candidate)s on %(path)s") % {"candidate": self.candidate_name,
                                                  "path": self.path.display_name}

    def save(self, *args, **kwargs) -> None:
        if self.version_id and not self.path_id:
            self.path_id = self.version.path_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("certification:enrolment_detail", args=[self.pk])

    @property
    def candidate_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name()
        return str(self.person) if self.person_id else ""

    @property
    def candidate_email(self) -> str:
        if self.user_id:
            return self.user.email
        return self.person.email if self.person_id else ""

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PAUSED)


class StageProgress(models.Model):
    """One stage of one enrolment: when it started, is due and was completed."""

    enrolment = models.ForeignKey(Enrolment, related_name="stages", on_delete=models.CASCADE)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), related_name="+",
                              on_delete=models.PROTECT)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage of an enrolment")
        verbose_name_plural = _("stages of enrolments")
        ordering = ["enrolment", "stage__position"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "stage"],
                                               name="stage_progress_unique")]
        indexes = [models.Index(fields=["due_on"], name="stage_progress_by_due",
                                condition=Q(completed_on__isnull=True))]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.stage}"

    def is_late(self, today: date | None = None) -> bool:
        return (self.completed_on is None and self.due_on is not None
                and self.due_on < (today or timezone.localdate()))


def new_verification_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class CertificateQuerySet(models.QuerySet["Certificate"]):
    def valid(self) -> CertificateQuerySet:
        return self.filter(revoked_on__isnull=True)


class Certificate(models.Model):
    """Issued when the experts' circle adopts a certification decision. The holder's name
    and the title are copied at issue: a certificate states what was true that day."""

    enrolment = models.OneToOneField(Enrolment, verbose_name=_("enrolment"),
                                     related_name="certificate", on_delete=models.PROTECT)
    holder = models.ForeignKey(USER, verbose_name=_("holder"), related_name="certificates",
                               on_delete=models.PROTECT)
    holder_name = models.CharField(_("name on the certificate"), max_length=200)
    title = models.CharField(_("title (English)"), max_length=160)
    title_fr = models.CharField(_("title (French)"), max_length=160)
    decision = models.OneToOneField("circles.Decision", verbose_name=_("decision"),
                                    related_name="certificate", on_delete=models.PROTECT)
    code = models.CharField(_("verification code"), max_length=20, unique=True,
                            default=new_verification_code, editable=False)
    issued_on = models.DateField(_("issued on"))
    pdf = models.FileField(_("certificate (PDF)"), upload_to="certificates/%Y/", blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(USER, verbose_name=_("revoked by"), null=True, blank=True,
                                   related_name="+", on_delete=models.PROTECT)

    history = HistoricalRecords()
    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-pk"]
        constraints = [models.CheckConstraint(
            condition=Q(revoked_on__isnull=True) | ~Q(revoked_reason=""),
            name="certificate_revocation_has_reason")]

    def __str__(self) -> str:
        return f"{self.holder_name} · {self.title} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("certification:verify", args=[self.code])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_on is not None

    @property
    def display_title(self) -> str:
        """The title in the reader's language where the certificate carries it."""
        return self.title_fr if (get_language() or "")[:2] == "fr" else self.title


class Notice(models.Model):
    """A certification reminder sent: one row per thing and due date, so the daily job
    sends each exactly once however often and wherever it runs."""

    class Kind(models.TextChoices):
        STAGE_DUE = "stage_due", _("Stage due soon")
        STAGE_LATE = "stage_late", _("Stage overdue")
        CHECK_IN = "check_in", _("Mentor check-in")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    enrolment = models.ForeignKey(Enrolment, related_name="+", on_delete=models.CASCADE)
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "enrolment", "due_on"],
                                               name="certification_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.enrolment_id} {self.due_on}"
