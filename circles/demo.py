"""Builds the demo network (offices, people, the circle tree) through the real services.

Idempotent: it creates what is missing and leaves alone what exists, so running it again
neither duplicates anything nor undoes changes people made in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .demo_data import NETWORK_CIRCLES, OFFICE_CIRCLES, OFFICES, PEOPLE, WORKING_AIMS
from .models import Circle, Membership, Office, OfficerRole, User
from .services import membership_add, officer_assign


@dataclass
class CircleSpec:
    name: str
    kind: str
    parent: str | None
    office: str | None
    aim: str
    domain: str
    members: list[str]
    leader: str | None
    second_links: list[str]
    facilitator: str | None
    secretary: str | None
    extra_members: list[str] = field(default_factory=list)


def _circle_specs() -> list[CircleSpec]:
    specs = [CircleSpec(name=name, kind=kind, parent=parent, office=office, aim=aim,
                        domain=domain, members=members, leader=leader, second_links=links,
                        facilitator=facilitator, secretary=secretary)
             for (_key, name, kind, parent, office, aim, domain, members, leader, links,
                  facilitator, secretary) in NETWORK_CIRCLES]
    keys = {key: name for key, name, *_rest in NETWORK_CIRCLES}
    for spec in specs:
        spec.parent = keys.get(spec.parent) if spec.parent else None
    office_names = {key: name for key, name, *_rest in OFFICES}
    for office, name, lead, link, facilitator, secretary, working in OFFICE_CIRCLES:
        specs.append(CircleSpec(
            name=name, kind="department", parent=keys["general"], office=office,
            aim=f"Run {office_names[office]}: serve its clients through the seven phases.",
            domain="The office's offer, pipeline, budget and the people who work in it.",
            members=[f"office:{office}"], leader=lead, second_links=[link],
            facilitator=facilitator, secretary=secretary))
        for suffix, kind, circle_office, members, leader, second, fac, sec in working:
            aim, domain = WORKING_AIMS["sub-office" if "sub-office" in suffix else suffix]
            specs.append(CircleSpec(
                name=f"{office_names[office]} – {suffix}", kind=kind, parent=name,
                office=circle_office, aim=aim, domain=domain, members=members, leader=leader,
                second_links=[second] if second else [], facilitator=fac, secretary=sec))
    return specs


@transaction.atomic
def build_demo_network(password: str) -> dict[str, int]:
    offices: dict[str, Office] = {}
    for key, name, parent, country, city, languages, currency, tz in OFFICES:
        offices[key], _ = Office.objects.update_or_create(
            name=name,
            defaults={"parent": offices.get(parent) if parent else None, "country": country,
                      "city": city, "languages": languages, "currency": currency,
                      "time_zone": tz, "active": True},
        )
    people: dict[str, User] = {}
    created = 0
    for email, first, last, office, language, roles in PEOPLE:
        user, was_created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "office": offices[office],
                      "language": language, "is_consultant": "c" in roles,
                      "is_secretary": "s" in roles, "is_office_lead": "l" in roles,
                      "is_network_admin": "a" in roles},
        )
        if was_created:
            user.set_password(password)
            user.save(update_fields=["password"])
            created += 1
        people[email] = user

    sub_office_parent = {key: parent for key, _n, parent, *_rest in OFFICES if parent}

    def resolve(entries: list[str]) -> list[User]:
        found: list[User] = []
        for entry in entries:
            if entry.startswith("office:"):
                key = entry.split(":", 1)[1]
                found += [people[e] for e, _f, _l, o, _lang, _r in PEOPLE
                          if o == key or sub_office_parent.get(o) == key]
            else:
                found.append(people[entry])
        return found

    today = timezone.localdate()
    joined, term_start, term_end = (today - timedelta(days=400), today - timedelta(days=200),
                                    today + timedelta(days=530))
    specs = _circle_specs()
    circles: dict[str, Circle] = {}
    for spec in specs:
        circle = Circle.objects.filter(name=spec.name).first()
        if circle is None:
            circle = Circle(name=spec.name, kind=spec.kind,
                            parent=circles.get(spec.parent) if spec.parent else None,
                            office=offices.get(spec.office) if spec.office else None,
                            aim=spec.aim, domain=spec.domain)
            circle.full_clean()
            circle.save()
        circles[spec.name] = circle

    members: dict[int, set[int]] = {
        c.pk: set() for c in circles.values()}
    for m in Membership.objects.current(today).filter(circle__in=circles.values()):
        members[m.circle_id].add(m.person_id)

    def ensure_member(circle: Circle, person: User) -> None:
        if person.pk not in members[circle.pk]:
            membership_add(circle=circle, person=person, since=joined, by=None)
            members[circle.pk].add(person.pk)

    for spec in specs:
        circle = circles[spec.name]
        for person in resolve(spec.members):
            ensure_member(circle, person)
        officers = [(OfficerRole.Role.LEADER, spec.leader)]
        officers += [(OfficerRole.Role.SECOND_LINK, link) for link in spec.second_links]
        officers += [(OfficerRole.Role.SECRETARY, spec.secretary),
                     (OfficerRole.Role.FACILITATOR, spec.facilitator
                      or _pick_facilitator(spec))]
        held = set(OfficerRole.objects.held().filter(circle=circle)
                   .values_list("role", flat=True))
        for role, email in officers:
            if not email or role in held:
                continue
            person = people[email]
            ensure_member(circle, person)
            officer_assign(circle=circle, person=person, role=role, started_on=term_start,
                           term_end=None if role == OfficerRole.Role.LEADER else term_end,
                           by=None)
            held.add(role)
        # The double link: leader and second links are full members of the higher circle.
        if spec.parent:
            for email in [spec.leader, *spec.second_links]:
                if email:
                    ensure_member(circles[spec.parent], people[email])
    return {"offices": len(offices), "people": len(people), "new_people": created,
            "circles": len(circles)}


def _pick_facilitator(spec: CircleSpec) -> str | None:
    taken = {spec.leader, spec.secretary, *spec.second_links}
    for entry in spec.members:
        if not entry.startswith("office:") and entry not in taken:
            return entry
    return spec.secretary
