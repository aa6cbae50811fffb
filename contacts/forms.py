from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from circles.forms import DateInput
from circles.models import Office, User

from .models import (
    Affiliation,
    Consent,
    Kind,
    LeadSource,
    Organisation,
    Person,
    Persona,
    PersonaObjection,
    Tag,
)


def consultants_of(office: Office):
    return (User.objects.filter(office=office, is_active=True)
            .order_by("last_name", "first_name"))


class PersonForm(forms.ModelForm):
    website = forms.URLField(label=_("Web site"), required=False, assume_scheme="https")
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200,
                                        required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    decision_power = forms.ChoiceField(label=_("Decision power"),
                                       choices=Affiliation.DecisionPower.choices,
                                       required=False)
    tags = forms.CharField(label=_("Tags"), max_length=500, required=False,
                           help_text=_("Comma-separated, e.g. “event 2026, school”."))

    class Meta:
        model = Person
        fields = ["first_name", "last_name", "email", "phone", "kind", "lead_source", "owner",
                  "city", "region", "country", "language", "address", "website",
                  "social_profiles", "persona", "preferred_channel", "tendencies",
                  "interests", "opinions", "notes"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "social_profiles": forms.Textarea(attrs={"rows": 2}),
            "tendencies": forms.Textarea(attrs={"rows": 2}),
            "interests": forms.Textarea(attrs={"rows": 2}),
            "opinions": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, office: Office, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.fields["owner"].queryset = consultants_of(office)
        self.fields["persona"].queryset = Persona.objects.filter(office=office)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        if self.instance.pk:
            affiliation = self.instance.affiliations.select_related("organisation").first()
            if affiliation:
                self.initial.setdefault("organisation_name", affiliation.organisation.name)
                self.initial.setdefault("job_title", affiliation.job_title)
                self.initial.setdefault("decision_power", affiliation.decision_power)
            self.initial.setdefault("tags", ", ".join(t.name for t in self.instance.tags.all()))

    def extra(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in
                ("organisation_name", "job_title", "decision_power", "tags")}


class QuickAddForm(forms.Form):
    """A name and one way to reach them are enough; the rest can come later."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200,
                                        required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("email") and not data.get("phone") and not self.errors.get("email"):
            raise forms.ValidationError(_("Give an email or a phone number, so the contact "
                                          "can be reached."))
        return data


class ContactFilterForm(forms.Form):
    SORTS = [("", _("Best match")), ("name", _("Name")),
             ("-created", _("Newest first")), ("created", _("Oldest first")),
             ("city", _("City")), ("kind", _("Kind"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.SearchInput(attrs={
                            "placeholder": _("Name, email, phone, organisation, city…")}))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds"))] + Kind.choices)
    lead_source = forms.ChoiceField(label=_("Lead source"), required=False,
                                    choices=[("", _("All sources"))] + LeadSource.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), required=False,
                                   queryset=User.objects.none(), empty_label=_("Anyone"))
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.none(),
                                 empty_label=_("Any tag"))
    city = forms.CharField(label=_("City"), required=False, max_length=120)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Any language"))] + list(settings.LANGUAGES))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def __init__(self, *args, offices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (User.objects.filter(office__in=offices, is_active=True)
                                         .order_by("last_name", "first_name"))
        self.fields["tag"].queryset = Tag.objects.filter(office__in=offices)


class ConsentForm(forms.ModelForm):
    granted = forms.TypedChoiceField(
        label=_("Status"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Opt-in: may be contacted")), ("no", _("Opt-out: do not contact"))])

    class Meta:
        model = Consent
        fields = ["channel", "granted", "lawful_basis", "source"]


class ReferralForm(forms.Form):
    to_office = forms.ModelChoiceField(label=_("Pass to office"), queryset=Office.objects.none())
    note = forms.CharField(label=_("Note for the receiving office"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, person: Person, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_office"].queryset = (Office.objects.filter(active=True)
                                             .exclude(pk=person.office_id).order_by("name"))


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("Web site"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "org_type", "size", "kind", "lead_source", "owner", "email", "phone",
                  "website", "address", "city", "region", "country", "language", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2}),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, office: Office, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.fields["owner"].queryset = consultants_of(office)


class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["name", "situation", "demographics", "behaviour", "objectives", "challenges",
                  "what_we_can_do", "insights", "product_description", "elevator_pitch",
                  "decision", "adopted_by", "adopted_on"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in [
            "situation", "demographics", "behaviour", "objectives", "challenges",
            "what_we_can_do", "insights", "product_description", "elevator_pitch"]}
        widgets["adopted_on"] = DateInput()

    def __init__(self, *args, office: Office, circles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.fields["adopted_by"].queryset = circles
        from circles.models import Decision

        self.fields["decision"].queryset = (Decision.objects.filter(circle__in=circles)
                                            .select_related("circle"))

    def clean(self) -> dict:
        data = super().clean()
        decision = data.get("decision")
        if decision is not None:
            # The decision says which circle adopted the persona, and when.
            data["adopted_by"], data["adopted_on"] = decision.circle, decision.decided_on
            self.instance.adopted_by = decision.circle
            self.instance.adopted_on = decision.decided_on
        return data


PersonaObjectionFormSet = forms.inlineformset_factory(
    Persona, PersonaObjection, fields=["category", "objection", "answer"], extra=1,
    widgets={"objection": forms.Textarea(attrs={"rows": 2}),
             "answer": forms.Textarea(attrs={"rows": 2})})
