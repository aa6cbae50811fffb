"""Who sees and does what on the certification paths.

- Network admins and the members of the experts' circle see every candidate: the circle
  reviews them all. Office leads see the candidates of their offices.
- A candidate sees their own enrolment; a mentor their mentees; a consultant the
  enrolments of the contacts they own.
- Enrolling, setting mentors and due dates, pausing: admins, experts' circle, office leads
  (a consultant may enrol a contact they own).
- Evidence: the mentor and the managers above; the candidate records their own (not the
  mentor's assessment).
- Revoking a certificate: admins, and the leader or secretary of the experts' circle.
"""

from __future__ import annotations

from django.db.models import Q

from circles.models import Circle, Membership, OfficerRole, User, visible_office_ids

from .models import Certificate, Enrolment


def experts_circle() -> Circle | None:
    """The network's circle of certified experts, which certifies by consent."""
    return (Circle.objects.filter(kind=Circle.Kind.EXPERTS, active=True, office__isnull=True)
            .order_by("pk").first())


def is_certified(user: User) -> bool:
    return Certificate.objects.valid().filter(holder=user).exists()


def _in_experts_circle(user: User) -> bool:
    cached = getattr(user, "_in_experts_circle", None)
    if cached is None:
        cached = Membership.objects.current().filter(
            circle__kind=Circle.Kind.EXPERTS, circle__office__isnull=True,
            person_id=user.pk).exists()
        user._in_experts_circle = cached
    return cached


def sees_all(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_network_admin or user.is_superuser or _in_experts_circle(user)


def enrolments_visible_to(user: User):
    if not user.is_authenticated or not user.is_active:
        return Enrolment.objects.none()
    if sees_all(user):
        return Enrolment.objects.all()
    scope = Q(user=user) | Q(mentor=user) | Q(person__owner=user)
    if user.is_office_lead:
        scope |= Q(office_id__in=visible_office_ids(user))
    return Enrolment.objects.filter(scope)


def follows_candidates(user: User) -> bool:
    """Who sees the candidates by stage: the experts' circle, admins and office leads."""
    return sees_all(user) or user.is_office_lead


def can_manage(user: User, enrolment: Enrolment | None = None,
               office_id: int | None = None) -> bool:
    """Enrol, set mentors and due dates, pause or withdraw (in `enrolment`'s office)."""
    if sees_all(user):
        return True
    if not user.is_office_lead:
        return False
    office_id = enrolment.office_id if enrolment is not None else office_id
    return office_id is None or office_id in visible_office_ids(user)


def can_record(user: User, enrolment: Enrolment) -> bool:
    return (can_manage(user, enrolment) or enrolment.mentor_id == user.pk
            or enrolment.user_id == user.pk)


def can_advance(user: User, enrolment: Enrolment) -> bool:
    return can_manage(user, enrolment) or enrolment.mentor_id == user.pk


def can_revoke(user: User) -> bool:
    if user.is_network_admin or user.is_superuser:
        return True
    circle = experts_circle()
    return circle is not None and OfficerRole.objects.held().filter(
        circle=circle, person=user,
        role__in=[OfficerRole.Role.LEADER, OfficerRole.Role.SECRETARY]).exists()
