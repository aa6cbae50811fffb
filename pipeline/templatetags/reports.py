from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """A converted sum with its currency, or why it cannot be given."""
    if value is None:
        return "—"
    if getattr(value, "total", 0) is None:
        return _("— (no rate for %(currency)s)") % {"currency": ", ".join(sorted(value.missing))}
    total = getattr(value, "total", value)
    return f"{floatformat(total, '0g')} {currency}".strip()


@register.filter
def days(value) -> str:
    return "—" if value is None else floatformat(value, 1)


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{floatformat(value, 1)} %"



@register.filter
def month_name(key: str) -> str:
    """ "2027-03" as the month's name in the active language."""
    import datetime as dt

    from django.utils.formats import date_format

    return date_format(dt.date.fromisoformat(f"{key}-01"), "YEAR_MONTH_FORMAT")
