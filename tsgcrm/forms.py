from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

# Browsers read a date or time field's value in ISO whatever the language of the page.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class FormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/form.html: label, field, error, help."""

    form_template_name = "forms/form.html"


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message next to its field when
    the form has that field, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
