"""The project's own invariants: deploy checks, migrations, compose file, demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from circles.demo_data import DEMO_LOGINS, OFFICES, PEOPLE
from circles.models import Office, User

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": "x7$Kq9!vR2#mZ4@pL8^tW1&yN6*bH3(cJ5)fD0_gS-uE+aQ=oI~eY`rT|kU<wX>",
        "ALLOWED_HOSTS": "crm.example.org",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "TSGCRM_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {"PATH": os.environ["PATH"], "DEBUG": "0", "TSGCRM_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
    # The web server's entry point keeps the production default even with nothing set.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import tsgcrm.wsgi"], cwd=ROOT, capture_output=True,
        text=True, timeout=120,
        env={"PATH": os.environ["PATH"], "TSGCRM_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_manage_py_alone_runs_in_development_mode(tmp_path):
    env = {"PATH": os.environ["PATH"], "TSGCRM_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-v", "0", "-c",
         "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.stdout.strip() == "True", result.stderr


def test_the_embedded_default_uses_sqlite_and_a_filesystem_broker(tmp_path):
    env = {"PATH": os.environ["PATH"], "DEBUG": "1", "TSGCRM_VAR_DIR": str(tmp_path)}
    code = ("from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"], (
        result.stderr)


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_compose_file_describes_the_whole_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "mail"} <= set(services)
    assert "gunicorn" in " ".join(services["web"]["command"])
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert "db" in services[name]["depends_on"]
    assert services["db"]["ports"] == ["127.0.0.1:5432:5432"]
    assert services["redis"]["ports"] == ["127.0.0.1:6379:6379"]


@pytest.mark.django_db
def test_the_demo_network_is_realistic_and_idempotent():
    call_command("demo", "--quiet-logins")
    call_command("demo", "--quiet-logins")
    assert Office.objects.filter(parent__isnull=True).count() == 6
    assert Office.objects.filter(parent__isnull=False).count() == 5
    assert User.objects.count() == len(PEOPLE) >= 30
    assert Office.objects.count() == len(OFFICES)
    spain = Office.objects.get(name="TSG España")
    assert {o.city for o in spain.sub_offices.all()} == {"Barcelona", "Málaga", "Bilbao"}
    languages = {lang for o in Office.objects.all() for lang in o.language_list}
    assert {"fr", "en", "es"} <= languages
    for role in ("is_consultant", "is_secretary", "is_office_lead", "is_network_admin"):
        assert User.objects.filter(**{role: True}).exists(), role
    for _role, email in DEMO_LOGINS:
        assert User.objects.get(email=email).check_password("tsg-demo-2026")


@pytest.mark.django_db
def test_the_demo_keeps_a_password_someone_changed():
    call_command("demo", "--quiet-logins")
    person = User.objects.get(email="oliver.brown@tsg.example")
    person.set_password("my-own-secret-pass")
    person.save()
    call_command("demo", "--quiet-logins")
    person.refresh_from_db()
    assert person.check_password("my-own-secret-pass")
