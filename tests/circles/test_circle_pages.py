from datetime import date, timedelta

import pytest
from django.urls import reverse

from circles.models import Circle, Membership, OfficerRole
from tests.factories import CircleFactory, UserFactory, give_role, join, top_circle

pytestmark = pytest.mark.django_db
L, S2, SEC = OfficerRole.Role.LEADER, OfficerRole.Role.SECOND_LINK, OfficerRole.Role.SECRETARY
today = date.today()


@pytest.fixture
def network(office_a, office_b, consultant_a, colleague_a, consultant_b):
    """Top circle; office A's circle (secretary: colleague_a) with a working circle that
    lacks its second link; office B's circle with a breach of its own."""
    top = top_circle()
    a = CircleFactory(name="Circle of A", parent=top, office=office_a)
    a_work = CircleFactory(name="A training", parent=a, office=office_a)
    b = CircleFactory(name="Circle of B", parent=top, office=office_b)
    join(top, consultant_a, colleague_a, consultant_b)
    join(a, consultant_a, colleague_a)
    join(a_work, consultant_a, colleague_a)
    join(b, consultant_b)
    give_role(top, colleague_a, SEC)
    give_role(a, consultant_a, L)
    give_role(a, colleague_a, S2)
    give_role(a, colleague_a, SEC)
    give_role(a_work, consultant_a, L)
    give_role(a_work, colleague_a, SEC)
    give_role(b, consultant_b, L)
    return {"top": top, "a": a, "a_work": a_work, "b": b}


def detail(circle: Circle) -> str:
    return reverse("circles:circle_detail", args=[circle.pk])


def test_the_chart_shows_only_circles_the_person_may_see(client, consultant_a, network):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:chart"))
    assert response.status_code == 200
    assert "Circle of A" in response.text and "A training" in response.text
    assert "Circle of B" not in response.text
    assert "<svg" in response.text
    assert detail(network["a"]) in response.text


def test_the_chart_draws_a_broken_link_dashed(client, consultant_a, network):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:chart"))
    assert response.text.count("chart-link--broken") >= 2  # legend + the missing 2L
    assert "chart-card--broken" in response.text


def test_the_chart_filters_by_office(client, admin, network, office_b):
    client.force_login(admin)
    response = client.get(reverse("circles:chart"), {"office": office_b.pk})
    assert "Circle of B" in response.text
    assert "Circle of A" not in response.text


def test_filtering_by_an_office_one_cannot_see_shows_nothing_of_it(client, consultant_a,
                                                                   network, office_b):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:chart"), {"office": office_b.pk})
    assert "Circle of B" not in response.text


def test_the_health_page_lists_visible_breaches_with_a_fix_link(client, consultant_a, network):
    client.force_login(consultant_a)
    response = client.get(reverse("circles:health"))
    assert 'data-code="missing_second_link"' in response.text
    assert f'{detail(network["a_work"])}#officers' in response.text
    assert "Circle of B" not in response.text


def test_another_offices_circle_is_a_404_page_and_fragment(client, consultant_a, network):
    client.force_login(consultant_a)
    assert client.get(detail(network["b"])).status_code == 404
    assert client.get(detail(network["b"]), HTTP_HX_REQUEST="true").status_code == 404


def test_another_offices_circle_cannot_be_edited(client, colleague_a, consultant_b, network):
    client.force_login(colleague_a)
    url = reverse("circles:membership_add", args=[network["b"].pk])
    response = client.post(url, {"person": consultant_b.pk, "since": today.isoformat()})
    assert response.status_code == 404
    assert not Membership.objects.filter(circle=network["b"], person=colleague_a).exists()


def test_a_consultant_who_is_not_secretary_cannot_edit(client, consultant_a, lead_a, network):
    client.force_login(consultant_a)
    response = client.post(reverse("circles:membership_add", args=[network["a"].pk]),
                           {"person": lead_a.pk, "since": today.isoformat()})
    assert response.status_code == 403
    page = client.get(detail(network["a"]))
    assert "Add a member" not in page.text


def test_the_secretary_adds_a_member(client, colleague_a, lead_a, network):
    client.force_login(colleague_a)
    response = client.post(reverse("circles:membership_add", args=[network["a"].pk]),
                           {"person": lead_a.pk, "since": today.isoformat()})
    assert response.status_code == 302
    assert Membership.objects.current().filter(circle=network["a"], person=lead_a).exists()
    page = client.get(response.url)
    assert "Julien Lead joined" in page.text  # the change log names the change
    assert "Claude A" in page.text  # ... and who made it


def test_the_higher_circles_secretary_may_edit_the_circle_below(client, colleague_a, lead_a,
                                                                 network):
    OfficerRole.objects.filter(circle=network["a_work"], role=SEC).update(ended_on=today)
    client.force_login(colleague_a)  # still secretary of the circle above
    response = client.post(reverse("circles:membership_add", args=[network["a_work"].pk]),
                           {"person": lead_a.pk, "since": today.isoformat()})
    assert response.status_code == 302
    assert Membership.objects.current().filter(circle=network["a_work"], person=lead_a).exists()


