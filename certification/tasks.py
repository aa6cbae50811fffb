"""Celery tasks of the certification paths: ids in, one service call, no logic here."""

from celery import shared_task

from . import notices


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
             soft_time_limit=120, time_limit=180)
def issue_certificate(certificate_id: int) -> bool:
    """Render the certificate PDF, store it and email it to its holder (once)."""
    return notices.certificate_issue(certificate_id=certificate_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_certification_reminders() -> int:
    """Daily (beat): stage due dates and mentor check-ins, each notice once."""
    return notices.reminders_send()
