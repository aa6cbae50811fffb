"""Segments, newsletters with their language versions, one delivery row per recipient, the
links a newsletter tracks, each office's sender and what readers do with newsletters."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.models import Office
from contacts.models import Kind, Person, Persona, Tag
from pipeline.models import Phase

USER = settings.AUTH_USER_MODEL


class Sender(models.Model):
    """Who an office's newsletters come from, the postal address their footer gives, and
    how many messages a minute its mail provider accepts (shared by every worker)."""

    office = models.OneToOneField(Office, verbose_name=_("office"), on_delete=models.CASCADE,
                                  related_name="newsletter_sender")
    from_name = models.CharField(_("sender name"), max_length=120)
    from_email = models.EmailField(_("sender email"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    postal_address = models.TextField(
        _("postal address"), max_length=500,
        help_text=_("Shown at the foot of every newsletter, as the law asks."))
    rate_per_minute = models.PositiveIntegerField(
        _("messages per minute"), default=600,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("The most the office's mail provider accepts, across all workers."))

    class Meta:
        verbose_name = _("newsletter sender")
        verbose_name_plural = _("newsletter senders")

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"


class Engagement(models.TextChoices):
    REGULAR = "regular", _("Regular opener")
    OCCASIONAL = "occasional", _("Occasional opener")
    INACTIVE = "inactive", _("Inactive")


class Segment(models.Model):
    """A saved filter over contacts. Only people whose consent allows newsletters, with an
    email address, are ever in it; empty criteria mean "any"."""

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.CASCADE,
                               related_name="segments")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    include_sub_offices = models.BooleanField(_("include the sub-offices"), default=True)
    whole_network = models.BooleanField(
        _("the whole network"), default=False,
        help_text=_("Contacts of every office (network admins only)."))
    languages = models.JSONField(_("languages"), default=list, blank=True)
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    cities = models.CharField(_("cities"), max_length=500, blank=True,
                              help_text=_("Comma-separated, e.g. “Lyon, Paris”."))
    regions = models.CharField(_("regions"), max_length=500, blank=True,
                               help_text=_("Comma-separated."))
    phases = models.ManyToManyField(Phase, verbose_name=_("with an open deal in phase"),
                                    blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    personas = models.ManyToManyField(Persona, verbose_name=_("buyer personas"), blank=True,
                                      related_name="+")
    engagement = models.CharField(_("engagement"), max_length=12, blank=True,
                                  choices=Engagement.choices)
    inactive_months = models.PositiveSmallIntegerField(
        _("inactive for at least (months)"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(36)])
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"],
                                               name="segment_name_unique_per_office")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("newsletters:segment_edit", args=[self.pk])

    @property
    def kind_labels(self) -> list[str]:
        return [str(Kind(k).label) for k in self.kinds if k in Kind.values]


class Newsletter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        TESTING = "testing", _("A/B test running")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    class ABTest(models.TextChoices):
        NONE = "", _("No test")
        SUBJECT = "subject", _("Subject")
        SEND_TIME = "send_time", _("Send time")

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT,
                               related_name="newsletters")
    name = models.CharField(_("name"), max_length=150,
                            help_text=_("For you; readers see the subject."))
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.PROTECT,
                                related_name="newsletters")
    language = models.CharField(
        _("main language"), max_length=8, choices=settings.LANGUAGES, default="en",
        help_text=_("Readers whose language has no version get this one."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    ab_test = models.CharField(_("A/B test"), max_length=10, choices=ABTest.choices,
                               blank=True, default="")
    ab_sample_percent = models.PositiveSmallIntegerField(
        _("sample (% of the segment)"), default=20,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("Half gets A, half gets B; the rest gets the winner."))
    ab_send_at_b = models.DateTimeField(_("send time B"), null=True, blank=True)
    ab_wait_hours = models.PositiveSmallIntegerField(
        _("wait before choosing (hours)"), default=4,
        validators=[MinValueValidator(1), MaxValueValidator(168)])
    ab_decide_at = models.DateTimeField(null=True, blank=True, editable=False)
    ab_winner = models.CharField(max_length=1, blank=True, editable=False)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    problem = models.CharField(_("problem"), max_length=300, blank=True, editable=False,
                               help_text=_("Why the last attempt to send stopped."))

    class Meta:
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "send_at"], name="newsletter_due")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("newsletters:detail", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}


class Version(models.Model):
    """The newsletter in one language. Subject, preheader and both bodies are templates:
    {{ first_name|default:"friend" }} and the like."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="versions")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    subject_b = models.CharField(_("subject B"), max_length=200, blank=True,
                                 help_text=_("Only for an A/B test of the subject."))
    preheader = models.CharField(_("preheader"), max_length=200, blank=True,
                                 help_text=_("The line mail programs show after the subject."))
    body_html = models.TextField(_("HTML body"), max_length=200_000)
    body_text = models.TextField(
        _("plain-text body"), blank=True, max_length=100_000,
        help_text=_("Leave empty to have it made from the HTML body."))

    class Meta:
        verbose_name = _("language version")
        verbose_name_plural = _("language versions")
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["newsletter", "language"],
                                               name="version_once_per_language")]

    def __str__(self) -> str:
        return f"{self.newsletter} ({self.language})"


