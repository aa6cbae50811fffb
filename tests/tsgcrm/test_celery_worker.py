"""Background work through a real Celery worker consuming from the real Redis broker."""

import time

import pytest
from django.core import mail
from django.urls import reverse


def _wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_email_goes_through_the_worker(client, consultant_b,
                                                        celery_worker_on_redis):
    response = client.post(reverse("password_reset"), {"email": "consultant.b@example.org"})
    assert response.status_code == 302
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the email"
    message = mail.outbox[0]
    assert message.to == ["consultant.b@example.org"]
    assert "restablecer" in message.subject  # rendered in the person's language
    assert message.alternatives and message.alternatives[0][1] == "text/html"


@pytest.mark.django_db(transaction=True)
def test_the_worker_skips_a_person_deactivated_in_the_meantime(consultant_a, consultant_b,
                                                               celery_worker_on_redis):
    from circles.tasks import send_password_reset_email

    consultant_b.is_active = False
    consultant_b.save()
    # One worker, one process: the tasks run in the order they were sent, so once the
    # second email is out the first task has been handled too.
    send_password_reset_email.delay(consultant_b.pk, "http://testserver/")
    send_password_reset_email.delay(consultant_a.pk, "http://testserver/")
    assert _wait_for(lambda: len(mail.outbox) >= 1)
    time.sleep(0.5)
    assert [m.to for m in mail.outbox] == [["consultant.a@example.org"]]
