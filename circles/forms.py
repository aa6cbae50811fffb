from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

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