def test_scoping_wins_over_a_secretary_role_higher_up(client, colleague_a, network):
    # colleague_a is the top circle's secretary, but office B's circle stays out of reach.
    client.force_login(colleague_a)
    assert client.get(detail(network["b"])).status_code == 404
    response = client.post(reverse("circles:officer_end", args=[
        network["b"].pk, OfficerRole.objects.get(circle=network["b"]).pk]),
        {"on": today.isoformat()})
    assert response.status_code == 404
    assert OfficerRole.objects.held().filter(circle=network["b"]).exists()


def test_adding_a_second_link_over_htmx_returns_the_fragment(client, colleague_a, network):
    client.force_login(colleague_a)
    response = client.post(
        reverse("circles:officer_assign", args=[network["a_work"].pk]),
        {"role": S2, "person": colleague_a.pk, "started_on": today.isoformat(),
         "term_end": (today + timedelta(days=365)).isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="circle-people"' in response.text
    assert "circle-changed" in response["HX-Trigger"]
    assert "structure of this circle is sound" in response.text
    health = client.get(reverse("circles:health"))
    assert "missing_second_link" not in health.text


def test_a_term_ending_before_it_starts_is_shown_next_to_the_field(client, colleague_a,
                                                                   network):
    client.force_login(colleague_a)
    response = client.post(
        reverse("circles:officer_assign", args=[network["a_work"].pk]),
        {"role": S2, "person": colleague_a.pk, "started_on": "2026-12-10",
         "term_end": "2026-12-01"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="id_term_end_error"' in response.text
    assert "The term must end after it starts." in response.text
    assert 'value="2026-12-10"' in response.text  # what was typed is kept
    assert not OfficerRole.objects.filter(circle=network["a_work"], role=S2).exists()


def test_only_members_can_be_given_a_role(client, colleague_a, lead_a, network):
    client.force_login(colleague_a)
    response = client.post(
        reverse("circles:officer_assign", args=[network["a_work"].pk]),
        {"role": L, "person": lead_a.pk, "started_on": today.isoformat()},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert OfficerRole.objects.held().get(circle=network["a_work"], role=L).person != lead_a


def test_ending_a_membership_ends_its_roles(client, colleague_a, consultant_a, network):
    client.force_login(colleague_a)
    membership = Membership.objects.get(circle=network["a_work"], person=consultant_a)
    response = client.post(
        reverse("circles:membership_end", args=[network["a_work"].pk, membership.pk]),
        {"on": today.isoformat()})
    assert response.status_code == 302
    assert not OfficerRole.objects.held().filter(circle=network["a_work"],
                                                 person=consultant_a).exists()


def test_the_circle_page_shows_its_own_breaches(client, consultant_a, network):
    client.force_login(consultant_a)
    response = client.get(detail(network["a_work"]))
    assert "No second link represents this circle" in response.text


def _big_network(office, size: int = 200) -> None:
    top = top_circle()
    people = [UserFactory(office=office) for _ in range(6)]
    join(top, *people[:2])
    previous = [top]
    for n in range(size - 1):
        parent = previous[n // 4]
        circle = CircleFactory(name=f"Circle {n:03}", parent=parent, office=office)
        join(circle, *people[n % 3: n % 3 + 3])
        give_role(circle, people[n % 3], L)
        if n % 5:
            give_role(circle, people[n % 3 + 1], S2)
        previous.append(circle)


def test_chart_and_health_queries_do_not_grow_with_the_network(
        client, admin, office_a, django_assert_max_num_queries):
    _big_network(office_a)
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        chart = client.get(reverse("circles:chart"))
    assert chart.text.count('class="chart-card__box"') == 200
    with django_assert_max_num_queries(8):
        health = client.get(reverse("circles:health"))
    assert health.text.count("missing_secretary") == 200


def test_the_circle_page_runs_a_fixed_number_of_queries(client, admin, network, office_a,
                                                        django_assert_max_num_queries):
    join(network["a"], *[UserFactory(office=office_a) for _ in range(25)])
    client.force_login(admin)
    with django_assert_max_num_queries(15):  # 14, and its latest meetings
        response = client.get(detail(network["a"]))
    assert response.status_code == 200


def test_the_admin_lists_and_edits_circles(client, admin, network):
    client.force_login(admin)
    assert client.get(reverse("admin:circles_circle_changelist")).status_code == 200
    response = client.get(reverse("admin:circles_circle_change", args=[network["a"].pk]))
    assert response.status_code == 200
    assert "Claude A" in response.text


def test_the_admin_refuses_a_cycle(client, admin, network):
    client.force_login(admin)
    a = network["a"]
    response = client.post(reverse("admin:circles_circle_change", args=[a.pk]), {
        "name": a.name, "kind": a.kind, "parent": network["a_work"].pk, "office": a.office_id,
        "active": "on", "aim": "", "domain": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "officer_roles-TOTAL_FORMS": "0", "officer_roles-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "cycle" in response.text
    a.refresh_from_db()
    assert a.parent == network["top"]
