from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.models import OFFICE_LANGUAGES, Office, User
from tsgcrm.forms import DATE

from .models import Enrolment, Evidence, Path
from .services import SELF_RECORDED


class EnrolForm(forms.Form):
    path = forms.ModelChoiceField(label=_("Path"), queryset=Path.objects.none(),
                                  empty_label=None)
    user = forms.ModelChoiceField(
        label=_("Candidate"), queryset=User.objects.none(), required=False,
        help_text=_("A person of the network. To enrol a client, start from their contact "
                    "page."))
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(),
                                    empty_label=None)
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=User.objects.none(),
                                    required=False,
                                    help_text=_("A certified expert. You can choose later."))
    started_on = forms.DateField(label=_("Start date"),
                                 widget=DATE)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, users, offices, mentors, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["path"].queryset = Path.objects.filter(
            active=True, versions__published_on__isnull=False).distinct()
        self.fields["office"].queryset = offices
        self.fields["mentor"].queryset = mentors
        if person is not None:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = users
            self.fields["user"].required = True


class EvidenceForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = ["kind", "occurred_on", "quantity", "title", "text", "deal", "document"]
        widgets = {"occurred_on": DATE,
                   "text": forms.Textarea(attrs={"rows": 4}),
                   "quantity": forms.NumberInput(attrs={"step": "0.5", "min": "0.5"})}
        labels = {"text": _("Text or notes")}

    def __init__(self, *args, kinds, deals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, label) for k, label in Evidence.Kind.choices
                                       if k in kinds]
        self.fields["deal"].queryset = deals
        self.fields["deal"].help_text = _("For a client project: the won deal it delivered.")
        self.fields["quantity"].required = False
        self.fields["title"].help_text = _("For a session or a project: which one.")


def evidence_kinds(*, is_mentor: bool) -> list[str]:
    """What a person may record: the mentor also assesses."""
    kinds = [k.value for k in Evidence.Kind if k in SELF_RECORDED]
    if is_mentor:
        kinds.append(Evidence.Kind.ASSESSMENT.value)
    return kinds


class StrikeForm(forms.Form):
    reason = forms.CharField(label=_("Why it is struck out"), max_length=2000)


class MentorForm(forms.Form):
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=User.objects.none(),
                                    required=False)

    def __init__(self, *args, mentors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentors


class DueDateForm(forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DATE)


class ReviewForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting of the experts' circle"),
                                     queryset=None, empty_label=None)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Kept with the certificate; the public verification "
                                         "page says only that it was revoked, and when."))


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(),
                                    required=False, empty_label=_("All offices"))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("All languages"))] + OFFICE_LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = Office.objects.filter(active=True)


class CandidatesFilterForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.none(),
                                    required=False, empty_label=_("All my offices"))
    path = forms.ModelChoiceField(label=_("Path"), queryset=Path.objects.all(),
                                  required=False, empty_label=_("All paths"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("live", _("Active or paused")), *[(s.value, s.label) for s in Enrolment.Status]])
    late = forms.BooleanField(label=_("Late only"), required=False)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "placeholder": "ABCD-EFGH-JKLM"}))

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