class Link(models.Model):
    """A link of a newsletter's body. A click goes through a signed redirect that names the
    link by number, so the redirect can only lead where the newsletter pointed."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["newsletter", "url"],
                                               name="link_once_per_newsletter")]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One recipient of one newsletter. Created for the whole segment in one transaction;
    workers claim rows, and a row is marked in flight (committed) just before the message
    is handed over, so a message is never handed over twice."""

    class Status(models.TextChoices):
        HELD = "held", _("Waiting for the A/B test")
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Being sent")
        IN_FLIGHT = "in_flight", _("Handed over")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no consent)")
        CANCELLED = "cancelled", _("Cancelled")

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="deliveries")
    person = models.ForeignKey(Person, on_delete=models.CASCADE,
                               related_name="newsletter_deliveries")
    email = models.EmailField()
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=1, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    claim = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["newsletter", "person"],
                                               name="delivery_once_per_contact")]
        indexes = [
            # What workers claim next: the unsent rows of a newsletter, in order.
            models.Index(fields=["newsletter", "id"], name="delivery_to_send",
                         condition=Q(status__in=["queued", "claimed", "in_flight"])),
            models.Index(fields=["person", "-sent_at"], name="delivery_by_person"),
        ]

    def __str__(self) -> str:
        return f"{self.newsletter} → {self.email}"

    @classmethod
    def before_person_merge(cls, *, kept: Person, removed: Person) -> None:
        """Both got the same newsletter: the removed one's row goes, the kept one's stays."""
        cls.objects.filter(person=removed, newsletter_id__in=cls.objects.filter(
            person=kept).values("newsletter_id")).delete()


class Click(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="click_log")
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["link"])]

    def __str__(self) -> str:
        return f"{self.link} ({self.at:%Y-%m-%d %H:%M})"


class Reader(models.Model):
    """What a contact does with newsletters (the engagement segments and the contact page
    read it): refreshed after each send and nightly, and on every open."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, primary_key=True,
                                  related_name="newsletter_reader")
    received = models.PositiveIntegerField(_("newsletters received (12 months)"), default=0)
    opened = models.PositiveIntegerField(_("opened (12 months)"), default=0)
    clicked = models.PositiveIntegerField(_("clicked (12 months)"), default=0)
    first_received_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    engagement = models.CharField(_("engagement"), max_length=12, choices=Engagement.choices,
                                  blank=True)

    class Meta:
        verbose_name = _("newsletter reader")
        verbose_name_plural = _("newsletter readers")

    def __str__(self) -> str:
        return f"{self.person}: {self.get_engagement_display() or '—'}"

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.received if self.received else None


def engagement_of(received: int, opened: int) -> str:
    """Regular: opened at least half of two or more newsletters; occasional: opened some;
    inactive: opened none of what they received."""
    if not received:
        return ""
    if opened == 0:
        return Engagement.INACTIVE
    if received >= 2 and opened * 2 >= received:
        return Engagement.REGULAR
    return Engagement.OCCASIONAL


ENGAGEMENT_WINDOW = dt.timedelta(days=365)
