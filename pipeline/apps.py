from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _deal_changed(sender, instance, **kwargs) -> None:
    from tsgcrm.counts import bump_on_commit

    # The office's cached board totals, list counts and reports are stale once this
    # commits.
    bump_on_commit("deals", instance.office_id)
    bump_on_commit("reports", instance.office_id)
    from .reports.history import deal_saved

    deal_saved(instance.office_id, kwargs.get("update_fields"))
    before = getattr(instance, "_loaded_office_id", None)
    if before is not None and before != instance.office_id:  # moved to another office
        for scope in ("deals", "reports", "history", "moves"):
            bump_on_commit(scope, before)
        instance._loaded_office_id = instance.office_id


def _report_row_changed(sender, instance, **kwargs) -> None:
    """A move, interaction, objection or task changed: the office's reports are stale."""
    from tsgcrm.counts import bump_on_commit

    if instance.office_id is not None:  # each of them keeps its office
        bump_on_commit("reports", instance.office_id)


def _move_changed(sender, instance, **kwargs) -> None:
    """A move changed: its week's cached report figures too, and maybe the past."""
    from .reports.history import move_changed
    from .reports.moves import bump_weeks

    bump_weeks(instance.office_id, [instance.moved_at])
    move_changed(instance.office_id, instance.moved_at, deleted="created" not in kwargs)


def _rates_changed(sender, **kwargs) -> None:
    from tsgcrm.counts import bump

    bump("reports", 0)  # office 0 stands for the exchange rates every report reads


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
        from .agenda.models import Task
        from .models import ExchangeRate, Interaction, Objection, PhaseMove

        for model in (PhaseMove, Interaction, Objection, Task):
            for signal in (post_save, post_delete):
                signal.connect(_report_row_changed, sender=model,
                               dispatch_uid=f"pipeline.report_rows.{model.__name__}")
        for signal in (post_save, post_delete):
            signal.connect(_move_changed, sender=PhaseMove, dispatch_uid="pipeline.moves")
            signal.connect(_rates_changed, sender=ExchangeRate,
                           dispatch_uid="pipeline.report_rates")
