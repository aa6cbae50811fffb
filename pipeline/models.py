"""The seven-phase pipeline: phases and their routines (as data), deals, moves,
interactions and objections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circles.models import CURRENCIES, Office, User, visible_office_ids
from contacts.models import LeadSource, ObjectionCategory, Organisation, Person
from tsgcrm.translated import Translated


class Phase(Translated):
    number = models.PositiveSmallIntegerField(_("number"), unique=True,
                                              validators=[MinValueValidator(1),
                                                          MaxValueValidator(7)])
    name = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=80, blank=True)
    default_probability = models.PositiveSmallIntegerField(
        _("default win probability (%)"), validators=[MaxValueValidator(100)])
    expected_days = models.PositiveSmallIntegerField(_("expected days in phase"))
    after_won = models.BooleanField(
        _("after the contract is signed"), default=False,
        help_text=_("Service delivery and post selling follow a won deal."))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.display_name}"

    @property
    def display_name(self) -> str:
        return self._in_language("name")


class Routine(Translated):
    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Process routine")
        ACTIVITY = "activity", _("Related activity")

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="routines",
                              verbose_name=_("phase"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices,
                            default=Kind.ROUTINE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("text (English)"), max_length=200)
    text_fr = models.CharField(_("text (French)"), max_length=200, blank=True)
    text_es = models.CharField(_("text (Spanish)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routine")
        verbose_name_plural = _("routines")
        ordering = ["phase__number", "kind", "order"]

    def __str__(self) -> str:
        return self.display_text

    @property
    def display_text(self) -> str:
        return self._in_language("text")


class LostReason(Translated):
    name = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self._in_language("name")


class DealQuerySet(models.QuerySet["Deal"]):
    def visible_to(self, user: User) -> DealQuerySet:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_network_admin or user.is_superuser:
            return self.all()
        return self.filter(office_id__in=visible_office_ids(user))


class Deal(models.Model):
    class Product(models.TextChoices):
        BASIC_TRAINING = "basic_training", _("Discovery / basic training")
        LEADERSHIP = "leadership", _("LEADERSHIP programme")
        CONSULTING = "consulting", _("Consulting and accompaniment")
        ADVANCED_TRAINING = "advanced_training", _("Advanced training")
        SCHOOL_OF_LEADERS = "school_of_leaders", _("School of leaders")
        CERTIFICATION = "certification", _("Certification")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        NO_DEAL = "no_deal", _("No deal")

    class Urgency(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="deals",
                               verbose_name=_("office"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="deals", verbose_name=_("owning consultant"))
    second_expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="second_expert_deals", verbose_name=_("second expert"),
        help_text=_("Go to the meeting with two experts."))
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="deals", verbose_name=_("contact"))
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="deals",
                                     verbose_name=_("organisation"))
    title = models.CharField(_("title"), max_length=200)
    # The deal's own: its contact's lead source when it was created, unless said otherwise
    # (the contact's may change later; the reports count deals by where they came from).
    lead_source = models.CharField(
        _("lead source"), max_length=20, choices=LeadSource.choices, blank=True,
        help_text=_("Where this deal came from. Left empty: the contact's lead source."))
    product = models.CharField(_("product or service"), max_length=20,
                               choices=Product.choices, default=Product.BASIC_TRAINING)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2,
                                default=Decimal("0"), validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES,
                                default="EUR")
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the phase's default."))
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    # Qualification (a qualified prospect has decision and buying power, a need, urgency).
    decision_power = models.BooleanField(_("talks to who decides"), default=False)
    buying_power = models.BooleanField(_("has the budget"), default=False)
    need = models.TextField(_("need"), blank=True, max_length=2000)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, blank=True)
    why_interest = models.TextField(_("why the interest"), blank=True, max_length=2000)
    problem_solved = models.TextField(_("which problem it solves"), blank=True,
                                      max_length=2000)
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="deals",
                              verbose_name=_("phase"))
    phase_entered_at = models.DateTimeField(_("in this phase since"), default=timezone.now)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    lost_reason = models.ForeignKey(LostReason, on_delete=models.PROTECT, null=True,
                                    blank=True, verbose_name=_("lost reason"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    nudges_muted = models.BooleanField(
        _("no follow-up nudges"), default=False,
        help_text=_("Leave this deal out of the daily digest of deals to follow up."))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at"]
        indexes = [
            # A board column: one office, one status, one phase, by next step date.
            models.Index(fields=["office", "status", "phase", "next_step_date", "id"],
                         name="deal_board"),
            # Column counts and totals, read from the index alone.
            models.Index(fields=["office", "status", "phase", "currency", "value"],
                         name="deal_board_totals"),
            models.Index(fields=["office", "-created_at", "-id"], name="deal_recent"),
            models.Index(fields=["office", "-value", "-id"], name="deal_by_value"),
            models.Index(fields=["owner", "status"], name="deal_owner"),
            # A person's next steps by date (calendar, my day, the daily digest).
            models.Index(fields=["owner", "status", "next_step_date"], name="deal_next_steps"),
            # Reports: the deals closed in a period; the open deals' forecast, read from the
            # index alone.
            models.Index(fields=["office", "closed_at"], name="deal_closed",
                         condition=Q(closed_at__isnull=False)),
            models.Index(fields=["office", "expected_close"], name="deal_forecast",
                         include=["currency", "value", "probability", "phase"],
                         condition=Q(status="open")),
            # Reports: the open deals' overdue next steps per owner, from the index alone.
            models.Index(fields=["office", "next_step_date"], name="deal_overdue",
                         include=["owner"], condition=Q(status="open")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_not_negative"),
            models.CheckConstraint(condition=~Q(status="lost") | Q(lost_reason__isnull=False),
                                   name="deal_lost_has_reason"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pipeline:deal_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        # The office it was read with: moved to another office (in the admin), the deal
        # leaves that office's cached figures stale too (pipeline.apps._deal_changed).
        deal = super().from_db(db, field_names, values)
        deal._loaded_office_id = deal.__dict__.get("office_id")
        return deal

    @property
    def effective_probability(self) -> int:
        if self.probability is not None:
            return self.probability
        return self.phase.default_probability

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.LOST, self.Status.NO_DEAL}

    @property
    def next_step_overdue(self) -> bool:
        return bool(self.next_step_date and self.status == self.Status.OPEN
                    and self.next_step_date < timezone.localdate())

    @property
    def contact_name(self) -> str:
        if self.person_id:
            return str(self.person)
        return str(self.organisation) if self.organisation_id else ""


class RoutineCheck(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="checks")
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="+")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "routine"],
                                               name="routine_check_once")]

    def __str__(self) -> str:
        return f"{self.deal} ✓ {self.routine}"


class PhaseMove(models.Model):
    """Every move of a deal, forward or back, so time in each phase is exact. The move
    keeps the deal's office and how long the deal stayed in the phase it leaves, so that
    reports read a period's moves alone, from one index."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="moves")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+",
                               editable=False)
    days_in_previous = models.FloatField(null=True, blank=True, editable=False)
    # Set once the deal reaches a later phase: reports count conversions from it.
    went_further = models.BooleanField(default=False, editable=False)
    # When the deal left the phase (empty while it is in it): the phase of every deal at
    # any date is read from the moves alone.
    left_at = models.DateTimeField(null=True, blank=True, editable=False)
    from_phase = models.ForeignKey(Phase, on_delete=models.PROTECT, null=True,
                                   related_name="+", verbose_name=_("from"))
    to_phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("to"))
    moved_at = models.DateTimeField(_("moved"), default=timezone.now)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("phase move")
        verbose_name_plural = _("phase moves")
        ordering = ["-moved_at", "-pk"]
        indexes = [models.Index(fields=["deal", "moved_at"]),
                   models.Index(fields=["office", "moved_at"], name="phasemove_by_office"),
                   # Reports: the stays of a phase ranked by length (its median).
                   models.Index(fields=["office", "from_phase", "days_in_previous"],
                                include=["moved_at"], name="phasemove_stays",
                                condition=Q(days_in_previous__isnull=False))]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_phase} → {self.to_phase}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        earlier = (PhaseMove.objects.filter(deal_id=self.deal_id, moved_at__lte=self.moved_at)
                   .exclude(pk=self.pk))
        earlier.filter(left_at__isnull=True).update(left_at=self.moved_at)
        further = list(earlier.filter(went_further=False,
                                      to_phase__number__lt=self.to_phase.number)
                       .values_list("pk", "moved_at"))
        if further:  # reports count conversions from these moves' weeks: stale now
            from .reports.moves import bump_weeks

            PhaseMove.objects.filter(pk__in=[pk for pk, _at in further]).update(
                went_further=True)
            bump_weeks(self.office_id, [at for _pk, at in further])

    @classmethod
    def of(cls, deal: Deal, to_phase: Phase, *, by, at: dt.datetime | None = None,
           first: bool = False) -> PhaseMove:
        """The (unsaved) move of `deal` from its phase into `to_phase`; saving it marks
        the deal's earlier moves into lower phases as gone further."""
        at = at or timezone.now()
        return cls(deal=deal, office_id=deal.office_id, to_phase=to_phase, moved_at=at,
                   moved_by=by, from_phase=None if first else deal.phase,
                   days_in_previous=None if first else
                   (at - deal.phase_entered_at).total_seconds() / 86400)


