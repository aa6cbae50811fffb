import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import Affiliation, Consent, Merge, Person, Referral, normalise_phone
from contacts.selectors import likely_duplicates, search
from contacts.services import (
    consent_record,
    person_create,
    person_merge,
    person_refer,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(office_a, consultant_a):
    return person_create(office=office_a, by=consultant_a, organisation_name="Coopérative Soleil",
                         job_title="Présidente",
                         data={"first_name": "Lucía", "last_name": "Martínez",
                               "email": "lucia@soleil.example", "phone": "06 12 34 56 78",
                               "city": "Málaga"})


@pytest.fixture
def b_contact(office_b, consultant_b):
    return person_create(office=office_b, by=consultant_b,
                         data={"first_name": "Bruno", "last_name": "Secret",
                               "email": "bruno@b.example"})


def test_phones_are_normalised_to_e164():
    assert normalise_phone("06 12 34 56 78", "FR") == "+33612345678"
    assert normalise_phone("+44 20 7946 0958", "FR") == "+442079460958"
    with pytest.raises(ValidationError):
        normalise_phone("call me maybe", "FR")


def test_search_tolerates_accents_typos_and_finds_the_organisation(lucia, office_a):
    people = Person.objects.filter(office=office_a)
    assert list(search(people, "martinez")) == [lucia]
    assert list(search(people, "Martinz")) == [lucia]  # a typo
    assert list(search(people, "malaga lucia")) == [lucia]
    assert list(search(people, "soleil")) == [lucia]
    assert list(search(people, "33612345678")) == [lucia]  # phones are stored in E.164
    assert list(search(people, "06 12 34 56 78")) == [lucia]  # ... found in national form
    assert list(search(people, "zzzzqqq")) == []
    siobhan = PersonFactory(office=office_a, first_name="Siobhan", last_name="Fitzgerald")
    assert list(search(people, "Siobahn Fitzgerlad")) == [siobhan]


def test_a_consultant_sees_only_their_offices_contacts(client, consultant_a, lucia, b_contact):
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_list"))
    assert "Martínez" in response.text
    assert "Secret" not in response.text
    for name in ("person_detail", "person_edit", "person_export_json", "person_erase"):
        assert client.get(reverse(f"contacts:{name}", args=[b_contact.pk])).status_code == 404
    assert client.get(reverse("contacts:person_merge", args=[lucia.pk, b_contact.pk])
                      ).status_code == 404


def test_fragments_and_exports_are_scoped_too(client, consultant_a, lucia, b_contact):
    client.force_login(consultant_a)
    fragment = client.get(reverse("contacts:person_list"), {"q": "secret"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" not in fragment.text and "Secret" not in fragment.text
    export = b"".join(client.get(reverse("contacts:person_export_csv")).streaming_content)
    assert "Martínez".encode() in export and b"Secret" not in export
    duplicates = client.get(reverse("contacts:person_duplicates"),
                            {"email": "bruno@b.example"})
    assert "Secret" not in duplicates.text
    response = client.post(reverse("contacts:person_consent", args=[b_contact.pk]),
                           {"channel": "email", "granted": "yes", "lawful_basis": "consent",
                            "source": "x"})
    assert response.status_code == 404 and not Consent.objects.exists()


def test_live_search_returns_the_results_fragment(client, consultant_a, lucia):
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_list"), {"q": "martinz"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert response.status_code == 200
    assert 'id="results"' in response.text and "Martínez" in response.text


def test_filters_and_sorting(client, consultant_a, lucia, office_a):
    PersonFactory(office=office_a, last_name="Zeta", kind="client", city="Lyon")
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_list"), {"kind": "client"})
    assert "Zeta" in response.text and "Martínez" not in response.text
    response = client.get(reverse("contacts:person_list"), {"sort": "city"})
    assert response.text.index("Zeta") < response.text.index("Martínez")


def test_a_referral_lets_the_receiving_office_see_the_contact(client, consultant_a,
                                                              consultant_b, lucia, office_b):
    person_refer(person=lucia, to_office=office_b, by=consultant_a, note="Moved to Madrid")
    client.force_login(consultant_b)
    response = client.get(reverse("contacts:person_detail", args=[lucia.pk]))
    assert response.status_code == 200
    assert "Passed from TSG Test France to TSG Test España" in response.text
    assert "Camille A" in response.text  # who passed it
    # The receiving office may work with the contact but not erase it.
    assert client.get(reverse("contacts:person_erase", args=[lucia.pk])).status_code == 403


def test_passing_twice_to_the_same_office_is_refused(consultant_a, lucia, office_b):
    person_refer(person=lucia, to_office=office_b, by=consultant_a)
    with pytest.raises(ValidationError):
        person_refer(person=lucia, to_office=office_b, by=consultant_a)
    assert Referral.objects.count() == 1


def test_quick_add_needs_a_name_and_a_way_to_reach(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:quick_add"), {"last_name": "Nowhere"})
    assert "Give an email or a phone number" in response.text
    response = client.post(reverse("contacts:quick_add"),
                           {"last_name": "Bad", "email": "not-an-email"})
    assert 'id="id_email_error"' in response.text
    assert 'value="Bad"' in response.text  # nothing typed is lost
    assert not Person.objects.exists()
    response = client.post(reverse("contacts:quick_add"),
                           {"first_name": "Ana", "last_name": "Quick", "phone": "0611223344"},
                           HTTP_HX_REQUEST="true")
    person = Person.objects.get(last_name="Quick")
    assert response["HX-Redirect"] == person.get_absolute_url()
    assert person.phone_normalised == "+33611223344" and person.owner == consultant_a


def test_a_malformed_phone_is_refused_next_to_the_field(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:person_create"),
                           {"last_name": "Phoneless", "phone": "banana", "kind": "prospect"})
    assert 'id="id_phone_error"' in response.text
    assert not Person.objects.exists()


def test_an_over_long_name_is_refused_next_to_the_field(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:person_create"),
                           {"last_name": "x" * 101, "kind": "prospect"})
    assert 'id="id_last_name_error"' in response.text


def test_html_in_text_fields_is_shown_escaped(client, consultant_a, office_a):
    person = PersonFactory(office=office_a, last_name="<script>alert(1)</script>",
                           notes="<img src=x onerror=alert(2)>")
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_detail", args=[person.pk]))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<img src=x" not in response.text


def test_duplicates_are_found_by_email_phone_and_similar_name(lucia, office_a):
    people = Person.objects.filter(office=office_a)
    assert likely_duplicates(people, email="LUCIA@soleil.example")[0].person == lucia
    assert likely_duplicates(people, phone="+33612345678")[0].person == lucia
    found = likely_duplicates(people, first_name="Lucia", last_name="Martinez",
                              organisation="cooperative soleil")
    assert found and found[0].person == lucia
    assert likely_duplicates(people, first_name="Pedro", last_name="Other",
                             email="pedro@x.example") == []


def test_the_duplicate_warning_appears_while_typing(client, consultant_a, lucia):
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_duplicates"),
                          {"email": "lucia@soleil.example"}, HTTP_HX_REQUEST="true")
    assert "This may be someone you already have" in response.text
    assert lucia.get_absolute_url() in response.text


def test_merging_moves_everything_and_records_it(consultant_a, lucia, office_a, office_b):
    dup = person_create(office=office_a, by=consultant_a, organisation_name="Coopérative Soleil",
                        data={"last_name": "Martinez", "email": "",
                              "phone": "0699887766", "notes": "met at the fair"})
    consent_record(person=dup, channel="newsletter", granted=True, lawful_basis="consent",
                   source="fair", by=consultant_a)
    person_refer(person=dup, to_office=office_b, by=consultant_a)
    merge = person_merge(kept=lucia, removed=dup, by=consultant_a)
    lucia.refresh_from_db()
    assert not Person.objects.filter(pk=dup.pk).exists()
    assert lucia.notes == "met at the fair"  # an empty field took the duplicate's value
    assert lucia.consents.count() == 1 and lucia.referrals.count() == 1
    assert Affiliation.objects.filter(person=lucia).count() == 1  # shared org kept once
    assert merge.removed_snapshot["phone"] == "0699887766"
    assert Merge.objects.get().by == consultant_a


def test_merging_through_the_page(client, consultant_a, lucia, office_a):
    dup = PersonFactory(office=office_a, last_name="Martinez", email="lucia@soleil.example")
    client.force_login(consultant_a)
    page = client.get(reverse("contacts:person_merge", args=[lucia.pk, dup.pk]))
    assert "Merge into Lucía Martínez" in page.text
    response = client.post(reverse("contacts:person_merge", args=[lucia.pk, dup.pk]))
    assert response.status_code == 302
    assert not Person.objects.filter(pk=dup.pk).exists()


def test_export_gives_all_of_a_persons_data(client, consultant_a, lucia):
    consent_record(person=lucia, channel="email", granted=False, lawful_basis="consent",
                   source="unsubscribe link", by=consultant_a)
    client.force_login(consultant_a)
    response = client.get(reverse("contacts:person_export_json", args=[lucia.pk]))
    data = json.loads(response.content)
    assert data["email"] == "lucia@soleil.example"
    assert data["organisations"][0]["name"] == "Coopérative Soleil"
    assert data["consents"][0]["source"] == "unsubscribe link"


def test_erasing_removes_personal_data_and_keeps_the_aggregates(client, consultant_a, lucia):
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:person_erase", args=[lucia.pk]))
    assert response.status_code == 302
    lucia.refresh_from_db()
    assert lucia.erased_at and lucia.email == "" and lucia.first_name == ""
    assert lucia.search_text == "" and not lucia.affiliations.exists()
    assert lucia.kind == "prospect" and lucia.office_id  # still counted
    listing = client.get(reverse("contacts:person_list"))
    assert "Martínez" not in listing.text
    assert client.get(reverse("contacts:person_detail", args=[lucia.pk])).status_code == 404


def test_consent_records_keep_the_trail(consultant_a, lucia):
    from contacts.services import consent_status

    consent_record(person=lucia, channel="newsletter", granted=True, lawful_basis="consent",
                   source="web form", by=consultant_a)
    consent_record(person=lucia, channel="newsletter", granted=False, lawful_basis="consent",
                   source="unsubscribe link", by=consultant_a)
    assert consent_status(lucia)["newsletter"].granted is False
    assert lucia.consents.count() == 2


def test_list_and_detail_queries_do_not_grow(client, consultant_a, office_a, lucia,
                                             django_assert_max_num_queries):
    from contacts.generate import generate_people

    generate_people(office=office_a, count=120, seed=1, owners=[consultant_a])
    client.force_login(consultant_a)
    # 10, and two statements setting and resetting the plan cache mode (tsgcrm.db)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("contacts:person_list"))
    assert response.text.count('<tr>') >= 25
    with django_assert_max_num_queries(13):  # search counts exact matches first
        client.get(reverse("contacts:person_list"), {"q": "a", "page": 2})
    with django_assert_max_num_queries(22):  # profile, consent, timeline, paths, newsletters
        assert client.get(reverse("contacts:person_detail", args=[lucia.pk])
                          ).status_code == 200


def test_organisations_are_scoped_like_people(client, consultant_a, lucia, b_contact,
                                              office_b, consultant_b):
    from contacts.models import Organisation
    from contacts.services import organisation_for_name

    theirs = organisation_for_name(office=office_b, name="Secret Cooperative",
                                   owner=consultant_b)
    ours = Organisation.objects.get(name="Coopérative Soleil")
    client.force_login(consultant_a)
    listing = client.get(reverse("contacts:organisation_list"), {"q": "cooperative"})
    assert "Coopérative Soleil" in listing.text and "Secret Cooperative" not in listing.text
    assert client.get(ours.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("contacts:organisation_edit", args=[theirs.pk])
                      ).status_code == 404


def test_renaming_an_organisation_updates_its_peoples_search(client, consultant_a, lucia):
    from contacts.models import Organisation

    org = Organisation.objects.get(name="Coopérative Soleil")
    client.force_login(consultant_a)
    response = client.post(reverse("contacts:organisation_edit", args=[org.pk]), {
        "name": "Lune Collective", "org_type": "cooperative", "kind": "client",
        "owner": consultant_a.pk})
    assert response.status_code == 302
    assert list(search(Person.objects.all(), "lune collective")) == [lucia]
