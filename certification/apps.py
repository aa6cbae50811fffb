from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certification"
    verbose_name = _("Certification")

    def ready(self) -> None:
        from circles.decisions.signals import decision_adopted

        from .services import on_decision_adopted

        decision_adopted.connect(on_decision_adopted,
                                 dispatch_uid="certification.on_decision_adopted")
