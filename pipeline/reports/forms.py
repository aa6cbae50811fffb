from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circles.models import CURRENCIES, Office
from tsgcrm.forms import DATE

from ..models import Deal, LostReason, Objection, PhaseMove
from .models import ReportSubscription

# A report covers at most this long a period (longer ones are slow and unreadable).
MAX_PERIOD = dt.timedelta(days=3 * 366)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The period ends before it starts."))
            elif end - start > MAX_PERIOD:
                self.add_error("start", _("Choose a period of three years at most."))
        return data

    @staticmethod
    def default_initial() -> dict:
        today = timezone.localdate()
        return {"start": (today - dt.timedelta(days=90)), "end": today}


class OfficeReportForm(PeriodForm):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(),
                                    empty_label=None,
                                    help_text=_("An office's report includes its sub-offices."))

    field_order = ["office", "start", "end"]

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class NetworkReportForm(PeriodForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)

    field_order = ["start", "end", "currency"]


class SubscriptionForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Send me this office's report by email"),
                                  choices=ReportSubscription.Frequency.choices)


class DrillForm(forms.Form):
    """The deals behind a figure of a report (hidden fields of the deal list)."""

    EVENTS = [("created", pgettext_lazy("deals", "created")),
              ("closed", pgettext_lazy("deals", "closed")),
              ("entered", _("entered the phase")), ("left", _("left the phase")),
              ("objection", _("met an objection"))]

    office = forms.IntegerField(required=False)
    phase = forms.IntegerField(required=False, min_value=1, max_value=7)
    event = forms.ChoiceField(required=False, choices=[("", "")] + EVENTS)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    close_month = forms.RegexField(required=False, regex=r"^(\d{4}-\d{2}|late|none)$")
    lost_reason = forms.IntegerField(required=False)
    objection = forms.ChoiceField(required=False,
                                  choices=[("", "")] + list(Objection.Category.choices))

    def describe(self) -> list[str]:
        """What the deals shown have in common, in words, for the page to say."""
        data = self.cleaned_data if self.is_valid() else {}
        words = []
        if data.get("office"):
            office = Office.objects.filter(pk=data["office"]).first()
            if office:
                words.append(_("office: %(office)s (with its sub-offices)") % {"office": office})
        if data.get("phase"):
            words.append(_("phase %(number)s") % {"number": data["phase"]})
        if data.get("event") and data.get("start") and data.get("end"):
            words.append(_("%(event)s between %(start)s and %(end)s") % {
                "event": dict(self.EVENTS)[data["event"]],
                "start": date_format(data["start"]), "end": date_format(data["end"])})
        if data.get("close_month"):
            words.append(_("expected to close: %(month)s") % {"month": {
                "late": _("before this month"), "none": _("no date")}.get(
                data["close_month"], data["close_month"])})
        if data.get("lost_reason"):
            reason = LostReason.objects.filter(pk=data["lost_reason"]).first()
            if reason:
                words.append(_("lost reason: %(reason)s") % {"reason": reason})
        if data.get("objection"):
            words.append(_("objection: %(category)s") % {
                "category": dict(Objection.Category.choices)[data["objection"]]})
        return words


def apply_drill(deals, data: dict):
    """Narrow `deals` (already scoped to what the person may see) to a report figure."""
    import zoneinfo

    from django.db.models import Q

    zone = zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
    if data.get("office"):
        deals = deals.filter(Q(office_id=data["office"]) | Q(office__parent_id=data["office"]))
        office = Office.objects.filter(pk=data["office"]).first()
        if office is not None:  # the report counted in the office's time zone
            zone = zoneinfo.ZoneInfo(office.time_zone)
    event, start, end = data.get("event"), data.get("start"), data.get("end")
    phase = data.get("phase")
    if event and start and end:
        begin = dt.datetime.combine(start, dt.time(), tzinfo=zone)
        finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        if event == "created":
            deals = deals.filter(created_at__gte=begin, created_at__lt=finish)
        elif event == "closed":
            deals = deals.filter(closed_at__gte=begin, closed_at__lt=finish)
            if phase:
                deals = deals.filter(phase__number=phase)
        elif event in ("entered", "left"):
            moves = PhaseMove.objects.filter(moved_at__gte=begin, moved_at__lt=finish)
            if phase:
                moves = moves.filter(**{"to_phase__number" if event == "entered"
                                        else "from_phase__number": phase})
            elif event == "entered":
                moves = moves.filter(from_phase__isnull=True)
            deals = deals.filter(pk__in=moves.values("deal_id"))
        elif event == "objection":
            objections = Objection.objects.filter(created_at__gte=begin, created_at__lt=finish)
            if data.get("objection"):
                objections = objections.filter(category=data["objection"])
            deals = deals.filter(pk__in=objections.values("deal_id"))
    elif phase:
        deals = deals.filter(phase__number=phase)
    month = data.get("close_month")
    if month:
        first = timezone.localdate().replace(day=1)
        if month == "none":
            deals = deals.filter(expected_close__isnull=True)
        elif month == "late":
            deals = deals.filter(expected_close__lt=first)
        else:
            year, number = (int(x) for x in month.split("-"))
            deals = deals.filter(expected_close__year=year, expected_close__month=number)
        deals = deals.filter(status=Deal.Status.OPEN)
    if data.get("lost_reason"):
        deals = deals.filter(lost_reason_id=data["lost_reason"])
    return deals
