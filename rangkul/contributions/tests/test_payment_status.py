"""A payment stores the member's status a full refresh would store, whatever came before.

Allocation computes the status from the months it already holds plus those it has just
written, without reading them back; this compares it, after every payment of a random
history (early, late, resumed after lapsing, partly paid from credit), with
``member_status_refresh`` recomputing everything from the database on the same day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus, MemberStatusChange
from rangkul.contributions.services import member_status_refresh, payment_allocate
from rangkul.contributions.tests.factories import at, member

pytestmark = pytest.mark.django_db

REGISTERED = dt.date(2026, 1, 5)
COLUMNS = ("status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on")


def _stored(worker_id: int) -> tuple[tuple[object, ...] | None, set[tuple[str, dt.date]]]:
    row = MemberStatus.objects.filter(worker_id=worker_id).values_list(*COLUMNS).first()
    changes = set(MemberStatusChange.objects.filter(worker_id=worker_id).values_list("status", "since"))
    return row, changes


payments = st.lists(
    st.tuples(st.integers(min_value=1, max_value=75), st.integers(min_value=1, max_value=120_000)),
    min_size=1,
    max_size=6,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=payments)
def test_a_payment_stores_the_status_a_full_refresh_would(regions, history):
    with transaction.atomic():
        worker = member(registered_on=REGISTERED)
        day = REGISTERED
        for index, (gap_days, amount) in enumerate(history):
            day += dt.timedelta(days=gap_days)
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                amount_idr=amount,
                payment_reference=f"P{index}",
                channel="sandbox",
                paid_at=at(day),
            )
            after_payment = _stored(worker.pk)
            savepoint = transaction.savepoint()
            member_status_refresh(worker=worker, today=day)
            refreshed = _stored(worker.pk)
            transaction.savepoint_rollback(savepoint)
            assert after_payment == refreshed, (index, day)
        transaction.set_rollback(True)
