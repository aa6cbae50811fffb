from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TsgcrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tsgcrm"
    verbose_name = _("tsgcrm")
