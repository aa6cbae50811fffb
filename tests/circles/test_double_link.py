"""The double-link rules, on hand-built trees."""

from datetime import date, timedelta

import pytest

from circles.models import Circle, OfficerRole
from circles.selectors import circle_structure, network_structure
from tests.factories import CircleFactory, UserFactory, give_role, join, top_circle

L, S2, SEC, FAC = (OfficerRole.Role.LEADER, OfficerRole.Role.SECOND_LINK,
                   OfficerRole.Role.SECRETARY, OfficerRole.Role.FACILITATOR)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(office_a):
    """A top circle and one department circle under it, correctly double-linked."""
    top = top_circle()
    dept = CircleFactory(name="Department", parent=top, office=office_a)
    leader, link, secretary, other = (UserFactory(office=office_a) for _ in range(4))
    join(top, leader, link, secretary)
    join(dept, leader, link, secretary, other)
    give_role(top, secretary, SEC)
    give_role(dept, leader, L)
    give_role(dept, link, S2)
    give_role(dept, secretary, SEC)
    return {"top": top, "dept": dept, "leader": leader, "link": link,
            "secretary": secretary, "other": other}


def codes(circle: Circle) -> set[str]:
    return {b.code for b in circle_structure(circle).breaches}


def test_a_sound_double_link_has_no_breach(tree):
    node = circle_structure(tree["dept"])
    assert node.breaches == []
    assert node.leader_link_ok and node.second_link_ok


def test_a_missing_second_link_is_a_breach(tree):
    OfficerRole.objects.filter(role=S2).update(ended_on=date.today())
    assert codes(tree["dept"]) == {"missing_second_link"}
    assert not circle_structure(tree["dept"]).second_link_ok


def test_a_missing_leader_is_a_breach(tree):
    OfficerRole.objects.filter(role=L).update(ended_on=date.today())
    assert codes(tree["dept"]) == {"missing_leader"}


def test_a_leader_outside_the_higher_circle_is_a_breach(tree):
    tree["top"].memberships.filter(person=tree["leader"]).update(until=date.today()
                                                                 - timedelta(days=1))
    assert codes(tree["dept"]) == {"leader_not_in_parent"}
    assert not circle_structure(tree["dept"]).leader_link_ok


def test_a_second_link_outside_the_higher_circle_is_a_breach(tree):
    tree["top"].memberships.filter(person=tree["link"]).delete()
    assert codes(tree["dept"]) == {"second_link_not_in_parent"}


def test_the_leader_cannot_be_the_second_link(tree):
    OfficerRole.objects.filter(role=S2).update(ended_on=date.today())
    give_role(tree["dept"], tree["leader"], S2)
    assert codes(tree["dept"]) == {"second_link_is_leader"}
    assert not circle_structure(tree["dept"]).second_link_ok


def test_one_good_second_link_among_several_keeps_the_link(tree):
    give_role(tree["dept"], tree["other"], S2)  # not in the top circle
    node = circle_structure(tree["dept"])
    assert node.second_link_ok
    assert {b.code for b in node.breaches} == {"second_link_not_in_parent"}


def test_an_expired_term_is_a_breach(tree):
    OfficerRole.objects.filter(circle=tree["dept"], role=SEC).update(
        started_on=date.today() - timedelta(days=400),
        term_end=date.today() - timedelta(days=1))
    assert codes(tree["dept"]) == {"expired_term"}


def test_a_circle_without_secretary_is_a_breach_even_at_the_top(tree):
    OfficerRole.objects.filter(circle=tree["top"], role=SEC).update(ended_on=date.today())
    assert codes(tree["top"]) == {"missing_secretary"}


def test_an_officer_who_left_the_circle_is_a_breach(tree):
    tree["dept"].memberships.filter(person=tree["secretary"]).update(
        until=date.today() - timedelta(days=1))
    assert "officer_not_member" in codes(tree["dept"])


def test_the_top_circle_needs_no_links(tree):
    node = circle_structure(tree["top"])
    assert node.breaches == []


def test_the_network_structure_is_one_tree_with_every_breach(tree, admin, office_a):
    working = CircleFactory(name="Working", parent=tree["dept"], office=office_a)
    structure = network_structure(admin)
    assert [n.circle for n in structure.roots] == [tree["top"]]
    assert [n.circle for n in structure.walk()] == [tree["top"], tree["dept"], working]
    assert {(b.circle, b.code) for b in structure.breaches} == {
        (working, "missing_leader"), (working, "missing_second_link"),
        (working, "missing_secretary")}


def test_the_office_filter_keeps_the_path_to_the_root(tree, admin, office_a, office_b):
    other = CircleFactory(name="Office B", parent=tree["top"], office=office_b)
    structure = network_structure(admin, office=office_b)
    assert [n.circle for n in structure.walk()] == [tree["top"], other]
