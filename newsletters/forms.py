from __future__ import annotations

from django import forms
from django.conf import settings
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.models import Office, User
from contacts.models import Kind, Persona, Tag
from pipeline.models import Phase

from . import rendering
from .models import Newsletter, Segment, Sender, Version


def office_languages(office: Office | None) -> list[str]:
    """The office's languages that newsletters can be written in (the app's languages)."""
    offered = dict(settings.LANGUAGES)
    return [c for c in (office.language_list if office else []) if c in offered] or ["en"]


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SegmentForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(label=_("Languages"), choices=settings.LANGUAGES,
                                          required=False, widget=forms.CheckboxSelectMultiple)
    kinds = forms.MultipleChoiceField(label=_("Kinds"), choices=Kind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Segment
        fields = ["name", "office", "include_sub_offices", "whole_network", "description",
                  "languages", "kinds", "cities", "regions", "phases", "tags", "personas",
                  "engagement", "inactive_months"]
        widgets = {"phases": forms.CheckboxSelectMultiple, "description": forms.Textarea(
            attrs={"rows": 2})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        offices = Office.objects.visible_to(user).filter(active=True)
        self.fields["office"].queryset = offices
        self.fields["office"].empty_label = None
        if not self.instance.pk and user.office_id:
            self.fields["office"].initial = user.office_id
        if not (user.is_network_admin or user.is_superuser):
            del self.fields["whole_network"]
        self.fields["phases"].queryset = Phase.objects.order_by("number")
        self.fields["tags"].queryset = Tag.objects.filter(office__in=offices).order_by("name")
        self.fields["personas"].queryset = Persona.objects.filter(office__in=offices)
        self.fields["tags"].widget.attrs["size"] = 5
        self.fields["personas"].widget.attrs["size"] = 4

    def criteria(self) -> dict | None:
        """The criteria as typed so far (for the live count), None when they are invalid."""
        if not self.is_valid() and any(name in self.errors for name in
                                       ("office", "languages", "kinds", "phases", "tags",
                                        "personas", "engagement", "inactive_months")):
            return None
        data = {**self.cleaned_data}
        data.setdefault("whole_network", False)
        return data


class NewsletterForm(forms.ModelForm):
    class Meta:
        model = Newsletter
        fields = ["name", "office", "segment", "language", "ab_test", "ab_sample_percent",
                  "ab_wait_hours"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        offices = Office.objects.visible_to(user).filter(active=True)
        self.fields["office"].queryset = offices
        self.fields["office"].empty_label = None
        self.fields["segment"].queryset = Segment.objects.filter(office__in=offices)
        if not self.instance.pk and user.office_id:
            self.fields["office"].initial = user.office_id
            office = Office.objects.filter(pk=user.office_id).first()
            if office:
                self.fields["language"].initial = office_languages(office)[0]

    def clean(self):
        data = super().clean()
        segment, office = data.get("segment"), data.get("office")
        if segment and office and segment.office_id != office.pk and not segment.whole_network:
            self.add_error("segment", _("Choose a segment of this office."))
        return data


class VersionForm(forms.ModelForm):
    class Meta:
        model = Version
        fields = ["language", "subject", "subject_b", "preheader", "body_html", "body_text"]
        widgets = {"body_html": forms.Textarea(attrs={"rows": 14, "class": "code"}),
                   "body_text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"body_html": _(
            "HTML. Personalise with {{ first_name }}, {{ last_name }}, {{ full_name }}, "
            "{{ organisation }}, {{ city }} and a default: {{ first_name|default:\"friend\" }}."
        )}

    def clean(self):
        data = super().clean()
        for field, error in rendering.check({f: data.get(f) for f in rendering.FIELDS}).items():
            self.add_error(field, error)
        return data


class BaseVersionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        languages = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            language = form.cleaned_data.get("language")
            if language in languages:
                form.add_error("language", _("There is already a version in this language."))
            languages.add(language)
        if not languages:
            raise forms.ValidationError(_("Write at least one language version."))


VersionFormSet = inlineformset_factory(Newsletter, Version, form=VersionForm,
                                       formset=BaseVersionFormSet, extra=0, can_delete=True)


class ScheduleForm(forms.Form):
    when = forms.ChoiceField(label=_("When"), choices=[("now", _("Send now")),
                                                        ("later", _("At a date and time"))],
                             widget=forms.RadioSelect, initial="now")
    send_at = forms.DateTimeField(label=_("Send at"), required=False, widget=DATETIME)
    send_at_b = forms.DateTimeField(label=_("Send time B (A/B test of the send time)"),
                                    required=False, widget=DATETIME)

    def __init__(self, *args, newsletter: Newsletter, **kwargs):
        super().__init__(*args, **kwargs)
        if newsletter.ab_test != Newsletter.ABTest.SEND_TIME:
            del self.fields["send_at_b"]

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            if not data.get("send_at"):
                self.add_error("send_at", _("Choose when to send it."))
            elif data["send_at"] < timezone.now():
                self.add_error("send_at", _("Choose a time in the future, or send now."))
        return data


class PreviewForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())
    person = forms.ModelChoiceField(label=_("As the contact"), queryset=None, required=False,
                                    empty_label=_("(me)"))
    variant = forms.ChoiceField(label=_("Subject"), choices=[("", "A"), ("B", "B")],
                                required=False)

    def __init__(self, *args, newsletter: Newsletter, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(v.language, v.get_language_display())
                                           for v in newsletter.versions.all()]
        self.fields["person"].queryset = people
        if newsletter.ab_test != Newsletter.ABTest.SUBJECT:
            del self.fields["variant"]


class SenderForm(forms.ModelForm):
    class Meta:
        model = Sender
        fields = ["from_name", "from_email", "reply_to", "postal_address", "rate_per_minute"]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}
