from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.forms import DateInput
from circles.models import Office, User
from contacts.models import LeadSource

from .models import Deal, Interaction, LostReason, Objection


def office_people(office: Office):
    return User.objects.filter(office=office, is_active=True).order_by("last_name",
                                                                      "first_name")


class DealForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Deal
        fields = ["title", "product", "value", "currency", "probability", "expected_close",
                  "next_step", "next_step_date", "owner", "second_expert", "lead_source",
                  "decision_power",
                  "buying_power", "urgency", "need", "why_interest", "problem_solved",
                  "notes"]
        widgets = {"expected_close": DateInput(), "next_step_date": DateInput(),
                   "need": forms.Textarea(attrs={"rows": 2}),
                   "why_interest": forms.Textarea(attrs={"rows": 2}),
                   "problem_solved": forms.Textarea(attrs={"rows": 2}),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, office: Office, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = office_people(office)
        self.fields["second_expert"].queryset = office_people(office)
        self.fields["value"].widget.attrs.update({"min": "0", "step": "0.01"})
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_value(self):
        value = self.cleaned_data.get("value")
        if value is not None and value < 0:
            raise forms.ValidationError(_("A deal's value cannot be negative."))
        return value


class BoardFilterForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), required=False,
                                   queryset=User.objects.none(), empty_label=_("Anyone"))
    product = forms.ChoiceField(label=_("Product"), required=False,
                                choices=[("", _("All products"))] + Deal.Product.choices)
    source = forms.ChoiceField(label=_("Lead source"), required=False,
                               choices=[("", _("All sources"))] + LeadSource.choices)
    overdue = forms.BooleanField(label=_("Next step overdue"), required=False)

    def __init__(self, *args, offices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (User.objects.filter(office__in=offices,
                                                             is_active=True)
                                         .only("pk", "first_name", "last_name", "email")
                                         .order_by("last_name", "first_name"))


class DealListFilterForm(BoardFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + Deal.Status.choices)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("-created", _("Newest first")), ("next_step", _("Next step date")),
        ("-value", _("Value, highest first")), ("title", _("Title"))])


class InteractionForm(forms.ModelForm):
    happened_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format="%Y-%m-%dT%H:%M"))

    class Meta:
        model = Interaction
        fields = ["kind", "happened_at", "participants", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["happened_at"].initial = lambda: timezone.localtime().strftime(
            "%Y-%m-%dT%H:%M")

    def clean_happened_at(self) -> datetime:
        value = self.cleaned_data["happened_at"]
        if value > timezone.now() + timezone.timedelta(days=1):
            raise forms.ValidationError(_("Log interactions that happened; plan future ones "
                                          "as next steps."))
        return value


class ObjectionForm(forms.ModelForm):
    class Meta:
        model = Objection
        fields = ["category", "words", "technique", "outcome"]
        widgets = {"words": forms.Textarea(attrs={"rows": 2})}


class LoseForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Why was it lost?"),
                                    queryset=LostReason.objects.filter(active=True))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    product = forms.ChoiceField(label=_("Next offer"), choices=[
        (Deal.Product.ADVANCED_TRAINING, Deal.Product.ADVANCED_TRAINING.label),
        (Deal.Product.SCHOOL_OF_LEADERS, Deal.Product.SCHOOL_OF_LEADERS.label),
        (Deal.Product.CERTIFICATION, Deal.Product.CERTIFICATION.label),
        (Deal.Product.LEADERSHIP, Deal.Product.LEADERSHIP.label),
        (Deal.Product.CONSULTING, Deal.Product.CONSULTING.label)])
