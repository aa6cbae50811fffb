"""Writes and side effects for the network's organisation: people, circles, roles."""

from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import Circle, Membership, OfficerRole, User


def password_reset_email_send(*, user: User, site_url: str) -> None:
    """Send the password-reset link to `user`, in their own language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {"user": user, "reset_url": f"{site_url.rstrip('/')}{path}"}
        subject = render_to_string("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.txt", context)
        html = render_to_string("registration/password_reset_email.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=body, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


# --- Circle membership and officer roles ---------------------------------------------------
# Every write records who made it (django-simple-history) and runs in one transaction.


def record_by(instance, by: User | None) -> None:
    if by is not None:
        instance._history_user = by


@transaction.atomic
def membership_add(*, circle: Circle, person: User, since: date, by: User | None) -> Membership:
    Circle.objects.select_for_update().filter(pk=circle.pk).first()
    membership = Membership(circle=circle, person=person, since=since)
    membership.full_clean()
    record_by(membership, by)
    membership.save()
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, until: date, by: User | None) -> None:
    """End a membership; the roles the person held in the circle end with it."""
    if until < membership.since:
        raise ValidationError({"until": _("A membership cannot end before it starts.")})
    membership.until = until
    record_by(membership, by)
    membership.save(update_fields=["until"])
    for holding in OfficerRole.objects.held().filter(circle_id=membership.circle_id,
                                                     person_id=membership.person_id):
        officer_end(holding=holding, ended_on=max(until, holding.started_on), by=by)


@transaction.atomic
def officer_assign(*, circle: Circle, person: User, role: str, started_on: date,
                   term_end: date | None, by: User | None) -> OfficerRole:
    """Give `person` a role in `circle`, handing over from the current holder of a role
    that has only one holder (leader, facilitator, secretary)."""
    Circle.objects.select_for_update().filter(pk=circle.pk).first()
    holding = OfficerRole(circle=circle, person=person, role=role, started_on=started_on,
                          term_end=term_end)
    holding.full_clean(validate_constraints=False)
    if role in OfficerRole.SINGLE_HOLDER:
        for previous in OfficerRole.objects.held().filter(circle=circle, role=role):
            officer_end(holding=previous, ended_on=max(started_on, previous.started_on), by=by)
    elif OfficerRole.objects.held().filter(circle=circle, role=role, person=person).exists():
        raise ValidationError({"person": _("%(person)s already holds this role.")
                               % {"person": person}})
    record_by(holding, by)
    holding.save()
    return holding


@transaction.atomic
def officer_end(*, holding: OfficerRole, ended_on: date, by: User | None) -> None:
    if ended_on < holding.started_on:
        raise ValidationError({"ended_on": _("A role cannot end before its term starts.")})
    holding.ended_on = ended_on
    record_by(holding, by)
    holding.save(update_fields=["ended_on"])
