"""The shared cast every access test uses.

Office A (Paris) has a sub-office A1 (Lyon); office B (Madrid) is another national office.
- consultant_a works in A, colleague_a too;
- consultant_b works in B (the outsider for everything of A's);
- lead_a leads office A, so sees A and A1;
- admin is a network admin and sees everything.
"""

import pytest
from django.core.cache import cache

from circles.models import Office, User
from tests.factories import OfficeFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (database ids repeat from one run to the
    next, so cached values must not outlive a test)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def office_a(db) -> Office:
    return OfficeFactory(name="TSG Test France", city="Paris", country="FR")


@pytest.fixture
def office_a1(office_a: Office) -> Office:
    return OfficeFactory(name="TSG Test France – Lyon", city="Lyon", parent=office_a)


@pytest.fixture
def office_b(db) -> Office:
    return OfficeFactory(name="TSG Test España", city="Madrid", country="ES", languages="es",
                         time_zone="Europe/Madrid")


@pytest.fixture
def consultant_a(office_a: Office) -> User:
    return UserFactory(email="consultant.a@example.org", first_name="Camille", last_name="A",
                       office=office_a)


@pytest.fixture
def colleague_a(office_a: Office) -> User:
    return UserFactory(email="colleague.a@example.org", first_name="Claude", last_name="A",
                       office=office_a, is_secretary=True)


@pytest.fixture
def consultant_a1(office_a1: Office) -> User:
    return UserFactory(email="consultant.a1@example.org", first_name="Lou", last_name="A1",
                       office=office_a1)


@pytest.fixture
def consultant_b(office_b: Office) -> User:
    return UserFactory(email="consultant.b@example.org", first_name="Carmen", last_name="B",
                       office=office_b, language="es")


@pytest.fixture
def lead_a(office_a: Office, office_a1: Office) -> User:
    return UserFactory(email="lead.a@example.org", first_name="Julien", last_name="Lead",
                       office=office_a, is_office_lead=True)


@pytest.fixture
def admin(office_a: Office) -> User:
    return UserFactory(email="admin@example.org", first_name="Anne", last_name="Admin",
                       office=None, is_consultant=False, is_network_admin=True)


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    """A real Celery worker consuming from the real Redis broker, in this process."""
    from celery.contrib.testing.worker import start_worker

    from tsgcrm.celery import app

    assert app.conf.broker_url.startswith("redis://"), "tests run against Redis"
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False,
                      shutdown_timeout=10):
        yield


@pytest.fixture
def worker_processes(transactional_db, tmp_path):
    """Start real Celery worker processes (as in production: separate processes on the
    real Redis broker and the test database), sending email to files in a folder. Returns
    a function start(n) -> the folder the emails land in."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    processes: list[subprocess.Popen] = []
    outbox = tmp_path / "outbox"
    outbox.mkdir()

    def start(count: int, queues: str = "celery,reports", env: dict | None = None) -> Path:
        extra = env or {}
        db = connection.settings_dict
        env = {**os.environ,
               "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
                               f"{db['PORT']}/{db['NAME']}",
               "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
               "EMAIL_FILE_PATH": str(outbox), **extra}
        celery = str(Path(sys.executable).with_name("celery"))
        for n in range(count):
            processes.append(subprocess.Popen(  # noqa: S603 - our celery, fixed arguments
                [celery, "-A", "tsgcrm", "worker", "--pool=solo", "--loglevel=WARNING",
                 "-Q", queues,
                 f"--hostname=test{n}@%h", "--without-gossip", "--without-mingle"],
                env=env, stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"worker{n}.log").open("w")))
        return outbox

    start.processes = processes  # a test may kill one
    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def emails_in(folder) -> list[str]:
    """The subjects of the emails the file backend wrote in `folder`."""
    subjects = []
    for path in sorted(folder.iterdir()):
        subjects += [line[len("Subject: "):] for line in path.read_text().splitlines()
                     if line.startswith("Subject: ")]
    return subjects


@pytest.fixture
def smtp_sink():
    """Start SMTP servers on loopback that keep what they receive: smtp_sink(delay) ->
    the server (`.port`, `.count`, `.recipients`, `.messages`); `delay` seconds a
    message, as a real server takes."""
    from tsgcrm import smtpsink

    controllers = []

    def start(delay: float = 0.0):
        controller, server, port = smtpsink.start(delay=delay, keep=True)
        server.port = port
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()
