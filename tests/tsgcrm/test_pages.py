from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import UserFactory


def test_the_login_page_is_public_and_translated(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "Se connecter à tsgcrm" in response.text


def test_a_consultants_home_shows_their_day_and_office(client, consultant_a, colleague_a):
    client.force_login(consultant_a)
    response = client.get(reverse("home"))
    assert "My day" in response.text
    assert "Claude A" in response.text
    assert "My circles' logbooks" not in response.text  # not a secretary
    assert "My offices" not in response.text  # not a lead


def test_a_consultants_home_counts_their_deals(client, consultant_a):
    from datetime import date, timedelta

    from pipeline.services import deal_create

    deal_create(office=consultant_a.office, by=consultant_a,
                data={"title": "Late one", "next_step_date": date.today() - timedelta(days=2)})
    client.force_login(consultant_a)
    response = client.get(reverse("home"))
    assert "Open my board" in response.text
    assert f"?owner={consultant_a.pk}&amp;overdue=on" in response.text


def test_an_office_leads_home_shows_their_offices(client, lead_a, office_a1, office_b):
    client.force_login(lead_a)
    response = client.get(reverse("home"))
    assert "My offices" in response.text
    assert "TSG Test France – Lyon" in response.text
    assert "TSG Test España" not in response.text


def test_a_secretarys_home_shows_the_logbooks(client, colleague_a):
    client.force_login(colleague_a)
    assert "My circles' logbooks" in client.get(reverse("home")).text


def test_the_home_page_lists_my_circles_and_roles(client, consultant_a):
    from circles.models import OfficerRole
    from tests.factories import CircleFactory, give_role, join, top_circle

    circle = CircleFactory(name="Training A", parent=top_circle(), office=consultant_a.office)
    join(circle, consultant_a)
    give_role(circle, consultant_a, OfficerRole.Role.LEADER)
    client.force_login(consultant_a)
    response = client.get(reverse("home"))
    assert "Training A" in response.text
    assert "Operational leader" in response.text


def test_a_network_admins_home_shows_the_whole_network(client, admin, office_a, office_b):
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert "The network" in response.text
    assert "TSG Test España" in response.text
    assert reverse("admin:circles_office_changelist") in response.text


def test_switching_language_is_remembered_on_the_account(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    consultant_a.refresh_from_db()
    assert consultant_a.language == "fr"
    assert "Bienvenue" in client.get(reverse("home")).text


def test_logging_in_restores_the_saved_language(client, consultant_b):
    from tests.factories import PASSWORD

    client.post(reverse("login"), {"username": consultant_b.email, "password": PASSWORD})
    assert client.cookies["django_language"].value == "es"
    assert "Te damos la bienvenida" in client.get(reverse("home")).text


def test_an_unknown_language_changes_nothing(client, consultant_a):
    client.force_login(consultant_a)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    consultant_a.refresh_from_db()
    assert consultant_a.language == "en"


def test_pages_use_the_persons_time_zone(rf, consultant_b):
    from django.http import HttpResponse
    from django.utils import timezone

    from tsgcrm.middleware import UserTimezoneMiddleware

    seen = []

    def view(request):
        seen.append(str(timezone.get_current_timezone()))
        return HttpResponse()

    request = rf.get("/")
    request.user = consultant_b
    UserTimezoneMiddleware(view)(request)
    assert seen == ["Europe/Madrid"]


def test_the_404_page_is_friendly(client, consultant_a):
    client.force_login(consultant_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert "Go to my home page" in response.text


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html


def test_people_of_another_office_never_appear_on_my_home(client, consultant_a):
    stranger = UserFactory(first_name="Zed", last_name="Stranger")
    client.force_login(consultant_a)
    assert str(stranger) not in client.get(reverse("home")).text
