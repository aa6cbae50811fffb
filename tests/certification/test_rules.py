"""The progression rules as plain functions."""

from decimal import Decimal

from certification.rules import Fact, Need, advance_blockers, requirements_met

NEEDS = [Need(kind="attendance", label="Sessions", target=4),
         Need(kind="hours", label="Hours", target=40)]


def test_evidence_adds_up_per_kind():
    met = requirements_met(NEEDS, [Fact("attendance", Decimal(1))] * 4
                           + [Fact("hours", Decimal("12.5")), Fact("hours", Decimal(30))])
    assert [m.is_met for m in met] == [True, True]
    assert met[1].done == Decimal("42.5")
    assert met[1].percent == 100


def test_a_missing_requirement_blocks_and_says_how_far():
    met = requirements_met(NEEDS, [Fact("attendance", Decimal(1))] * 3)
    assert met[0].missing == 1
    problems = advance_blockers(stage_kind="training", stage_name="Basic training",
                                status="active", met=met, is_last=False)
    assert problems == ["Sessions: 3 of 4.", "Hours: 0 of 40."]


def test_the_review_stage_is_never_passed_by_ticking_boxes():
    met = requirements_met([Need("document", "Dossier", 1)], [Fact("document", Decimal(1))])
    problems = advance_blockers(stage_kind="review", stage_name="Certification review",
                                status="active", met=met, is_last=False)
    assert len(problems) == 1 and "consent decision" in problems[0]


def test_paused_enrolments_do_not_move_and_development_has_no_end():
    assert advance_blockers(stage_kind="training", stage_name="x", status="paused", met=[],
                            is_last=False) == ["The enrolment is not active."]
    assert advance_blockers(stage_kind="development", stage_name="x", status="active",
                            met=[], is_last=True)
    assert advance_blockers(stage_kind="training", stage_name="x", status="active", met=[],
                            is_last=False) == []
