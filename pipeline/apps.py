from django.apps import AppConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _


def _deal_changed(sender, instance, **kwargs) -> None:
    from .selectors import bump_board_version

    # After commit: a rolled-back change leaves the cached board totals valid.
    transaction.on_commit(lambda: bump_board_version(instance.office_id))


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Deal

        post_save.connect(_deal_changed, sender=Deal, dispatch_uid="pipeline.deal_saved")
        post_delete.connect(_deal_changed, sender=Deal, dispatch_uid="pipeline.deal_deleted")
