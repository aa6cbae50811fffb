"""Celery tasks of the pipeline: ids in, one service call, no business logic here."""

from celery import shared_task

from .agenda import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_due_reminders() -> int:
    """Every minute (beat): reminders whose time has come, each exactly once."""
    return services.reminders_send_due()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_follow_up_digests() -> int:
    """Every quarter of an hour (beat): each consultant's daily digest, at their hour."""
    return services.digests_send()
