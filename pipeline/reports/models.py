"""Exchange rates, report runs (the PDF made by a worker) and report subscriptions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.models import CURRENCIES, Office

USER = settings.AUTH_USER_MODEL


class ExchangeRate(models.Model):
    """What one unit of a currency is worth in euros, from a date on."""

    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    in_euros = models.DecimalField(_("value in euros"), max_digits=12, decimal_places=6,
                                   validators=[MinValueValidator(Decimal("0.000001"))])
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["currency", "valid_from"],
                                               name="exchange_rate_once_a_day"),
                       models.CheckConstraint(condition=~Q(currency="EUR"),
                                              name="exchange_rate_not_for_euro")]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.in_euros} EUR ({self.valid_from})"

    @classmethod
    def latest(cls, on: dt.date) -> dict[str, Decimal]:
        """Each currency's rate on a date (the latest one valid then)."""
        rates: dict[str, Decimal] = {}
        for currency, rate in (cls.objects.filter(valid_from__lte=on)
                               .order_by("currency", "-valid_from")
                               .values_list("currency", "in_euros")):
            rates.setdefault(currency, rate)
        return rates


class ReportRun(models.Model):
    """A report PDF asked for: queued, rendered by a worker on the reports queue, kept for
    download; an identical request made while a fresh one exists reuses it."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("Office pipeline report")
        NETWORK = "network", _("Network report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("report"), max_length=10, choices=Kind.choices)
    office = models.ForeignKey(Office, verbose_name=_("office"), null=True, blank=True,
                               related_name="+", on_delete=models.CASCADE)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    language = models.CharField(_("language"), max_length=8, default="en")
    key = models.CharField(max_length=64, editable=False, db_index=True)
    requested_by = models.ForeignKey(USER, verbose_name=_("asked by"), related_name="+",
                                     on_delete=models.CASCADE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}–{self.end}"

    def save(self, *args, **kwargs) -> None:
        self.key = self.key or self.params_key()
        super().save(*args, **kwargs)

    @staticmethod
    def key_for(**params) -> str:
        return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()
                              ).hexdigest()

    def params_key(self) -> str:
        """The same report asked again has the same key."""
        return self.key_for(kind=self.kind, office=self.office_id, start=self.start,
                            end=self.end, currency=self.currency, language=self.language)

    @property
    def filename(self) -> str:
        return f"pipeline-report-{self.start:%Y%m%d}-{self.end:%Y%m%d}.pdf"


class ReportSubscription(models.Model):
    """An office lead's weekly or monthly report by email, sent once per period."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Every week (the past week)")
        MONTHLY = "monthly", _("Every month (the past month)")

    user = models.ForeignKey(USER, verbose_name=_("person"), related_name="report_subscriptions",
                             on_delete=models.CASCADE)
    office = models.ForeignKey(Office, verbose_name=_("office"), related_name="+",
                               on_delete=models.CASCADE)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "office", "frequency"],
                                               name="report_subscription_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.office} · {self.get_frequency_display()}"

    def last_period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The last complete week (Monday to Sunday) or month before `today`."""
        if self.frequency == self.Frequency.WEEKLY:
            end = today - dt.timedelta(days=today.weekday() + 1)
            return end - dt.timedelta(days=6), end
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end


class ReportDelivery(models.Model):
    """One subscription's report for one period: the row is the promise to send it once."""

    subscription = models.ForeignKey(ReportSubscription, related_name="deliveries",
                                     on_delete=models.CASCADE)
    period_end = models.DateField()
    run = models.ForeignKey(ReportRun, null=True, blank=True, related_name="+",
                            on_delete=models.SET_NULL)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_end"],
                                               name="report_delivery_once")]

    def __str__(self) -> str:
        return f"{self.subscription} · {self.period_end}"
