"""Writes and side effects for the network's organisation (offices and people)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


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
