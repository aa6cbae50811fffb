from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from contacts.services import person_create
from pipeline.models import Deal, LostReason, Phase, PhaseMove, Routine
from pipeline.services import (
    Conflict,
    deal_create,
    deal_follow_up,
    deal_lose,
    deal_move_phase,
    deal_win,
)

pytestmark = pytest.mark.django_db


def phase(number: int) -> Phase:
    return Phase.objects.get(number=number)


@pytest.fixture
def client_person(office_a, consultant_a):
    return person_create(office=office_a, by=consultant_a,
                         data={"first_name": "Inès", "last_name": "Client",
                               "email": "ines@client.example"})


@pytest.fixture
def deal(office_a, consultant_a, client_person):
    return deal_create(office=office_a, by=consultant_a,
                       data={"title": "LEADERSHIP for Inès", "person": client_person,
                             "product": "leadership", "value": Decimal("6000")})


@pytest.fixture
def b_deal(office_b, consultant_b):
    return deal_create(office=office_b, by=consultant_b,
                       data={"title": "Secret deal of B", "value": Decimal("100")})


def test_the_seven_phases_are_seeded_with_routines_in_three_languages():
    names = list(Phase.objects.values_list("name", flat=True))
    assert names == ["Contact", "Create relation", "Customer's need", "Offer personalisation",
                     "Selling phase", "Service delivery", "Post selling"]
    assert Routine.objects.filter(phase__number=3, kind="routine").count() == 4
    with translation.override("fr"):
        assert phase(2).display_name == "Création de la relation"
    with translation.override("es"):
        assert phase(7).display_name == "Posventa"
    assert LostReason.objects.exists()


def test_a_new_deal_starts_in_contact_with_its_first_move(deal, consultant_a):
    assert deal.phase.number == 1 and deal.currency == "EUR" and deal.owner == consultant_a
    move = deal.moves.get()
    assert move.from_phase is None and move.to_phase.number == 1


def test_moves_forward_and_back_are_recorded(deal, consultant_a, colleague_a):
    deal_move_phase(deal_id=deal.pk, to_phase=phase(3), by=consultant_a)
    deal_move_phase(deal_id=deal.pk, to_phase=phase(2), by=colleague_a)
    moves = list(PhaseMove.objects.filter(deal=deal).order_by("moved_at", "pk")
                 .values_list("from_phase__number", "to_phase__number", "moved_by"))
    assert moves == [(None, 1, consultant_a.pk), (1, 3, consultant_a.pk),
                     (3, 2, colleague_a.pk)]


def test_an_open_deal_cannot_skip_into_delivery(deal, consultant_a):
    with pytest.raises(ValidationError) as error:
        deal_move_phase(deal_id=deal.pk, to_phase=phase(6), by=consultant_a)
    assert "mark the deal won first" in str(error.value)


def test_winning_moves_to_service_delivery_and_keeps_it_there(deal, consultant_a):
    won = deal_win(deal=deal, by=consultant_a)
    assert won.status == "won" and won.phase.number == 6 and won.closed_at
    deal_move_phase(deal_id=deal.pk, to_phase=phase(7), by=consultant_a)
    with pytest.raises(ValidationError):
        deal_move_phase(deal_id=deal.pk, to_phase=phase(5), by=consultant_a)


def test_a_lost_deal_needs_a_reason_and_cannot_move(deal, consultant_a):
    with pytest.raises(ValidationError) as error:
        deal_lose(deal=deal, by=consultant_a, reason=None)
    assert "reason" in error.value.message_dict
    deal_lose(deal=deal, by=consultant_a, reason=LostReason.objects.first())
    with pytest.raises(ValidationError) as error:
        deal_move_phase(deal_id=deal.pk, to_phase=phase(2), by=consultant_a)
    assert "closed" in str(error.value)


def test_two_people_moving_the_same_card_never_overwrite(deal, consultant_a, colleague_a):
    seen = deal.version
    deal_move_phase(deal_id=deal.pk, to_phase=phase(2), by=colleague_a, expected_version=seen)
    with pytest.raises(Conflict) as error:
        deal_move_phase(deal_id=deal.pk, to_phase=phase(4), by=consultant_a,
                        expected_version=seen)
    assert "Claude A changed this deal meanwhile" in str(error.value)
    deal.refresh_from_db()
    assert deal.phase.number == 2


