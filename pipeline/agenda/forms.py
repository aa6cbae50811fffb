from django import forms
from django.utils.translation import gettext_lazy as _

from circles.models import User
from tsgcrm.forms import DATE, TIME

from .models import TASK_LINKS, CalendarFeed, NotificationPreferences, Task

REMIND_BEFORE = [("", _("No reminder")), ("0", _("At the due time")),
                 ("15", _("15 minutes before")), ("60", _("1 hour before")),
                 ("1440", _("1 day before")), ("2880", _("2 days before"))]


class TaskForm(forms.ModelForm):
    recurrence = forms.ChoiceField(label=_("Repeats"), choices=Task.Repeat.choices,
                                   required=False)
    remind_before = forms.TypedChoiceField(label=_("Reminder"), choices=REMIND_BEFORE,
                                           required=False, coerce=int, empty_value=None)

    class Meta:
        model = Task
        fields = ["title", "due_date", "due_time", "duration", "assignee", "priority",
                  "recurrence", "notes", *TASK_LINKS]
        widgets = {"due_date": DATE, "due_time": TIME,
                   "notes": forms.Textarea(attrs={"rows": 3}),
                   "person": forms.HiddenInput, "organisation": forms.HiddenInput,
                   "deal": forms.HiddenInput, "circle": forms.HiddenInput,
                   "enrolment": forms.HiddenInput}

    def __init__(self, *args, people, links: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people
        self.fields["assignee"].required = False
        self.fields["assignee"].help_text = _("Empty: me.")
        for name, queryset in links.items():
            self.fields[name].queryset = queryset
        if self.instance.pk:
            reminder = self.instance.reminders.filter(sent_at__isnull=True).first()
            if reminder is not None:
                minutes = int((self.instance.due_at() - reminder.remind_at).total_seconds()
                              // 60)
                if str(minutes) in dict(REMIND_BEFORE):
                    self.fields["remind_before"].initial = str(minutes)

    @property
    def linked(self):
        """What the task is about, for the page to show (the fields are hidden)."""
        for name in TASK_LINKS:
            value = self[name].value()
            if value:
                obj = self.fields[name].queryset.filter(pk=value).first()
                if obj is not None:
                    return obj
        return None


class TaskMoveForm(forms.Form):
    kind = forms.ChoiceField(choices=[("task", "task"), ("next_step", "next_step")])
    pk = forms.IntegerField()
    date = forms.DateField()


class ReminderForm(forms.Form):
    text = forms.CharField(label=_("Remind me of"), max_length=200)
    remind_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreferences
        fields = ["reminder_email", "reminder_app", "digest", "digest_hour"]


class FeedForm(forms.Form):
    scope = forms.ChoiceField(label=_("Calendar"), choices=CalendarFeed.Scope.choices)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not (user.is_office_lead or user.is_network_admin):
            self.fields["scope"].choices = [(CalendarFeed.Scope.ME,
                                             CalendarFeed.Scope.ME.label)]