class Interaction(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", pgettext_lazy("interaction kind", "Call")
        VIDEO = "video", _("Video meeting")
        MEETING = "meeting", _("Meeting in person")
        EMAIL = "email", _("Email")
        EVENT = "event", _("Event")
        COFFEE = "coffee", _("Coffee or breakfast")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="interactions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="interactions", verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    happened_at = models.DateTimeField(_("when"), default=timezone.now)
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-happened_at", "-pk"]
        # Reports: the interactions of a period per person, from the index alone.
        indexes = [models.Index(fields=["office", "happened_at"], include=["created_by"],
                                name="interaction_by_office")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.happened_at:%Y-%m-%d}"


class Objection(models.Model):
    Category = ObjectionCategory

    class Outcome(models.TextChoices):
        OPEN = "open", _("Still open")
        RESOLVED = "resolved", _("Resolved")
        BLOCKING = "blocking", _("Blocked the deal")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="objections")
    # The deal's office, kept here so that reports read an office's objections alone.
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+",
                               editable=False)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    words = models.TextField(_("the client's words"), max_length=2000)
    technique = models.CharField(_("technique used"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices,
                               default=Outcome.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        # Reports: a period's objections by category and outcome, from the index alone.
        indexes = [models.Index(fields=["office", "created_at"], include=["category", "outcome"],
                                name="objection_report")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.words[:60]}"

    def save(self, *args, **kwargs) -> None:
        if self.office_id is None:
            self.office_id = self.deal.office_id
        super().save(*args, **kwargs)


# Tasks, reminders and the calendar live in pipeline/agenda/; their models belong here.
from .agenda.models import (  # noqa: E402, F401
    CalendarFeed,
    DigestSent,
    Notification,
    NotificationPreferences,
    Reminder,
    Task,
)

# Exchange rates and report runs live in pipeline/reports/; their models belong to this app.
from .reports.models import (  # noqa: E402, F401
    ExchangeRate,
    ReportDelivery,
    ReportRun,
    ReportSubscription,
)
