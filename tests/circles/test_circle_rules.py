"""Bad input to the circle structure is rejected with a clear message and nothing saved."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from circles.models import Circle, Membership, OfficerRole
from circles.services import membership_add, membership_end, officer_assign
from tests.factories import CircleFactory, give_role, join, top_circle

pytestmark = pytest.mark.django_db
today = date.today()


def test_a_cycle_in_the_parent_chain_is_rejected(office_a):
    top = top_circle()
    a = CircleFactory(name="A", parent=top)
    b = CircleFactory(name="B", parent=a)
    c = CircleFactory(name="C", parent=b)
    a.parent = c
    with pytest.raises(ValidationError) as error:
        a.full_clean()
    assert "cycle" in error.value.message_dict["parent"][0]


def test_a_second_top_circle_is_rejected():
    top_circle()
    second = Circle(name="Another top", kind=Circle.Kind.TOP)
    with pytest.raises(ValidationError) as error:
        second.full_clean()
    assert "already has a top circle" in error.value.message_dict["kind"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_every_circle_but_the_top_needs_a_higher_circle():
    orphan = Circle(name="Orphan", kind=Circle.Kind.SUPPORT)
    with pytest.raises(ValidationError) as error:
        orphan.full_clean()
    assert "parent" in error.value.message_dict


def test_a_role_term_ending_before_it_starts_is_rejected(consultant_a):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a)
    with pytest.raises(ValidationError) as error:
        officer_assign(circle=circle, person=consultant_a, role=OfficerRole.Role.SECRETARY,
                       started_on=today, term_end=today - timedelta(days=1), by=None)
    assert "term_end" in error.value.message_dict
    assert not OfficerRole.objects.exists()


def test_an_elected_role_needs_a_term_end(consultant_a):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a)
    with pytest.raises(ValidationError) as error:
        officer_assign(circle=circle, person=consultant_a, role=OfficerRole.Role.FACILITATOR,
                       started_on=today, term_end=None, by=None)
    assert "term end" in error.value.message_dict["term_end"][0]


def test_an_officer_must_be_a_member(consultant_a):
    circle = CircleFactory(parent=top_circle())
    with pytest.raises(ValidationError) as error:
        officer_assign(circle=circle, person=consultant_a, role=OfficerRole.Role.LEADER,
                       started_on=today, term_end=None, by=None)
    assert "not a member" in error.value.message_dict["person"][0]
    assert not OfficerRole.objects.exists()


def test_a_new_secretary_takes_over_and_history_is_kept(consultant_a, colleague_a, admin):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a, colleague_a)
    first = give_role(circle, consultant_a, OfficerRole.Role.SECRETARY)
    officer_assign(circle=circle, person=colleague_a, role=OfficerRole.Role.SECRETARY,
                   started_on=today, term_end=today + timedelta(days=365), by=admin)
    first.refresh_from_db()
    assert first.ended_on == today
    held = OfficerRole.objects.held().get(circle=circle, role=OfficerRole.Role.SECRETARY)
    assert held.person == colleague_a
    assert held.history.first().history_user == admin


def test_several_second_links_may_serve_together(consultant_a, colleague_a):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a, colleague_a)
    for person in (consultant_a, colleague_a):
        officer_assign(circle=circle, person=person, role=OfficerRole.Role.SECOND_LINK,
                       started_on=today, term_end=today + timedelta(days=30), by=None)
    assert OfficerRole.objects.held().filter(role=OfficerRole.Role.SECOND_LINK).count() == 2
    with pytest.raises(ValidationError):
        officer_assign(circle=circle, person=colleague_a, role=OfficerRole.Role.SECOND_LINK,
                       started_on=today, term_end=today + timedelta(days=30), by=None)


def test_leaving_a_circle_ends_the_roles_held_in_it(consultant_a):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a)
    give_role(circle, consultant_a, OfficerRole.Role.LEADER)
    membership = Membership.objects.get(circle=circle, person=consultant_a)
    membership_end(membership=membership, until=today, by=None)
    assert not OfficerRole.objects.held().exists()
    assert OfficerRole.objects.get().ended_on == today


def test_a_person_cannot_join_twice(consultant_a):
    circle = CircleFactory(parent=top_circle())
    membership_add(circle=circle, person=consultant_a, since=today, by=None)
    with pytest.raises(ValidationError):
        membership_add(circle=circle, person=consultant_a, since=today, by=None)
    assert Membership.objects.count() == 1


def test_a_membership_cannot_end_before_it_starts(consultant_a):
    circle = CircleFactory(parent=top_circle())
    join(circle, consultant_a, since=today)
    membership = Membership.objects.get()
    with pytest.raises(ValidationError):
        membership_end(membership=membership, until=today - timedelta(days=3), by=None)
    membership.refresh_from_db()
    assert membership.until is None


def test_circles_are_scoped_to_the_offices_people_see(consultant_a, lead_a, admin, office_a,
                                                      office_a1, office_b):
    top = top_circle()
    network = CircleFactory(name="Network support", parent=top, kind=Circle.Kind.SUPPORT)
    a = CircleFactory(name="A", parent=top, office=office_a)
    a1 = CircleFactory(name="A1", parent=a, office=office_a1)
    b = CircleFactory(name="B", parent=top, office=office_b)
    assert set(Circle.objects.visible_to(consultant_a)) == {top, network, a}
    assert set(Circle.objects.visible_to(lead_a)) == {top, network, a, a1}
    assert set(Circle.objects.visible_to(admin)) == {top, network, a, a1, b}
