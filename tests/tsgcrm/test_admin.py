from django.urls import reverse

from circles.models import Office, User
from tests.factories import PASSWORD


def test_the_admin_lists_offices_with_filters_and_search(client, admin, office_a, office_a1):
    client.force_login(admin)
    response = client.get(reverse("admin:circles_office_changelist"), {"q": "Lyon"})
    assert response.status_code == 200
    assert "TSG Test France – Lyon" in response.text
    response = client.get(reverse("admin:circles_office_changelist"), {"level": "sub"})
    assert "TSG Test France – Lyon" in response.text


def test_the_office_page_in_admin_shows_sub_offices_and_members(client, admin, office_a,
                                                                office_a1, consultant_a):
    client.force_login(admin)
    response = client.get(reverse("admin:circles_office_change", args=[office_a.pk]))
    assert response.status_code == 200
    assert "TSG Test France – Lyon" in response.text
    assert "consultant.a@example.org" in response.text


def test_an_admin_adds_a_person_who_can_then_log_in(client, admin, office_a):
    client.force_login(admin)
    response = client.post(reverse("admin:circles_user_add"), {
        "email": "new.expert@example.org", "first_name": "New", "last_name": "Expert",
        "office": office_a.pk, "language": "fr", "is_consultant": "on",
        "usable_password": "true",
        "password1": "a-strong-passphrase-1", "password2": "a-strong-passphrase-1",
    })
    assert response.status_code == 302, response.text
    person = User.objects.get(email="new.expert@example.org")
    assert person.office == office_a and person.is_consultant
    client.logout()
    assert client.post(reverse("login"), {"username": "new.expert@example.org",
                                          "password": "a-strong-passphrase-1"}).status_code == 302


def test_the_admin_rejects_a_nested_sub_office(client, admin, office_a1):
    client.force_login(admin)
    response = client.post(reverse("admin:circles_office_add"), {
        "name": "Too deep", "parent": office_a1.pk, "active": "on", "country": "FR",
        "city": "Lyon", "time_zone": "Europe/Paris", "languages": "fr", "currency": "EUR",
        "sub_offices-TOTAL_FORMS": "0", "sub_offices-INITIAL_FORMS": "0",
        "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "must belong to a national office" in response.text
    assert not Office.objects.filter(name="Too deep").exists()


def test_the_deactivate_action_spares_the_admin_themself(client, admin, consultant_a):
    client.force_login(admin)
    client.post(reverse("admin:circles_user_changelist"), {
        "action": "deactivate", "_selected_action": [admin.pk, consultant_a.pk],
    })
    consultant_a.refresh_from_db()
    admin.refresh_from_db()
    assert not consultant_a.is_active
    assert admin.is_active


def test_consultants_and_office_leads_cannot_enter_the_admin(client, consultant_a, lead_a):
    for person in (consultant_a, lead_a):
        client.force_login(person)
        response = client.get(reverse("admin:circles_office_changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response.url


def test_people_search_in_admin(client, admin, consultant_a, consultant_b):
    client.force_login(admin)
    response = client.get(reverse("admin:circles_user_changelist"), {"q": "Test España"})
    assert "consultant.b@example.org" in response.text
    assert "consultant.a@example.org" not in response.text
    assert PASSWORD not in response.text
