"""The demo network's certification paths: candidates at every stage, certified experts
with certificates (one revoked), reviews on the experts' circle's agenda."""

import pytest
from django.core.management import call_command

from certification.models import Certificate, Enrolment
from circles.decisions.models import Proposal

pytestmark = pytest.mark.django_db


def test_the_demo_has_candidates_at_every_stage_and_certified_experts():
    call_command("demo", "--quiet-logins")
    enrolments = Enrolment.objects.count()
    call_command("demo", "--quiet-logins")  # idempotent
    assert Enrolment.objects.count() == enrolments
    live = Enrolment.objects.live()
    assert set(live.values_list("current_stage__position", flat=True)) == {1, 2, 3, 4, 5}
    assert live.filter(status="paused").exists()
    assert live.filter(person__isnull=False, user__isnull=True,
                       source_deal__status="won").exists()  # a client from post selling
    valid = Certificate.objects.valid()
    assert valid.count() >= 5
    assert all(c.decision.circle.kind == "experts" for c in valid)
    assert Certificate.objects.filter(revoked_on__isnull=False).count() == 1
    reviews = Proposal.objects.filter(status="open", subject_id__in=live.filter(
        current_stage__kind="review").values("pk"))
    assert reviews.count() == 2
    assert all(p.item.meeting.status != "closed" for p in reviews)
