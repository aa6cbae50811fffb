import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from circles.demo_data import DEMO_PASSWORD
from circles.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultant_logs_in_switches_to_french_and_logs_out(page, screenshot):
    call_command("demo", "--quiet-logins")

    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    screenshot("login")
    page.get_by_label("Email address").fill("oliver.brown@tsg.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Oliver")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()

    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Oliver")
    expect(page.get_by_role("heading", name="Ma journée")).to_be_visible()
    # On a desktop the main navigation is shown without opening the menu.
    expect(page.get_by_role("navigation", name="Principale").get_by_role(
        "link", name="Bureaux")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    screenshot("home-fr")
    assert User.objects.get(email="oliver.brown@tsg.example").language == "fr"

    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à tsgcrm")
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")


def test_the_home_page_fits_a_phone(browser, live_server):
    call_command("demo", "--quiet-logins")
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("james.wright@tsg.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My offices")).to_be_visible()
    # Nothing overflows sideways, and the menu opens to reach the offices page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_text("Menu").click()
    page.get_by_role("link", name="Offices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offices")
    page.screenshot(path="var/screenshots/offices-phone.png", full_page=True)
    context.close()
