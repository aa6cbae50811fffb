"""Newsletter work for Celery: the beat job that starts due sends, starting one, sending
batches (on the "newsletters" queue), and recounting readers' engagement."""

from celery import shared_task

from . import sending, services
from .models import Delivery


@shared_task
def dispatch_newsletters() -> None:
    services.dispatch()


@shared_task
def start_newsletter(newsletter_id: int) -> int:
    return services.newsletter_start(newsletter_id)


@shared_task
def send_newsletter_batch(newsletter_id: int) -> int:
    """Send for up to NEWSLETTER_BATCH_SECONDS, then hand on to a fresh task while rows are
    left, so a long send never holds one task for hours."""
    handed = sending.send_batch(newsletter_id)
    if handed and sending.still_sending(newsletter_id) and Delivery.objects.filter(
            newsletter_id=newsletter_id, status=Delivery.Status.QUEUED).exists():
        send_newsletter_batch.delay(newsletter_id)
    return handed


@shared_task
def refresh_readers(newsletter_id: int | None = None) -> int:
    """After a send, its recipients; nightly (no id), everyone."""
    people = None
    if newsletter_id is not None:
        people = list(Delivery.objects.filter(newsletter_id=newsletter_id)
                      .values_list("person_id", flat=True))
    return services.refresh_readers(people)
