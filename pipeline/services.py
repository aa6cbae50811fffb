"""Writes to the pipeline. Every change to a deal checks the version the person saw, so
two people moving the same card never overwrite each other silently."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Office, User
from contacts.models import Person

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

DEAL_FIELDS = ["title", "person", "organisation", "lead_source", "product", "value", "currency",
               "probability", "expected_close", "next_step", "next_step_date",
               "decision_power", "buying_power", "need", "urgency", "why_interest",
               "problem_solved", "notes", "second_expert", "owner"]


class Conflict(ValidationError):
    """Someone changed the deal since the page was loaded."""


def _locked(deal_id: int, expected_version: int | None) -> Deal:
    deal = Deal.objects.select_for_update().select_related("phase").get(pk=deal_id)
    if expected_version is not None and deal.version != expected_version:
        last = deal.moves.select_related("moved_by", "to_phase").first()
        who = str(last.moved_by) if last and last.moved_by else _("someone")
        raise Conflict(_("%(who)s changed this deal meanwhile (it is now in %(phase)s, "
                         "%(status)s). The page shows its current state; nothing was "
                         "overwritten.") % {"who": who, "phase": deal.phase.display_name,
                                            "status": deal.get_status_display().lower()})
    return deal


def _default_lead_source(deal: Deal) -> None:
    """A deal left without a lead source takes its contact's."""
    if not deal.lead_source and deal.person is not None:
        deal.lead_source = deal.person.lead_source


def _check_dates(data: dict[str, Any]) -> None:
    close = data.get("expected_close")
    if close and close < timezone.localdate() - timedelta(days=365):
        raise ValidationError({"expected_close": _(
            "This close date is more than a year ago: use a date to come, or close the "
            "deal as won, lost or no deal.")})


@transaction.atomic
def deal_create(*, office: Office, by: User, data: dict[str, Any],
                phase: Phase | None = None) -> Deal:
    _check_dates(data)
    phase = phase or Phase.objects.get(number=1)
    fields = {k: v for k, v in data.items() if k in DEAL_FIELDS}
    fields.setdefault("owner", by)
    if fields.get("owner") is None:
        fields["owner"] = by
    deal = Deal(office=office, phase=phase, **fields)
    _default_lead_source(deal)
    if not data.get("currency"):
        deal.currency = office.currency
    deal.full_clean()
    move = PhaseMove.of(deal, phase, by=by, at=deal.phase_entered_at, first=True)
    deal.save()
    move.save()
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, by: User, data: dict[str, Any],
                expected_version: int | None) -> Deal:
    _check_dates(data)
    locked = _locked(deal.pk, expected_version)
    for key, value in data.items():
        if key in DEAL_FIELDS:
            setattr(locked, key, value)
    _default_lead_source(locked)
    locked.version += 1
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def deal_move_phase(*, deal_id: int, to_phase: Phase, by: User,
                    expected_version: int | None = None) -> Deal:
    deal = _locked(deal_id, expected_version)
    if deal.is_closed:
        raise ValidationError(_("This deal is closed (%(status)s): reopen it as a win-back "
                                "deal to work on it again.")
                              % {"status": deal.get_status_display().lower()})
    if deal.status == Deal.Status.OPEN and to_phase.after_won:
        raise ValidationError(_("%(phase)s follows a signed contract: mark the deal won "
                                "first.") % {"phase": to_phase.display_name})
    if deal.status == Deal.Status.WON and not to_phase.after_won:
        raise ValidationError(_("A won deal stays in service delivery and post selling."))
    if deal.phase_id == to_phase.pk:
        return deal
    move = PhaseMove.of(deal, to_phase, by=by)
    move.save()
    deal.phase = to_phase
    deal.phase_entered_at = move.moved_at
    deal.version += 1
    deal.save(update_fields=["phase", "phase_entered_at", "version", "updated_at"])
    return deal


