from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self) -> None:
        from anymail.signals import tracking

        from .tracking import provider_event

        tracking.connect(provider_event, dispatch_uid="newsletters.provider_event")
