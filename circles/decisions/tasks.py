"""Celery tasks of the logbook: ids in, one service call, no business logic here."""

from celery import shared_task

from . import notices


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
             soft_time_limit=120, time_limit=180)
def send_meeting_minutes(meeting_id: int) -> int:
    """Render the minutes PDF of a closed meeting and email it to the members (once)."""
    return notices.minutes_send(meeting_id=meeting_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_review_reminders() -> int:
    """Daily: decisions due for review and officer terms ending (each notice once)."""
    return notices.review_reminders_send()
