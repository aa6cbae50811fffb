import pytest
from django.urls import reverse

from contacts.models import Persona

pytestmark = pytest.mark.django_db


def test_a_persona_is_written_with_its_objections(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:persona_create"), {
        "name": "Owner of a 15-person company", "elevator_pitch": "We help leaders decide.",
        "situation": "", "demographics": "", "behaviour": "", "objectives": "",
        "challenges": "", "what_we_can_do": "", "insights": "", "product_description": "",
        "adopted_by": "", "adopted_on": "",
        "objections-TOTAL_FORMS": "1", "objections-INITIAL_FORMS": "0",
        "objections-0-category": "price", "objections-0-objection": "Too expensive",
        "objections-0-answer": "A bad decision costs more.",
    })
    assert response.status_code == 302
    persona = Persona.objects.get()
    assert persona.office == consultant_a.office
    assert persona.objections.get().answer == "A bad decision costs more."
    page = client.get(persona.get_absolute_url())
    assert "Too expensive" in page.text


def test_personas_are_scoped_to_the_office(client, consultant_a, office_b):
    other = Persona.objects.create(office=office_b, name="Madrid persona")
    client.force_login(consultant_a)
    assert "Madrid persona" not in client.get(reverse("contacts:persona_list")).text
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(reverse("contacts:persona_edit", args=[other.pk])).status_code == 404


def test_the_admin_manages_contacts_and_personas(client, admin):
    client.force_login(admin)
    for name in ("contacts_person", "contacts_organisation", "contacts_persona",
                 "contacts_consent", "contacts_referral", "contacts_merge", "contacts_tag"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