@transaction.atomic
def deal_win(*, deal: Deal, by: User, expected_version: int | None = None) -> Deal:
    locked = _locked(deal.pk, expected_version)
    if locked.status != Deal.Status.OPEN:
        raise ValidationError(_("Only an open deal can be won."))
    locked.status = Deal.Status.WON
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    return deal_move_phase(deal_id=locked.pk, to_phase=Phase.objects.get(number=6), by=by)


@transaction.atomic
def deal_lose(*, deal: Deal, by: User, reason: LostReason | None, note: str = "",
              no_deal: bool = False, expected_version: int | None = None) -> Deal:
    locked = _locked(deal.pk, expected_version)
    if locked.status != Deal.Status.OPEN:
        raise ValidationError(_("Only an open deal can be closed as lost or no deal."))
    if not no_deal and reason is None:
        raise ValidationError({"reason": _("Say why the deal was lost: the office learns "
                                           "from it.")})
    locked.status = Deal.Status.NO_DEAL if no_deal else Deal.Status.LOST
    locked.lost_reason = reason
    if note:
        locked.notes = (locked.notes + "\n\n" if locked.notes else "") + note
    locked.closed_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "lost_reason", "notes", "closed_at", "version",
                               "updated_at"])
    return locked


@transaction.atomic
def deal_follow_up(*, deal: Deal, by: User, product: str, win_back: bool = False) -> Deal:
    """A new deal with the same client: win back a lost client (from Create relation) or
    offer the next step after a delivered one (from Customer's need)."""
    number = 2 if win_back else 3
    prefix = _("Win back") if win_back else dict(Deal.Product.choices)[product]
    return deal_create(
        office=deal.office, by=by, phase=Phase.objects.get(number=number),
        data={"title": f"{prefix}: {deal.contact_name or deal.title}"[:200],
              "person": deal.person, "organisation": deal.organisation, "product": product,
              "owner": deal.owner, "currency": deal.currency})


@transaction.atomic
def routine_toggle(*, deal: Deal, routine: Routine, by: User, done: bool) -> None:
    if done:
        RoutineCheck.objects.get_or_create(deal=deal, routine=routine,
                                           defaults={"done_by": by})
    else:
        RoutineCheck.objects.filter(deal=deal, routine=routine).delete()


@transaction.atomic
def interaction_log(*, office: Office, by: User, data: dict[str, Any],
                    deal: Deal | None = None, person: Person | None = None) -> Interaction:
    interaction = Interaction(office=office, deal=deal, created_by=by,
                              person=person or (deal.person if deal else None), **data)
    interaction.full_clean()
    interaction.save()
    return interaction


@transaction.atomic
def objection_record(*, deal: Deal, by: User, data: dict[str, Any]) -> Objection:
    objection = Objection(deal=deal, created_by=by, **data)
    objection.full_clean()
    objection.save()
    return objection


def appreciation_email(deal: Deal, by: User) -> tuple[str, str]:
    """The seed's "email of appreciation" after signing, drafted for the consultant."""
    name = deal.person.first_name if deal.person_id and deal.person.first_name else ""
    subject = _("Thank you for your trust")
    body = _("Dear %(name)s,\n\nThank you for choosing to work with us on “%(title)s”. "
             "We are delighted to start together and look forward to the first steps of "
             "the roadmap.\n\nLet us celebrate this start soon!\n\nWarm regards,\n%(me)s") % {
        "name": name or deal.contact_name, "title": deal.title, "me": by.get_full_name()}
    return subject, body


@transaction.atomic
def deal_next_step_move(*, deal: Deal, date, by: User) -> Deal:
    """Move a deal's next step to another day (dragged in the calendar)."""
    locked = _locked(deal.pk, None)
    if locked.is_closed:
        raise ValidationError(_("This deal is closed: it has no next step to move."))
    if date < timezone.localdate():
        raise ValidationError(_("A next step lies ahead: move it to today or a later day."))
    locked.next_step_date = date
    locked.version += 1
    locked.save(update_fields=["next_step_date", "version", "updated_at"])
    return locked
