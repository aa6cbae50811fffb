"""Realistic deals across every phase and outcome, with histories over 18 months (demo
data and the board benchmark)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from circles.models import Office, User
from contacts.models import Person
from tsgcrm import counts

from .models import (
    Deal,
    Interaction,
    LostReason,
    Objection,
    Phase,
    PhaseMove,
    Routine,
    RoutineCheck,
)

VALUES = {Deal.Product.BASIC_TRAINING: (400, 1800), Deal.Product.LEADERSHIP: (4000, 9000),
          Deal.Product.CONSULTING: (6000, 40000), Deal.Product.ADVANCED_TRAINING: (900, 2500),
          Deal.Product.SCHOOL_OF_LEADERS: (3000, 6000), Deal.Product.CERTIFICATION: (1500, 3000),
          Deal.Product.OTHER: (300, 2000)}
NEXT_STEPS = ["Call back", "Send the offer", "Meeting with two experts", "Follow-up email",
              "Breakfast meeting", "Invite to discovery evening", "Sign the contract"]


@transaction.atomic
def generate_deals(*, office: Office, count: int, seed: int, with_details: bool = True,
                   batch: int = 2000) -> int:
    rng = random.Random(seed)
    phases = list(Phase.objects.order_by("number"))
    reasons = list(LostReason.objects.all())
    routines: dict[int, list[Routine]] = {}
    for routine in Routine.objects.filter(kind=Routine.Kind.ROUTINE):
        routines.setdefault(routine.phase_id, []).append(routine)
    owners = list(User.objects.filter(office=office, is_consultant=True, is_active=True))
    if not owners:
        return 0
    sources = dict(Person.objects.filter(office=office, erased_at__isnull=True)
                   .values_list("pk", "lead_source")[:5000])
    people = list(sources)
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    while made < count:
        size = min(batch, count - made)
        deals, history = [], []
        for _ in range(size):
            product = rng.choice(list(Deal.Product.values))
            low, high = VALUES[product]
            created = now - timedelta(days=rng.randint(0, 540), hours=rng.randint(0, 23))
            roll = rng.random()
            status = (Deal.Status.OPEN if roll < 0.55 else Deal.Status.WON if roll < 0.75
                      else Deal.Status.LOST if roll < 0.92 else Deal.Status.NO_DEAL)
            if status == Deal.Status.WON:
                last = rng.choice([6, 6, 7])
            elif status == Deal.Status.OPEN:
                last = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
            else:
                last = rng.randint(1, 5)
            steps = list(range(1, last + 1))
            span = max((now - created).days, 1)
            stamps = sorted(created + timedelta(days=rng.randint(0, span)) for _ in steps[1:])
            person = rng.choice(people) if people else None
            deal = Deal(
                office=office, owner=rng.choice(owners), product=product,
                person_id=person, lead_source=sources.get(person, ""),
                title=f"{Deal.Product(product).label} · {rng.randint(100, 999)}",
                value=Decimal(rng.randrange(low, high, 50)), currency=office.currency,
                phase=phases[last - 1], status=status, created_at=created,
                phase_entered_at=stamps[-1] if stamps else created,
                next_step=rng.choice(NEXT_STEPS) if status == Deal.Status.OPEN else "",
                next_step_date=(today + timedelta(days=rng.randint(-8, 45))
                                if status == Deal.Status.OPEN else None),
                expected_close=today + timedelta(days=rng.randint(5, 120))
                if status == Deal.Status.OPEN else None,
                lost_reason=rng.choice(reasons) if status == Deal.Status.LOST else None,
                closed_at=(stamps[-1] if stamps else created) if status != Deal.Status.OPEN
                else None,
                decision_power=rng.random() < 0.6, buying_power=rng.random() < 0.5)
            deals.append(deal)
            history.append([created, *stamps])
        Deal.objects.bulk_create(deals, batch_size=batch)
        moves, checks, interactions, objections = [], [], [], []
        for deal, stamps in zip(deals, history, strict=True):
            previous, entered = None, None
            steps = list(zip(range(1, deal.phase.number + 1), stamps, strict=False))
            for (number, stamp), following in zip(steps, [*steps[1:], None], strict=True):
                phase = phases[number - 1]
                moves.append(PhaseMove(
                    left_at=following[1] if following else None,
                    deal=deal, office_id=deal.office_id, from_phase=previous, to_phase=phase,
                    moved_at=stamp, moved_by=deal.owner,
                    days_in_previous=(stamp - entered).total_seconds() / 86400
                    if entered else None,
                    went_further=number < deal.phase.number))  # moves go forward here
                previous, entered = phase, stamp
            if with_details:
                for routine in routines.get(deal.phase_id, []):
                    if rng.random() < 0.5:
                        checks.append(RoutineCheck(deal=deal, routine=routine,
                                                   done_by=deal.owner))
                if rng.random() < 0.6:
                    interactions.append(Interaction(
                        office=office, deal=deal, person_id=deal.person_id,
                        kind=rng.choice(list(Interaction.Kind.values)),
                        happened_at=stamps[-1], created_by=deal.owner,
                        notes=rng.choice(["Good listening, clear need.", "Asked for a quote.",
                                          "Wants to involve the board.", ""])))
                if rng.random() < 0.25:
                    objections.append(Objection(
                        deal=deal, office_id=deal.office_id,
                        category=rng.choice(list(Objection.Category.values)),
                        words=rng.choice(["It is too expensive for us.", "Not now.",
                                          "We already do participative management.",
                                          "Who else did you do this for?"]),
                        outcome=rng.choice(list(Objection.Outcome.values)),
                        created_by=deal.owner))
        PhaseMove.objects.bulk_create(moves, batch_size=batch)
        RoutineCheck.objects.bulk_create(checks, batch_size=batch)
        Interaction.objects.bulk_create(interactions, batch_size=batch)
        Objection.objects.bulk_create(objections, batch_size=batch)
        made += size
    from .selectors import bump_board_version  # bulk inserts send no signals

    transaction.on_commit(lambda: bump_board_version(office.pk))
    counts.bump_on_commit("reports", office.pk)
    counts.bump_on_commit("moves", office.pk)  # every month of its moves
    return made
