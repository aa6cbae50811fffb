"""A quicker <select> for filter bars on hot list pages.

Django renders each <option> through a template; a filter bar of six selects costs more
than the 25 rows of the list below it. This builds the same markup in one pass (every
label and value escaped by format_html_join).
"""

from django import forms, template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def fast_select(field: forms.BoundField):
    current = field.value()
    current = "" if current is None else str(current)
    if isinstance(field.field, forms.ModelChoiceField):
        choices = [("", field.field.empty_label or "")] + [
            (obj.pk, field.field.label_from_instance(obj))
            for obj in field.field.queryset]
    else:
        choices = list(field.field.choices)
    options = format_html_join(
        "", '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == current else "", label)
         for value, label in choices))
    return format_html('<label for="{}">{}</label><select name="{}" id="{}">{}</select>',
                       field.id_for_label, field.label, field.html_name, field.id_for_label,
                       options)
