"""Layout of the network chart: an indented tree drawn in SVG on the server.

An indented tree reads top to bottom at any width (phone, desktop, paper) and grows only
in height with the size of the network. Each circle is a card; its two links to the next
higher circle are drawn as two distinct lines: the operational leader's (L) and the
second link's (2L). A link that does not hold is drawn dashed in red.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .selectors import CircleNode, Structure

CARD_W = 340
CARD_H = 108
ROW_GAP = 18
INDENT = 44
MARGIN = 8
LEADER_RAIL = 14  # x offset of the leader's line from the parent card's left edge
LINK_RAIL = 26  # x offset of the second link's line
CHARS_PER_LINE = 46  # what fits in the card at 12px


def _clip(text: str, limit: int = CHARS_PER_LINE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short(person) -> str:
    return f"{person.first_name} {person.last_name[:1]}." if person.last_name else str(person)


@dataclass
class Card:
    node: CircleNode
    x: int
    y: int
    title: str
    subtitle: str
    officers_1: str
    officers_2: str
    members_line: str
    breach_text: str
    tooltip: str

    @property
    def circle(self):
        return self.node.circle

    @property
    def broken(self) -> bool:
        return bool(self.node.breaches)


@dataclass
class Link:
    """One of the two lines from a parent card to a child card."""

    path: str
    kind: str  # "leader" or "second"
    ok: bool
    label_x: int
    label_y: int
    label: str


@dataclass
class Chart:
    cards: list[Card]
    links: list[Link]
    width: int
    height: int


def _card(node: CircleNode, x: int, y: int) -> Card:
    circle = node.circle
    leader = node.leader
    links = node.second_links
    parts_1 = []
    if node.parent is not None or circle.parent_id:
        parts_1.append(_("L: %(name)s") % {"name": _short(leader.person) if leader else "—"})
        parts_1.append(_("2L: %(name)s") % {
            "name": ", ".join(_short(h.person) for h in links) if links else "—"})
    else:
        parts_1.append(_("The root of the tree"))
    parts_2 = [
        _("F: %(name)s") % {"name": _short(node.facilitator.person) if node.facilitator
                            else "—"},
        _("S: %(name)s") % {"name": _short(node.secretary.person) if node.secretary else "—"},
    ]
    count = len(node.members)
    names = ", ".join(p.first_name for p in node.members)
    if count:
        label = ngettext("%(count)d member: %(names)s", "%(count)d members: %(names)s", count)
        members_text = label % {"count": count, "names": names}
    else:
        members_text = _("No members yet")
    members_line = _clip(members_text, CHARS_PER_LINE - (14 if node.breaches else 0))
    breach_text = ""
    if node.breaches:
        breach_text = ngettext("⚠ %(count)d breach", "⚠ %(count)d breaches",
                               len(node.breaches)) % {"count": len(node.breaches)}
    office = circle.office.name if circle.office_id else _("Network-wide")
    tooltip = "\n".join([circle.name] + [b.message for b in node.breaches])
    return Card(
        node=node, x=x, y=y, title=_clip(circle.name, 38),
        subtitle=_clip(f"{circle.get_kind_display()} · {office}"),
        officers_1=_clip(" · ".join(parts_1)), officers_2=_clip(" · ".join(parts_2)),
        members_line=members_line, breach_text=breach_text, tooltip=tooltip,
    )


def layout(structure: Structure) -> Chart:
    cards: list[Card] = []
    links: list[Link] = []
    positions: dict[int, tuple[int, int]] = {}
    # Where each parent's two rails last branched off: a child's rail segment starts
    # there, so a broken link colours only the stretch that leads to that child.
    rail_ends: dict[tuple[int, str], int] = {}
    row = 0
    max_depth = 0

    def place(node: CircleNode, depth: int) -> None:
        nonlocal row, max_depth
        max_depth = max(max_depth, depth)
        x = MARGIN + depth * INDENT
        y = MARGIN + row * (CARD_H + ROW_GAP)
        row += 1
        positions[node.circle.pk] = (x, y)
        cards.append(_card(node, x, y))
        if node.parent is not None:
            px, py = positions[node.parent.circle.pk]
            for kind, rail, at, ok, label in (
                ("leader", LEADER_RAIL, 34, node.leader_link_ok, "L"),
                ("second", LINK_RAIL, 62, node.second_link_ok, "2L"),
            ):
                tx, ty = px + rail, y + at
                start = rail_ends.get((node.parent.circle.pk, kind), py + CARD_H)
                rail_ends[(node.parent.circle.pk, kind)] = ty
                links.append(Link(path=f"M{tx},{start} V{ty} H{x}", kind=kind, ok=ok,
                                  label_x=x - 3, label_y=ty - 4, label=label))
        for child in node.children:
            place(child, depth + 1)

    for root in structure.roots:
        place(root, 0)
    # Draw working links first and broken ones on top, so a red line is never hidden.
    links.sort(key=lambda link: not link.ok)
    width = 2 * MARGIN + max_depth * INDENT + CARD_W
    height = 2 * MARGIN + max(row, 1) * (CARD_H + ROW_GAP) - ROW_GAP
    return Chart(cards=cards, links=links, width=width, height=height)