def test_bad_values_are_refused(office_a, consultant_a):
    with pytest.raises(ValidationError) as error:
        deal_create(office=office_a, by=consultant_a,
                    data={"title": "Negative", "value": Decimal("-5")})
    assert "value" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        deal_create(office=office_a, by=consultant_a,
                    data={"title": "Old", "expected_close": date.today() - timedelta(days=900)})
    assert "expected_close" in error.value.message_dict
    assert not Deal.objects.exists()


def test_win_back_and_follow_up_open_new_deals(deal, consultant_a):
    deal_lose(deal=deal, by=consultant_a, reason=LostReason.objects.first())
    again = deal_follow_up(deal=deal, by=consultant_a, product=deal.product, win_back=True)
    assert again.phase.number == 2 and again.person == deal.person
    assert again.title.startswith("Win back")
    next_one = deal_follow_up(deal=deal, by=consultant_a, product="school_of_leaders")
    assert next_one.phase.number == 3 and next_one.product == "school_of_leaders"


# --- Pages ---------------------------------------------------------------------------


def test_every_page_fragment_and_export_is_scoped(client, consultant_a, deal, b_deal):
    client.force_login(consultant_a)
    board = client.get(reverse("pipeline:board"))
    assert "LEADERSHIP for Inès" in board.text and "Secret deal of B" not in board.text
    column = client.get(reverse("pipeline:board_column", args=[1]), {"page": 1})
    assert "Secret deal of B" not in column.text
    assert "Secret deal of B" not in client.get(reverse("pipeline:deal_list")).text
    export = b"".join(client.get(reverse("pipeline:deal_export_csv")).streaming_content)
    assert b"LEADERSHIP for In" in export and b"Secret deal" not in export
    for name in ("deal_detail", "deal_edit"):
        assert client.get(reverse(f"pipeline:{name}", args=[b_deal.pk])).status_code == 404
    response = client.post(reverse("pipeline:deal_move", args=[b_deal.pk]), {"phase": 2})
    assert response.status_code == 404
    response = client.post(reverse("pipeline:interaction_add", args=[b_deal.pk]),
                           {"kind": "call", "happened_at": "2026-11-01T10:00"})
    assert response.status_code == 404
    b_deal.refresh_from_db()
    assert b_deal.phase.number == 1


def test_an_office_lead_sees_the_sub_offices_deals(client, lead_a, office_a1, consultant_a1):
    sub = deal_create(office=office_a1, by=consultant_a1, data={"title": "Lyon deal"})
    client.force_login(lead_a)
    assert "Lyon deal" in client.get(reverse("pipeline:board")).text
    assert client.get(sub.get_absolute_url()).status_code == 200


