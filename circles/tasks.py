from celery import shared_task

from .models import User
from .services import password_reset_email_send


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_email(user_id: int, site_url: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).select_related("office").first()
    if user is None:  # deactivated or deleted since the request: nothing to send
        return
    password_reset_email_send(user=user, site_url=site_url)


# The logbook's tasks, so that the worker's autodiscovery (circles.tasks) registers them.
from .decisions.tasks import send_meeting_minutes, send_review_reminders  # noqa: E402, F401
