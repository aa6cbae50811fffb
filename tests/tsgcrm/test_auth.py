from django.core import mail
from django.urls import reverse

from circles.models import User
from tests.factories import PASSWORD


def test_people_log_in_with_their_email_in_any_case(client, consultant_a):
    response = client.post(reverse("login"),
                           {"username": "Consultant.A@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_shows_an_error_and_keeps_the_email(client, consultant_a):
    response = client.post(reverse("login"),
                           {"username": "consultant.a@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.text
    assert 'value="consultant.a@example.org"' in response.text


def test_logins_are_throttled_after_repeated_failures(client, consultant_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "consultant.a@example.org", "password": "x"})
    # Even the right password is refused while the lock lasts.
    response = client.post(reverse("login"),
                           {"username": "consultant.a@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_a_lock_on_one_address_leaves_others_alone(client, consultant_a, colleague_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "consultant.a@example.org", "password": "x"})
    response = client.post(reverse("login"),
                           {"username": "colleague.a@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_logout_needs_a_post_and_ends_the_session(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_passwords_are_hashed_with_argon2(consultant_a):
    assert consultant_a.password.startswith("argon2")


def test_a_person_changes_their_password(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD,
        "new_password1": "a-much-better-passphrase",
        "new_password2": "a-much-better-passphrase",
    })
    assert response.status_code == 302
    consultant_a.refresh_from_db()
    assert consultant_a.check_password("a-much-better-passphrase")


def test_a_weak_new_password_is_rejected_next_to_the_field(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "123", "new_password2": "123",
    })
    assert response.status_code == 200
    assert 'class="field field--error"' in response.text
    assert "too short" in response.text


def test_password_reset_queues_the_email_after_commit(client, consultant_a,
                                                      django_capture_on_commit_callbacks):
    from tsgcrm.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("password_reset"),
                                   {"email": "CONSULTANT.A@example.org"})
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["consultant.a@example.org"]
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    response = client.get(link.replace("http://testserver", ""), follow=True)
    assert "Choose a new password" in response.text


def test_password_reset_answers_the_same_for_unknown_addresses(
        client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert callbacks == []


def test_the_reset_email_speaks_the_persons_language(consultant_b):
    from circles.services import password_reset_email_send

    password_reset_email_send(user=consultant_b, site_url="https://crm.example.org")
    assert mail.outbox[0].subject == "Tu enlace para restablecer la contraseña de tsgcrm"
    assert "https://crm.example.org/accounts/reset/" in mail.outbox[0].body


def test_user_emails_are_stored_lower_case(office_a):
    person = User.objects.create_user("MiXeD@Example.ORG", "long-enough-pass", first_name="M",
                                      last_name="X", office=office_a)
    assert person.email == "mixed@example.org"
