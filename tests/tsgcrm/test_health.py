from django.urls import reverse

from tsgcrm.celery import app


def test_healthz_checks_the_database_and_the_broker(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_healthz_reports_a_broker_that_is_down(client, db, monkeypatch):
    # Nothing listens on port 1: the broker check must fail, quickly, with a 503.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")


def test_a_database_out_of_reach_gets_a_friendly_503_then_the_app_recovers(
        client, transactional_db, consultant_a):
    """A real connection failure (nothing listens on port 1), not a mock: the page says
    the app is back in a moment, with Retry-After; once the database answers again, the
    same request works without a restart."""
    from django.db import connection

    client.force_login(consultant_a)
    assert client.get(reverse("home")).status_code == 200
    client.raise_request_exception = False  # as in production: the handler answers
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get(reverse("home"))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert b"back in a moment" in response.content
        assert client.get(reverse("healthz")).status_code == 503
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert client.get(reverse("home")).status_code == 200
