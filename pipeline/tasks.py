"""Celery tasks of the pipeline: ids in, one service call, no business logic here."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext_noop

from .agenda import services
from .reports import services as reports


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_due_reminders() -> int:
    """Every minute (beat): reminders whose time has come, each exactly once."""
    return services.reminders_send_due()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_follow_up_digests() -> int:
    """Every quarter of an hour (beat): each consultant's daily digest, at their hour."""
    return services.digests_send()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def render_report(run_id: int) -> bool:
    """On the `reports` queue (its own worker, with a memory limit per process): make a
    report's PDF and tell whoever asked for it."""
    try:
        return reports.report_render(run_id=run_id)
    except SoftTimeLimitExceeded:
        reports.report_failed(run_id=run_id,
                              error=gettext_noop("The report took too long to make."))
        return False


@shared_task
def recover_report_runs() -> int:
    """Every two minutes (beat): report runs whose task was lost or whose worker died are
    queued again, or reported failed once too old; never left "being made"."""
    again, failed = reports.runs_recover()
    return len(again) + failed


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_report_subscriptions() -> int:
    """Daily (beat): weekly and monthly reports to their subscribers, once per period."""
    return reports.deliveries_send()
