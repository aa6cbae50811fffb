import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from circles.models import Office, User
from tests.factories import OfficeFactory, UserFactory


def test_a_consultant_sees_only_their_own_office(consultant_a, office_a, office_a1, office_b):
    assert list(Office.objects.visible_to(consultant_a)) == [office_a]


def test_an_office_lead_also_sees_their_sub_offices(lead_a, office_a, office_a1, office_b):
    assert set(Office.objects.visible_to(lead_a)) == {office_a, office_a1}


def test_a_network_admin_sees_every_office(admin, office_a, office_a1, office_b):
    assert set(Office.objects.visible_to(admin)) == {office_a, office_a1, office_b}


def test_an_inactive_person_sees_nothing(consultant_a):
    consultant_a.is_active = False
    assert not Office.objects.visible_to(consultant_a).exists()


def test_people_are_scoped_like_their_offices(consultant_a, colleague_a, consultant_b, lead_a,
                                              consultant_a1):
    assert set(User.objects.visible_to(consultant_a)) == {consultant_a, colleague_a, lead_a}
    assert consultant_a1 in User.objects.visible_to(lead_a)
    assert consultant_b not in User.objects.visible_to(lead_a)


def test_it_lists_only_visible_offices(client, consultant_a, office_b):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:office_list"))
    assert response.status_code == 200
    assert "TSG Test France" in response.text
    assert "TSG Test España" not in response.text


def test_it_returns_404_for_another_offices_page(client, consultant_a, office_b):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:office_detail", args=[office_b.pk]))
    assert response.status_code == 404
    assert "TSG Test España" not in response.text


def test_a_consultant_cannot_open_a_sub_office_of_their_office(client, consultant_a, office_a1):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:office_detail", args=[office_a1.pk]))
    assert response.status_code == 404


def test_an_office_lead_opens_their_sub_office(client, lead_a, office_a1, consultant_a1):
    client.force_login(lead_a)
    response = client.get(reverse("circles:office_detail", args=[office_a1.pk]))
    assert response.status_code == 200
    assert "Lou A1" in response.text


def test_the_office_page_lists_its_people(client, consultant_a, colleague_a, consultant_b):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:office_detail", args=[consultant_a.office_id]))
    assert "Claude A" in response.text
    assert "Carmen B" not in response.text


def test_anonymous_visitors_are_sent_to_log_in(client, office_a):
    response = client.get(reverse("circles:office_detail", args=[office_a.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_office_list_runs_a_fixed_number_of_queries(client, admin,
                                                        django_assert_max_num_queries):
    for n in range(30):
        parent = OfficeFactory(name=f"National {n}")
        OfficeFactory(name=f"Sub {n}", parent=parent)
        UserFactory(office=parent)
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("circles:office_list"))
    assert response.text.count("National ") >= 30


def test_the_office_page_runs_a_fixed_number_of_queries(client, lead_a, office_a,
                                                        django_assert_max_num_queries):
    for n in range(10):
        sub = OfficeFactory(name=f"Sub {n}", parent=office_a)
        UserFactory(office=sub, is_office_lead=True)
        UserFactory(office=office_a)
    client.force_login(lead_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("circles:office_detail", args=[office_a.pk]))
    assert response.status_code == 200


def test_the_home_page_runs_a_fixed_number_of_queries(client, admin,
                                                      django_assert_max_num_queries):
    for n in range(20):
        UserFactory(office=OfficeFactory(name=f"National {n}"))
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("home"))
    assert response.status_code == 200


@pytest.mark.django_db
class TestOfficeValidation:
    def test_it_rejects_a_sub_office_of_a_sub_office(self, office_a, office_a1):
        nested = Office(name="Nested", parent=office_a1, country="FR", city="Lyon",
                        languages="fr", currency="EUR", time_zone="Europe/Paris")
        with pytest.raises(ValidationError) as error:
            nested.full_clean()
        assert "parent" in error.value.message_dict

    def test_it_rejects_an_office_that_is_its_own_parent(self, office_a):
        office_a.parent = office_a
        with pytest.raises(ValidationError) as error:
            office_a.full_clean()
        assert "own parent" in str(error.value)

    def test_it_rejects_making_a_parent_office_a_sub_office(self, office_a, office_a1,
                                                            office_b):
        office_a.parent = office_b
        with pytest.raises(ValidationError) as error:
            office_a.full_clean()
        assert "sub-offices of its own" in str(error.value)

    def test_it_rejects_unknown_languages_and_time_zones(self, office_a):
        office_a.languages = "fr,xx"
        office_a.time_zone = "Mars/Olympus"
        with pytest.raises(ValidationError) as error:
            office_a.full_clean()
        assert set(error.value.message_dict) >= {"languages", "time_zone"}

    def test_it_normalises_the_language_list(self, office_a):
        office_a.languages = " fr , en ,"
        office_a.full_clean()
        assert office_a.languages == "fr,en"


@pytest.mark.django_db
class TestPeople:
    def test_everyone_but_network_admins_needs_an_office(self):
        person = User(email="x@example.org", first_name="X", last_name="Y")
        person.set_password("whatever-long-enough")
        with pytest.raises(ValidationError) as error:
            person.full_clean()
        assert "office" in error.value.message_dict

    def test_network_admins_can_use_the_admin(self, admin):
        admin.refresh_from_db()
        assert admin.is_staff and admin.is_superuser

    def test_roles_are_listed_in_order(self, lead_a):
        assert lead_a.role_labels == ["Consultant", "Office lead"]

    def test_time_zone_falls_back_to_the_office(self, consultant_b):
        assert consultant_b.effective_time_zone == "Europe/Madrid"
        consultant_b.time_zone = "Atlantic/Canary"
        assert consultant_b.effective_time_zone == "Atlantic/Canary"
