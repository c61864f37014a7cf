"""The synthetic population stores what Rangkul itself would store for the same payments."""

from __future__ import annotations

import pytest

from rangkul.contributions.demo import generate
from rangkul.contributions.models import MemberStatus, MemberStatusChange
from rangkul.contributions.services import member_status_refresh
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


def _stored() -> tuple[dict[int, tuple], set[tuple]]:
    statuses = {
        row[0]: row[1:]
        for row in MemberStatus.objects.values_list(
            "worker_id", "status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on"
        )
    }
    history = set(MemberStatusChange.objects.values_list("worker_id", "status", "since"))
    return statuses, history


def test_statuses_and_their_history_match_a_refresh_and_cover_every_status(regions):
    summary = generate(members=400, seed=3)
    assert summary.members == Worker.objects.count() == 400
    # Late payers and recent lapses make a population with members in arrears and ended ones.
    assert {"active", "in_arrears", "ended"} <= set(summary.statuses)
    before = _stored()
    for worker in Worker.objects.all():
        member_status_refresh(worker=worker)
    assert _stored() == before
