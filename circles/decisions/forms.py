from django import forms
from django.utils.translation import gettext_lazy as _

from circles.models import Circle, User
from circles.selectors import circle_members
from tsgcrm.forms import DATE

from .models import AgendaItem, ConsentAnswer, Election, Meeting, Round


class MeetingForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")

    class Meta:
        model = Meeting
        fields = ["starts_at", "place", "video_link", "facilitator", "secretary"]

    def __init__(self, *args, circle: Circle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        members = circle_members(circle)
        for name in ("facilitator", "secretary"):
            self.fields[name].queryset = members
            self.fields[name].required = False
            self.fields[name].help_text = _("Empty: the circle's elected %(role)s.") % {
                "role": self.fields[name].label.lower()}


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Agenda item"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[
        (AgendaItem.Kind.PROPOSAL, AgendaItem.Kind.PROPOSAL.label),
        (AgendaItem.Kind.INFORMATION, AgendaItem.Kind.INFORMATION.label)])


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Proposal"), widget=forms.Textarea(attrs={"rows": 4}))
    evaluation_criteria = forms.CharField(label=_("Evaluation criteria"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))
    review_date = forms.DateField(label=_("Proposed review date"), required=False,
                                  widget=DATE)
    responsible = forms.ModelChoiceField(label=_("Responsible person"), required=False,
                                         queryset=User.objects.none())

    def __init__(self, *args, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = members


class AmendForm(forms.Form):
    text = forms.CharField(label=_("Amended proposal"),
                           widget=forms.Textarea(attrs={"rows": 4}))
    change_reason = forms.CharField(label=_("Why it changes"),
                                    widget=forms.Textarea(attrs={"rows": 2}))
    review_date = forms.DateField(label=_("Proposed review date"), required=False,
                                  widget=DATE)
    resolves = forms.MultipleChoiceField(label=_("Objections this amendment resolves"),
                                         required=False, widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, objections=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolves"].choices = [(str(o.pk), f"{o.member}: {o.argument[:80]}")
                                           for o in objections]


class TurnForm(forms.Form):
    """One member's turn in a round: the member is chosen by the button clicked."""

    member = forms.ModelChoiceField(queryset=User.objects.all(), widget=forms.HiddenInput)
    round = forms.ChoiceField(choices=Round.choices, widget=forms.HiddenInput)
    answer = forms.ChoiceField(choices=ConsentAnswer.Answer.choices, required=False)
    text = forms.CharField(label=_("What was said"), required=False,
                           widget=forms.TextInput())


class ElectionForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Election.ELECTABLE)
    role_description = forms.CharField(label=_("Role description"),
                                       widget=forms.Textarea(attrs={"rows": 3}))
    term_start = forms.DateField(label=_("Term start"), widget=DATE)
    term_end = forms.DateField(label=_("Term end"), widget=DATE)


class NominationForm(forms.Form):
    nominator = forms.ModelChoiceField(label=_("Nominated by"), queryset=User.objects.none())
    nominee = forms.ModelChoiceField(label=_("Nominee"), queryset=User.objects.none())
    reasons = forms.CharField(label=_("Reasons"), required=False,
                              widget=forms.TextInput())

    def __init__(self, *args, present, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nominator"].queryset = present
        self.fields["nominee"].queryset = members


class ProposeForm(forms.Form):
    candidate = forms.ModelChoiceField(label=_("Proposed candidate"),
                                       queryset=User.objects.none())

    def __init__(self, *args, nominees, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = nominees


class CloseForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Free notes; the rounds and decisions are in the "
                                          "minutes already."))


class RegisterFilterForm(forms.Form):
    STATUSES = [("", _("Any status")), ("in_force", _("In force")),
                ("review", _("Due for review")), ("superseded", _("Superseded"))]

    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    circle = forms.ModelChoiceField(label=_("Circle"), required=False,
                                    queryset=Circle.objects.none(),
                                    empty_label=_("All circles"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUSES)
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args, circles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["circle"].queryset = circles