def test_a_card_moves_over_htmx(client, consultant_a, deal):
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:deal_move", args=[deal.pk]),
                           {"phase": 3, "version": deal.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "board-changed" in response["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.phase.number == 3


def test_a_stale_card_is_refused_with_a_message(client, consultant_a, deal, colleague_a):
    stale = deal.version
    deal_move_phase(deal_id=deal.pk, to_phase=phase(2), by=colleague_a)
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:deal_move", args=[deal.pk]),
                           {"phase": 4, "version": stale}, HTTP_HX_REQUEST="true")
    assert "board-error" in response["HX-Trigger"]
    assert "changed this deal meanwhile" in response["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.phase.number == 2


def test_moving_without_javascript_redirects_with_a_message(client, consultant_a, deal):
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:deal_move", args=[deal.pk]),
                           {"phase": 6, "version": deal.version}, follow=True)
    assert "mark the deal won first" in response.text


def test_ticking_a_routine_returns_the_checklist(client, consultant_a, deal):
    routine = Routine.objects.filter(phase=deal.phase, kind="routine").first()
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:routine_toggle", args=[deal.pk, routine.pk]),
                           {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="checklist"' in response.text
    assert "<html" not in response.text
    assert deal.checks.filter(routine=routine).exists()
    board = client.get(reverse("pipeline:board"))
    assert "1/6" in board.text  # the card shows the progress
    assert "Move to…" in board.text and deal.get_absolute_url() in board.text


def test_interactions_and_objections_are_logged(client, consultant_a, deal):
    client.force_login(consultant_a)
    client.post(reverse("pipeline:interaction_add", args=[deal.pk]),
                {"kind": "video", "happened_at": "2026-11-20T09:30", "notes": "Good call"})
    client.post(reverse("pipeline:objection_add", args=[deal.pk]),
                {"category": "price", "words": "Too expensive", "technique": "Cost of status quo",
                 "outcome": "resolved"})
    page = client.get(deal.get_absolute_url())
    assert "Video meeting" in page.text and "Too expensive" in page.text
    contact = client.get(deal.person.get_absolute_url())
    assert "Video meeting" in contact.text and "LEADERSHIP for Inès" in contact.text


def test_bad_input_is_shown_next_to_the_field(client, consultant_a, deal):
    client.force_login(consultant_a)
    response = client.post(reverse("pipeline:deal_close", args=[deal.pk, "lost"]), {})
    assert 'id="id_reason_error"' in response.text
    response = client.post(reverse("pipeline:deal_create"),
                           {"title": "Bad", "product": "other", "value": "-10",
                            "currency": "EUR", "owner": consultant_a.pk})
    assert 'id="id_value_error"' in response.text and 'value="Bad"' in response.text
    response = client.post(reverse("pipeline:interaction_add", args=[deal.pk]),
                           {"kind": "call", "happened_at": "2030-01-01T10:00"})
    assert "Log interactions that happened" in response.text


def test_winning_drafts_the_email_of_appreciation(client, consultant_a, deal):
    client.force_login(consultant_a)
    client.post(reverse("pipeline:deal_close", args=[deal.pk, "won"]),
                {"version": deal.version})
    page = client.get(deal.get_absolute_url())
    assert "Dear Inès" in page.text and "Service delivery" in page.text


def test_the_board_runs_a_fixed_number_of_queries(client, consultant_a, office_a,
                                                  django_assert_max_num_queries):
    from pipeline.generate import generate_deals

    generate_deals(office=office_a, count=300, seed=3)
    client.force_login(consultant_a)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("pipeline:board"))
    assert response.text.count('class="card deal-card') >= 60
    with django_assert_max_num_queries(14):
        client.get(reverse("pipeline:deal_list"))


def test_cached_column_totals_follow_every_change(client, consultant_a, deal,
                                                  django_capture_on_commit_callbacks):
    def count(response, number: int) -> str:
        text = response.text
        start = text.index(f'data-phase="{number}"')
        marker = 'data-count>'
        at = text.index(marker, start) + len(marker)
        return text[at:text.index("<", at)]

    client.force_login(consultant_a)
    assert count(client.get(reverse("pipeline:board")), 1) == "1"
    with django_capture_on_commit_callbacks(execute=True):
        deal_move_phase(deal_id=deal.pk, to_phase=phase(4), by=consultant_a)
    board = client.get(reverse("pipeline:board"))
    assert count(board, 1) == "0" and count(board, 4) == "1"
    with django_capture_on_commit_callbacks(execute=True):
        deal_win(deal=deal, by=consultant_a)
    board = client.get(reverse("pipeline:board"))
    assert count(board, 4) == "0" and count(board, 6) == "1"
    assert "6,000 EUR" in board.text


def test_board_cards_escape_what_people_typed(client, consultant_a, office_a):
    deal_create(office=office_a, by=consultant_a,
                data={"title": '<img src=x onerror="alert(1)">', "next_step": '"><b>x',
                      "next_step_date": date.today()})
    client.force_login(consultant_a)
    board = client.get(reverse("pipeline:board"))
    assert '<img src=x onerror="alert(1)">' not in board.text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in board.text
    assert '"><b>x' not in board.text


def test_erasing_a_contact_also_clears_the_notes_of_their_interactions(client, consultant_a,
                                                                       deal):
    from contacts.services import person_erase

    client.force_login(consultant_a)
    client.post(reverse("pipeline:interaction_add", args=[deal.pk]),
                {"kind": "call", "happened_at": "2026-11-20T09:30",
                 "participants": "Inès and her partner", "notes": "Private details"})
    person_erase(person=deal.person, by=consultant_a)
    interaction = deal.interactions.get()
    assert interaction.notes == "" and interaction.participants == ""


def test_a_deal_takes_its_contacts_lead_source_unless_told(office_a, consultant_a,
                                                           client_person):
    from pipeline.services import deal_update

    client_person.lead_source = "event"
    client_person.save()
    from_contact = deal_create(office=office_a, by=consultant_a,
                               data={"title": "From the event", "person": client_person})
    told = deal_create(office=office_a, by=consultant_a,
                       data={"title": "Referred", "person": client_person,
                             "lead_source": "referral"})
    assert (from_contact.lead_source, told.lead_source) == ("event", "referral")
    # The contact's source changing later does not rewrite where past deals came from.
    client_person.lead_source = "website"
    client_person.save()
    from_contact.refresh_from_db()
    assert from_contact.lead_source == "event"
    # Emptied on an edit, it is the contact's again.
    edited = deal_update(deal=told, by=consultant_a, data={"lead_source": ""},
                         expected_version=told.version)
    assert edited.lead_source == "website"
