import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Affiliation, Organisation, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

GOOD = ("Prénom,Nom,Email,Téléphone,Entreprise,Ville\n"
        "Ana,García,ana@example.com,+34 612 345 678,Cooperativa Sol,Málaga\n"
        "Luc,Dupont,luc@example.com,,Atelier Dupont,Lyon\n")


def upload(client, content: bytes, name: str = "people.csv", encoding: str = "utf-8-sig"):
    return client.post(reverse("contacts:import_upload"), {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "encoding": encoding})


def review_url(response) -> str:
    assert response.status_code == 302, response.content[:2000]
    return response.url


def test_the_columns_are_guessed_and_every_row_previewed(client, consultant_a):
    client.force_login(consultant_a)
    url = review_url(upload(client, GOOD.encode()))
    page = client.get(url)
    assert '<option value="first_name" selected>' in page.text
    assert '<option value="organisation" selected>' in page.text
    assert page.text.count('class="row--new"') == 2
    assert not Person.objects.exists()  # a preview saves nothing


def test_a_bad_row_blocks_the_whole_import_until_fixed(client, consultant_a):
    client.force_login(consultant_a)
    bad = GOOD + "Eve,,eve@example.com,,,\nMax,Bad,not-an-email,,,\n"
    url = review_url(upload(client, bad.encode()))
    mapping = {"col_0": "first_name", "col_1": "last_name", "col_2": "email",
               "col_3": "phone", "col_4": "organisation", "col_5": "city"}
    page = client.post(url, {**mapping, "confirm": "1"})
    assert "Nothing was imported" in page.text
    assert 'data-row="3"' in page.text and 'data-row="4"' in page.text
    assert "Enter a valid email address." in page.text
    assert not Person.objects.exists() and not Organisation.objects.exists()

    url = review_url(upload(client, GOOD.encode()))  # fixed file
    response = client.post(url, {**mapping, "confirm": "1"})
    assert response.status_code == 302
    assert Person.objects.count() == 2
    ana = Person.objects.get(last_name="García")
    assert ana.phone_normalised == "+34612345678" and ana.owner == consultant_a
    assert Affiliation.objects.get(person=ana).organisation.name == "Cooperativa Sol"
    assert Person.objects.filter(search_text__contains="cooperativa sol").count() == 1


def test_duplicates_are_left_out_and_reported(client, consultant_a, office_a):
    PersonFactory(office=office_a, last_name="Existing", email="ana@example.com")
    client.force_login(consultant_a)
    content = GOOD + "Luc,Again,luc@example.com,,,\n"
    url = review_url(upload(client, content.encode()))
    page = client.get(url)
    assert page.text.count('class="row--duplicate"') == 2  # in the database, in the file
    response = client.post(url, {"col_0": "first_name", "col_1": "last_name",
                                 "col_2": "email", "col_3": "phone", "col_4": "organisation",
                                 "col_5": "city", "confirm": "1"})
    assert response.status_code == 302
    assert Person.objects.filter(last_name="Dupont").count() == 1
    assert Person.objects.count() == 2


def test_a_file_in_the_wrong_encoding_is_explained(client, consultant_a):
    client.force_login(consultant_a)
    response = upload(client, GOOD.encode("cp1252"))
    assert response.status_code == 200
    assert "not in this encoding" in response.text
    response = upload(client, GOOD.encode("cp1252"), encoding="cp1252")
    page = client.get(review_url(response))
    assert "García" in page.text


def test_missing_columns_are_explained(client, consultant_a):
    client.force_login(consultant_a)
    url = review_url(upload(client, b"Ville,Notes\nLyon,hello\n"))
    page = client.get(url)
    assert "Choose the column that holds the last name." in page.text
    assert "Import 0" not in page.text


def test_a_row_with_too_many_columns_is_explained(client, consultant_a):
    client.force_login(consultant_a)
    response = upload(client, b"Nom,Email\nDupont,a@b.example,extra,columns\n")
    assert "more or fewer columns" in response.text


def test_an_empty_or_unreadable_file_is_explained(client, consultant_a):
    client.force_login(consultant_a)
    assert "no rows" in upload(client, b"Nom,Email\n").text
    assert "could not be read" in upload(client, b"\x00\x01", name="x.xlsx").text


def test_another_session_cannot_open_my_import(client, consultant_a, consultant_b):
    client.force_login(consultant_a)
    url = review_url(upload(client, GOOD.encode()))
    client.force_login(consultant_b)
    assert client.get(url).status_code == 404


def test_html_in_a_csv_is_stored_as_text_and_shown_escaped(client, consultant_a):
    client.force_login(consultant_a)
    url = review_url(upload(client, b"Nom,Email\n<b onmouseover=x>Evil</b>,e@x.example\n"))
    page = client.get(url)
    assert "<b onmouseover=x>" not in page.text
    client.post(url, {"col_0": "last_name", "col_1": "email", "confirm": "1"})
    person = Person.objects.get()
    assert person.last_name == "<b onmouseover=x>Evil</b>"
    detail = client.get(person.get_absolute_url())
    assert "&lt;b onmouseover=x&gt;" in detail.text
