from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/form.html: label, field, error, help."""

    form_template_name = "forms/form.html"
