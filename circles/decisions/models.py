"""The circle logbook: meetings, proposals decided by consent, elections, decisions.

A proposal is versioned (amending it adds a version); the rounds of a meeting are recorded
per present member and per version; a proposal is adopted only when every present member
consents to its latest version and no objection is open (see rules.py). An adopted
decision is never edited: a later decision amends or replaces it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from circles.models import Circle, OfficerRole

USER = settings.AUTH_USER_MODEL


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("In progress")
        CLOSED = "closed", _("Closed")

    circle = models.ForeignKey(Circle, verbose_name=_("circle"), related_name="meetings",
                               on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    facilitator = models.ForeignKey(USER, verbose_name=_("facilitator"), null=True,
                                    blank=True, related_name="+", on_delete=models.PROTECT)
    secretary = models.ForeignKey(USER, verbose_name=_("secretary"), null=True, blank=True,
                                  related_name="+", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNED)
    minutes = models.TextField(_("minutes"), blank=True,
                               help_text=_("Free notes of the meeting, kept in the minutes."))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    minutes_pdf = models.FileField(_("minutes (PDF)"), upload_to="minutes/%Y/", blank=True)
    minutes_sent_at = models.DateTimeField(_("minutes sent at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), related_name="+",
                                   on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["circle", "-starts_at"], name="meeting_by_circle")]

    def __str__(self) -> str:
        return f"{self.circle} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("circles:meeting_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    meeting = models.ForeignKey(Meeting, related_name="attendances", on_delete=models.CASCADE)
    person = models.ForeignKey(USER, verbose_name=_("member"), related_name="+",
                               on_delete=models.PROTECT)
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices,
                              default=Status.ABSENT)
    position = models.PositiveSmallIntegerField(
        _("turn"), default=0, help_text=_("Order in which the member speaks in rounds."))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"],
                                               name="attendance_once_per_meeting")]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_status_display()}"


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        INFORMATION = "information", _("Information")
        PROPOSAL = "proposal", _("Policy decision")
        ELECTION = "election", _("Election")

    meeting = models.ForeignKey(Meeting, related_name="items", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.PROPOSAL)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Proposal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ADOPTED = "adopted", _("Adopted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    circle = models.ForeignKey(Circle, verbose_name=_("circle"), related_name="proposals",
                               on_delete=models.PROTECT)
    item = models.OneToOneField(AgendaItem, verbose_name=_("agenda item"), null=True,
                                blank=True, related_name="proposal", on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(USER, verbose_name=_("author"), related_name="+",
                               on_delete=models.PROTECT)
    responsible = models.ForeignKey(USER, verbose_name=_("responsible person"), null=True,
                                    blank=True, related_name="+", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    # What the proposal decides on (a certification enrolment …); its decision inherits it.
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, related_name="+",
                                     on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # Raised on every change, so two secretaries recording at once cannot both win.
    version_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"],
                                name="proposal_by_subject")]

    def __str__(self) -> str:
        return self.title


class ProposalVersion(models.Model):
    """One wording of a proposal. Never edited: amending adds the next version."""

    proposal = models.ForeignKey(Proposal, related_name="versions", on_delete=models.CASCADE)
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("proposal"))
    evaluation_criteria = models.TextField(_("evaluation criteria"), blank=True)
    review_date = models.DateField(_("proposed review date"), null=True, blank=True)
    change_reason = models.TextField(_("why it changed"), blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("recorded by"), related_name="+",
                                   on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposal version")
        verbose_name_plural = _("proposal versions")
        ordering = ["proposal", "number"]
        constraints = [models.UniqueConstraint(fields=["proposal", "number"],
                                               name="proposal_version_unique")]

    def __str__(self) -> str:
        return _("%(proposal)s, version %(number)s") % {"proposal": self.proposal,
                                                         "number": self.number}


class Round(models.TextChoices):
    CLARIFYING = "clarifying", _("Clarifying questions")
    REACTIONS = "reactions", _("Quick reactions")
    CONSENT = "consent", _("Consent round")


class RoundEntry(models.Model):
    """What one present member said in a clarifying or reactions round on one version."""

    version = models.ForeignKey(ProposalVersion, related_name="entries",
                                on_delete=models.CASCADE)
    round = models.CharField(_("round"), max_length=12,
                             choices=[(Round.CLARIFYING.value, Round.CLARIFYING.label),
                                      (Round.REACTIONS.value, Round.REACTIONS.label)])
    member = models.ForeignKey(USER, verbose_name=_("member"), related_name="+",
                               on_delete=models.PROTECT)
    text = models.TextField(_("what was said"), blank=True)
    recorded_by = models.ForeignKey(USER, related_name="+", on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round entry")
        verbose_name_plural = _("round entries")
        ordering = ["recorded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "round", "member"],
                                               name="round_entry_once_per_member")]

    def __str__(self) -> str:
        return f"{self.member}: {self.text[:60]}"


class ConsentAnswer(models.Model):
    """A member's answer in the consent round on one version: consent, or an objection
    with its argument. An objection stays open until it is resolved: by an amendment (a
    later version), withdrawn by the objector, or by the proposal being withdrawn."""

    class Answer(models.TextChoices):
        CONSENT = "consent", _("Consent")
        OBJECTION = "objection", _("Objection")

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        AMENDED = "amended", _("Resolved by an amendment")
        WITHDRAWN = "withdrawn", _("Withdrawn by the objector")
        PROPOSAL_WITHDRAWN = "proposal_withdrawn", _("Proposal withdrawn")

    version = models.ForeignKey(ProposalVersion, related_name="answers",
                                on_delete=models.CASCADE)
    member = models.ForeignKey(USER, verbose_name=_("member"), related_name="+",
                               on_delete=models.PROTECT)
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices)
    argument = models.TextField(_("argument"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices,
                                  default=Resolution.OPEN, blank=True)
    resolved_by = models.ForeignKey(ProposalVersion, verbose_name=_("resolved by"),
                                    null=True, blank=True, related_name="resolved_objections",
                                    on_delete=models.PROTECT)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    recorded_by = models.ForeignKey(USER, related_name="+", on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent round answer")
        verbose_name_plural = _("consent round answers")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "member"],
                                    name="consent_answer_once_per_member"),
            models.CheckConstraint(
                condition=~Q(answer="objection") | ~Q(argument=""),
                name="objection_has_argument"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_answer_display()}"

    @property
    def is_open_objection(self) -> bool:
        return self.answer == self.Answer.OBJECTION and self.resolution == self.Resolution.OPEN


class DecisionQuerySet(models.QuerySet["Decision"]):
    def visible_to(self, user) -> DecisionQuerySet:
        return self.filter(circle__in=Circle.objects.visible_to(user))

    def in_force(self) -> DecisionQuerySet:
        return self.filter(superseded_by__isnull=True)

    def due_for_review(self, today: date | None = None) -> DecisionQuerySet:
        return self.in_force().filter(review_date__lte=today or timezone.localdate())


class Decision(models.Model):
    """An adopted proposal: immutable once recorded. A later decision may amend or
    replace it (`supersedes`); the register shows the chain."""

    class Change(models.TextChoices):
        NEW = "", _("New decision")
        AMENDS = "amends", _("Amends")
        REPLACES = "replaces", _("Replaces")

    circle = models.ForeignKey(Circle, verbose_name=_("circle"), related_name="decisions",
                               on_delete=models.PROTECT)
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), null=True, blank=True,
                                related_name="decisions", on_delete=models.PROTECT)
    proposal = models.OneToOneField(Proposal, verbose_name=_("proposal"), null=True,
                                    blank=True, related_name="decision",
                                    on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("decision"))
    evaluation_criteria = models.TextField(_("evaluation criteria"), blank=True)
    decided_on = models.DateField(_("decided on"))
    review_date = models.DateField(_("review date"), null=True, blank=True)
    responsible = models.ForeignKey(USER, verbose_name=_("responsible person"), null=True,
                                    blank=True, related_name="+", on_delete=models.PROTECT)
    consenting = models.ManyToManyField(USER, verbose_name=_("consenting members"),
                                        related_name="+", blank=True)
    supersedes = models.OneToOneField("self", verbose_name=_("amends or replaces"),
                                      null=True, blank=True, related_name="superseded_by",
                                      on_delete=models.PROTECT)
    change = models.CharField(_("change"), max_length=10, choices=Change.choices,
                              default=Change.NEW, blank=True)
    # What the decision decides on: an officer role, a buyer persona, a certification …
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, related_name="+",
                                     on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), related_name="+",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["circle", "-decided_on"], name="decision_by_circle"),
                   models.Index(fields=["review_date"], name="decision_by_review"),
                   models.Index(fields=["subject_type", "subject_id"],
                                name="decision_by_subject")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            raise ValidationError(_("An adopted decision is not edited: record a new "
                                    "decision that amends or replaces it."))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("circles:decision_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Decisions stay in the register: record a new decision "
                                "that replaces this one."))

    @property
    def reference(self) -> str:
        return f"D-{self.pk:05d}" if self.pk else ""

    def status(self, today: date | None = None) -> str:
        if getattr(self, "superseded_by", None) is not None:
            return "superseded"
        if self.review_date and self.review_date <= (today or timezone.localdate()):
            return "review"
        return "in_force"

    STATUS_LABELS = {"in_force": _("In force"), "superseded": _("Superseded"),
                     "review": _("Due for review")}

    def status_label(self) -> str:
        return str(self.STATUS_LABELS[self.status()])


class Election(models.Model):
    """An election for an officer role with a term: nominations, a change round, the
    facilitator's proposal, then a consent round on it (a Proposal of its own)."""

    class Status(models.TextChoices):
        NOMINATING = "nominating", _("Nominations")
        CHANGES = "changes", _("Change round")
        CONSENT = "consent", _("Consent round")
        ELECTED = "elected", _("Elected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ELECTABLE = [(r.value, r.label) for r in OfficerRole.Role if r in OfficerRole.ELECTED]

    meeting = models.ForeignKey(Meeting, related_name="elections", on_delete=models.CASCADE)
    item = models.OneToOneField(AgendaItem, null=True, blank=True, related_name="election",
                                on_delete=models.PROTECT)
    role = models.CharField(_("role"), max_length=20, choices=ELECTABLE)
    role_description = models.TextField(_("role description"))
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.NOMINATING)
    candidate = models.ForeignKey(USER, verbose_name=_("proposed candidate"), null=True,
                                  blank=True, related_name="+", on_delete=models.PROTECT)
    proposal = models.OneToOneField(Proposal, null=True, blank=True, related_name="election",
                                    on_delete=models.PROTECT)
    holding = models.ForeignKey(OfficerRole, verbose_name=_("resulting role"), null=True,
                                blank=True, related_name="+", on_delete=models.PROTECT)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [models.CheckConstraint(condition=Q(term_end__gt=models.F("term_start")),
                                              name="election_term_ends_after_start")]

    def __str__(self) -> str:
        return _("Election of the %(role)s") % {"role": self.get_role_display().lower()}


class Nomination(models.Model):
    class Round(models.TextChoices):
        NOMINATION = "nomination", _("Nominations round")
        CHANGE = "change", _("Change round")

    election = models.ForeignKey(Election, related_name="nominations",
                                 on_delete=models.CASCADE)
    round = models.CharField(_("round"), max_length=12, choices=Round.choices)
    nominator = models.ForeignKey(USER, verbose_name=_("nominated by"), related_name="+",
                                  on_delete=models.PROTECT)
    nominee = models.ForeignKey(USER, verbose_name=_("nominee"), related_name="+",
                                on_delete=models.PROTECT)
    reasons = models.TextField(_("reasons"), blank=True)
    recorded_by = models.ForeignKey(USER, related_name="+", on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["recorded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["election", "round", "nominator"],
                                               name="nomination_once_per_round")]

    def __str__(self) -> str:
        return f"{self.nominator} → {self.nominee}"


class ReviewNotice(models.Model):
    """A review reminder sent: one row per thing and due date, so the daily job sends
    each exactly once however often and wherever it runs."""

    class Kind(models.TextChoices):
        DECISION_REVIEW = "decision", _("Decision review")
        TERM_END = "term", _("Officer term ending")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "due_on"],
                                               name="review_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.due_on}"
