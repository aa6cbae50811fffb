"""The security checks of bench/security.py, run on the small network of tests/conftest.py.

The script runs them on the demo network (`python bench/security.py`); here the same
functions run on office A's seeded objects with the people of office B as outsiders, so a
leak, an unescaped field, a missing CSRF check or a server error fails the test suite too.
Each test prints the failing cases (URL, user, status) in its assertion message.
"""

import json

import pytest

from bench import security
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 on every log-in and every fixture person would take most of the time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(office_a, office_b, consultant_a, lead_a, consultant_b):
    lead_b = UserFactory(email="lead.b@example.org", first_name="Lucía", last_name="Lead",
                         office=office_b, is_office_lead=True, language="es")
    return security.Cast(office_a=office_a, office_b=office_b, insider=consultant_a,
                         lead_a=lead_a, outsiders=[consultant_b, lead_b], password=PASSWORD)


@pytest.fixture
def targets(cast):
    return security.seed(cast)


def assert_clean(check: security.Check) -> None:
    assert check.cases > 0, f"{check.name}: no case was tried"
    shown = json.dumps(check.failures[:30], indent=1, default=str)
    assert not check.failures, f"{check.name}: {len(check.failures)} failures\n{shown}"


def test_every_url_refuses_anonymous_visitors_and_other_offices(cast, targets):
    check = security.check_access(cast, targets)
    assert check.cases > 300  # every URL, three visitors, plain and htmx
    assert_clean(check)


def test_other_offices_cannot_post_to_office_a_objects(cast, targets):
    assert_clean(security.check_outsider_posts(cast, targets))


def test_every_post_needs_a_csrf_token(cast, targets):
    assert_clean(security.check_csrf(cast, targets))


def test_every_seeded_field_is_escaped_wherever_it_shows(cast, targets):
    assert_clean(security.check_xss(cast, targets, insider_too=False))


def test_sql_ish_input_in_filters_never_errs_nor_leaks(cast, targets):
    assert_clean(security.check_sql(cast, targets,
                                    payloads=["' OR 1=1 --", "\x00", "x" * 5000]))


def test_redirects_stay_on_the_site(cast, targets):
    assert_clean(security.check_redirects(
        cast, targets, evils=["https://evil.example/", "//evil.example/", "/\\evil.example/",
                              "javascript:alert(1)"]))


def test_login_is_throttled(cast, targets):
    assert_clean(security.check_bruteforce(cast, targets))


def test_security_headers_in_production(cast, targets):
    assert_clean(security.check_headers(cast, targets))


def test_check_deploy_is_clean():
    assert_clean(security.check_deploy())
