from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Circle, Membership, OfficerRole, User
from .tasks import send_password_reset_email


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes out through Celery, after the request commits.

    The page answers the same whether or not the address is known, so it cannot be used
    to find out who has an account.
    """

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *args, request=None, **kwargs) -> None:  # type: ignore[override]
        # ALLOWED_HOSTS vets the host, so the link points where the person asked from.
        site_url = request.build_absolute_uri("/") if request is not None else settings.SITE_URL
        for user in self.get_users(self.cleaned_data["email"]):
            user_id = user.pk
            transaction.on_commit(
                lambda uid=user_id: send_password_reset_email.delay(uid, site_url)
            )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def eligible_people(circle: Circle):
    """Who may join a circle: for an office's circle, the people of that office, its
    parent office and its sub-offices (the double link crosses those levels); anyone in
    the network for a network-wide circle."""
    people = User.objects.filter(is_active=True).select_related("office")
    if circle.office_id is None:
        return people
    office = circle.office
    scope = Q(office=office) | Q(office__parent=office)
    if office.parent_id:
        scope |= Q(office_id=office.parent_id)
    return people.filter(scope)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.office}" if obj.office_id else str(obj)


class MembershipForm(forms.Form):
    person = PersonChoiceField(queryset=User.objects.none(), label=_("Person"))
    since = forms.DateField(label=_("Member since"), widget=DateInput())

    def __init__(self, *args, circle: Circle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.circle = circle
        current = Membership.objects.current().filter(circle=circle).values("person_id")
        self.fields["person"].queryset = eligible_people(circle).exclude(pk__in=current)
        self.fields["since"].initial = timezone.localdate


class OfficerRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OfficerRole.Role.choices)
    person = PersonChoiceField(queryset=User.objects.none(), label=_("Person"),
                               help_text=_("Only members of the circle hold its roles."))
    started_on = forms.DateField(label=_("Term start"), widget=DateInput())
    term_end = forms.DateField(label=_("Term end"), widget=DateInput(), required=False,
                               help_text=_("Required for elected roles (facilitator, "
                                           "secretary, second link)."))

    def __init__(self, *args, circle: Circle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.circle = circle
        members = Membership.objects.current().filter(circle=circle).values("person_id")
        self.fields["person"].queryset = (
            User.objects.filter(pk__in=members).select_related("office")
            .order_by("last_name", "first_name"))
        self.fields["started_on"].initial = timezone.localdate

    def clean(self) -> dict:
        data = super().clean()
        start, end, role = data.get("started_on"), data.get("term_end"), data.get("role")
        if start and end and end <= start:
            self.add_error("term_end", _("The term must end after it starts."))
        elif role in OfficerRole.ELECTED and start and not end:
            self.add_error("term_end", _("An elected role needs a term end date."))
        return data


class EndDateForm(forms.Form):
    on = forms.DateField(label=_("Ends on"), widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate
