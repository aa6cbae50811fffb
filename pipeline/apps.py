from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _deal_changed(sender, instance, **kwargs) -> None:
    from tsgcrm.counts import bump_on_commit

    # The office's cached board totals and list counts are stale once this commits.
    bump_on_commit("deals", instance.office_id)


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Deal

        post_save.connect(_deal_changed, sender=Deal, dispatch_uid="pipeline.deal_saved")
        from .models import Phase, Routine
        from .selectors import forget_phases

        for model in (Phase, Routine):
            for signal in (post_save, post_delete):
                signal.connect(forget_phases, sender=model,
                               dispatch_uid=f"pipeline.forget_phases.{model.__name__}")
        post_delete.connect(_deal_changed, sender=Deal, dispatch_uid="pipeline.deal_deleted")
