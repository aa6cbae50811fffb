"""Reads of the circle structure, and the double-link rules computed from it.

Nothing about the health of the structure is stored: every breach is derived from the
current memberships and officer roles, in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Circle, Membership, Office, OfficerRole, User

KIND_ORDER = {kind: n for n, kind in enumerate(
    ["top", "integration", "department", "support", "experts", "other"])}


BREACH_LABELS = {
    "missing_leader": gettext_lazy("No leader"),
    "leader_not_in_parent": gettext_lazy("Leader not in higher circle"),
    "missing_second_link": gettext_lazy("No second link"),
    "second_link_not_in_parent": gettext_lazy("Second link not in higher circle"),
    "second_link_is_leader": gettext_lazy("Second link is the leader"),
    "officer_not_member": gettext_lazy("Officer not a member"),
    "expired_term": gettext_lazy("Expired term"),
    "missing_secretary": gettext_lazy("No secretary"),
}


@dataclass(frozen=True)
class Breach:
    circle: Circle
    code: str
    message: str

    @property
    def code_label(self) -> str:
        return str(BREACH_LABELS[self.code])

    @property
    def fix_url(self) -> str:
        return f"{self.circle.get_absolute_url()}#officers"


@dataclass
class CircleNode:
    circle: Circle
    members: list[User] = field(default_factory=list)
    holdings: list[OfficerRole] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    children: list[CircleNode] = field(default_factory=list)
    parent: CircleNode | None = None
    leader_link_ok: bool = False
    second_link_ok: bool = False

    def holders(self, role: str) -> list[OfficerRole]:
        return [h for h in self.holdings if h.role == role]

    @property
    def leader(self) -> OfficerRole | None:
        found = self.holders(OfficerRole.Role.LEADER)
        return found[0] if found else None

    @property
    def second_links(self) -> list[OfficerRole]:
        return self.holders(OfficerRole.Role.SECOND_LINK)

    @property
    def facilitator(self) -> OfficerRole | None:
        found = self.holders(OfficerRole.Role.FACILITATOR)
        return found[0] if found else None

    @property
    def secretary(self) -> OfficerRole | None:
        found = self.holders(OfficerRole.Role.SECRETARY)
        return found[0] if found else None


@dataclass
class Structure:
    nodes: dict[int, CircleNode]
    roots: list[CircleNode]

    @property
    def breaches(self) -> list[Breach]:
        return [b for node in self.walk() for b in node.breaches]

    def walk(self) -> list[CircleNode]:
        """Every node, depth first, parents before their children."""
        ordered: list[CircleNode] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            ordered.append(node)
            stack.extend(reversed(node.children))
        return ordered


def _sort_key(node: CircleNode) -> tuple:
    return (KIND_ORDER.get(node.circle.kind, 99), node.circle.name.lower())


def compute_breaches(node: CircleNode, parent_member_ids: set[int] | None,
                     today: date) -> None:
    """Apply the double-link rules to one circle. `parent_member_ids` is None at the root."""
    circle = node.circle
    member_ids = {m.pk for m in node.members}
    breaches: list[Breach] = []

    def add(code: str, message: str) -> None:
        breaches.append(Breach(circle=circle, code=code, message=message))

    for holding in node.holdings:
        if holding.person_id not in member_ids:
            add("officer_not_member", _("%(person)s holds the role of %(role)s but is no "
                                        "longer a member of the circle.")
                % {"person": holding.person, "role": holding.get_role_display().lower()})
        if holding.term_expired(today):
            add("expired_term", _("The term of %(person)s as %(role)s ended on %(date)s.")
                % {"person": holding.person, "role": holding.get_role_display().lower(),
                   "date": holding.term_end.isoformat()})
    if node.secretary is None:
        add("missing_secretary", _("The circle has no secretary."))

    if parent_member_ids is not None:
        leader = node.leader
        if leader is None:
            add("missing_leader", _("No operational leader links this circle to the next "
                                    "higher circle."))
        elif leader.person_id not in parent_member_ids:
            add("leader_not_in_parent",
                _("The operational leader, %(person)s, is not a member of the next higher "
                  "circle.") % {"person": leader.person})
        node.leader_link_ok = bool(
            leader and leader.person_id in parent_member_ids
            and leader.person_id in member_ids)

        links = node.second_links
        if not links:
            add("missing_second_link", _("No second link represents this circle in the next "
                                         "higher circle."))
        good_links = 0
        for link in links:
            if leader is not None and link.person_id == leader.person_id:
                add("second_link_is_leader",
                    _("%(person)s is both operational leader and second link: the second "
                      "link must be someone else.") % {"person": link.person})
            elif link.person_id not in parent_member_ids:
                add("second_link_not_in_parent",
                    _("The second link, %(person)s, is not a member of the next higher "
                      "circle.") % {"person": link.person})
            elif link.person_id in member_ids:
                good_links += 1
        node.second_link_ok = good_links > 0
    node.breaches = breaches


def network_structure(user: User | None, office: Office | None = None,
                      only: QuerySet[Circle] | None = None) -> Structure:
    """The circle tree the person may see (optionally one office's branch), with breaches.

    Runs three queries whatever the size of the network.
    """
    if only is not None:
        circles_qs = only
    else:
        assert user is not None
        circles_qs = Circle.objects.visible_to(user).filter(active=True)
    circles = list(circles_qs.select_related("office"))
    by_id = {c.pk: c for c in circles}

    if office is not None:
        office_ids = _office_and_sub_ids(office, circles)
        keep: set[int] = set()
        for circle in circles:
            if circle.office_id in office_ids:
                current: Circle | None = circle
                while current is not None and current.pk not in keep:
                    keep.add(current.pk)
                    current = by_id.get(current.parent_id) if current.parent_id else None
        circles = [c for c in circles if c.pk in keep]
        by_id = {c.pk: c for c in circles}

    wanted = set(by_id) | {c.parent_id for c in circles if c.parent_id}
    today = timezone.localdate()
    members: dict[int, list[User]] = defaultdict(list)
    for membership in (Membership.objects.current(today).filter(circle_id__in=wanted)
                       .select_related("person__office").order_by("person__last_name",
                                                          "person__first_name")):
        person = membership.person
        person.membership_pk = membership.pk  # what "leaves the circle" acts on
        members[membership.circle_id].append(person)
    holdings: dict[int, list[OfficerRole]] = defaultdict(list)
    for holding in (OfficerRole.objects.held().filter(circle_id__in=by_id)
                    .select_related("person").order_by("role", "started_on")):
        holdings[holding.circle_id].append(holding)

    nodes = {pk: CircleNode(circle=c, members=members[pk], holdings=holdings[pk])
             for pk, c in by_id.items()}
    roots: list[CircleNode] = []
    for node in nodes.values():
        parent = nodes.get(node.circle.parent_id) if node.circle.parent_id else None
        if parent is None:
            roots.append(node)
        else:
            node.parent = parent
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=_sort_key)
        if node.circle.parent_id:
            parent_members = {p.pk for p in members.get(node.circle.parent_id, [])}
            compute_breaches(node, parent_members, today)
        else:
            compute_breaches(node, None, today)
    roots.sort(key=_sort_key)
    return Structure(nodes=nodes, roots=roots)


def _office_and_sub_ids(office: Office, circles: list[Circle]) -> set[int]:
    ids = {office.pk}
    for circle in circles:
        if circle.office is not None and circle.office.parent_id == office.pk:
            ids.add(circle.office_id)
    return ids


def circle_structure(circle: Circle) -> CircleNode:
    """One circle with its members, officers and breaches (three queries)."""
    structure = network_structure(user=None, only=Circle.objects.filter(pk=circle.pk))
    return structure.nodes[circle.pk]


def circle_members(circle: Circle) -> QuerySet[User]:
    """The circle's current members, by name."""
    return (User.objects.filter(pk__in=Membership.objects.current().filter(circle=circle)
                                .values("person_id")).order_by("last_name", "first_name"))


def can_manage_circle(user: User, circle: Circle) -> bool:
    """Network admins, and the secretary of the circle or of its next higher circle (which
    appoints the circle's operational leader), edit its members and roles."""
    if user.is_network_admin or user.is_superuser:
        return True
    circle_ids = [circle.pk] + ([circle.parent_id] if circle.parent_id else [])
    return OfficerRole.objects.held().filter(
        circle_id__in=circle_ids, person=user, role=OfficerRole.Role.SECRETARY
    ).exists()
