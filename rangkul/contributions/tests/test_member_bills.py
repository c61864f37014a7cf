"""Members' own bills in bulk (``member_bills``) are, member by member, what ``bill_issue`` issues."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.member_bills import member_bills_issue_until
from rangkul.contributions.models import Bill, BillStatus, MonthShare
from rangkul.contributions.selectors import rules_for_memo
from rangkul.contributions.services import bill_issue, owed_periods, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import ApplicationError
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 20)
UNTIL = Period(2026, 8)
EXPIRES = dt.datetime(2026, 8, 31, 16, 59, tzinfo=dt.UTC)


def _one_by_one(worker) -> str | None:
    """The reference: ``owed_periods`` to find how many months reach ``UNTIL``, then ``bill_issue``."""
    owed = owed_periods(worker=worker, today=TODAY)
    months = next((i + 1 for i, p in enumerate(owed) if p >= UNTIL), None)
    if months is None:
        return None
    try:
        with transaction.atomic():
            return bill_issue(
                actor=Actor.system("handover"), worker=worker, months=months, today=TODAY, expires_at=EXPIRES
            ).payment_code
    except ApplicationError:
        return None


def _state(workers, codes: dict[int, str | None]) -> list[tuple]:
    """Per member (by place): the new bill and its lines, what became of the older bills, the audit row."""
    state = []
    for place, worker in enumerate(workers):
        code = codes.get(worker.pk)
        bill = Bill.objects.filter(payment_code=code).first() if code else None
        new = None
        if bill is not None:
            lines = sorted(bill.lines.values_list("period", "program", "amount_idr", "discount_idr"))
            audit = AuditEvent.objects.get(action="contributions.bill_issued", subject_id=str(bill.pk)).after or {}
            after = {k: v for k, v in audit.items() if k not in ("cancelled", "worker")}
            after["own_number"] = audit["worker"] == worker.membership_number
            new = (
                bill.amount_idr,
                bill.credit_applied_idr,
                bill.status,
                bill.expires_at,
                lines,
                after,
                len(audit["cancelled"]),
            )
        older = sorted(
            (b.status, b.replaced_by_id == (bill.pk if bill else None))
            for b in Bill.objects.filter(worker=worker).exclude(payment_code=code or "")
        )
        state.append((place, new, older))
    return state


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10),  # registered this many months before June 2026
            st.integers(min_value=0, max_value=6),  # months paid on their own
            st.integers(min_value=0, max_value=16_799),  # rupiah paid beyond whole months (credit)
            st.booleans(),  # old-age savings (JHT) too
            st.sets(st.integers(min_value=0, max_value=3), max_size=3),  # months from May a sponsor shares
            st.booleans(),  # an open bill of their own already
        ),
        min_size=1,
        max_size=4,
    )
)
def test_bulk_bills_are_the_bills_issued_one_by_one(regions, members):
    states = []
    for bulk in (False, True):
        with transaction.atomic():
            workers = []
            for registered_before, own, extra, jht, shared, open_bill in members:
                registered = (Period(2026, 6) - registered_before).first_day + dt.timedelta(days=3)
                worker = member(registered_on=registered, jht=jht)
                if own or extra:
                    payment_allocate(
                        actor=Actor.system("test"),
                        worker=worker,
                        amount_idr=16_800 * own + extra or 1,
                        payment_reference=f"own-{worker.pk}",
                        channel="sandbox",
                        paid_at=at(registered + dt.timedelta(days=1)),
                    )
                for offset in shared:
                    MonthShare.objects.create(
                        worker=worker,
                        period=Period(2026, 5) + offset,
                        programs=["JKK", "JKM"],
                        payer_kind="regional_budget",
                        source="test",
                    )
                if open_bill:
                    with contextlib.suppress(ApplicationError):
                        bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=TODAY)
                workers.append(worker)
            if bulk:
                issued = member_bills_issue_until(
                    actor=Actor.system("handover"),
                    workers=workers,
                    until=UNTIL,
                    today=TODAY,
                    expires_at=EXPIRES,
                    rules_for=rules_for_memo(),
                )
                codes = {pk: bill.payment_code for pk, bill in issued.items()}
                for bill in issued.values():
                    assert Bill.objects.get(payment_code=bill.payment_code).amount_idr == bill.amount_idr
            else:
                codes = {w.pk: _one_by_one(w) for w in workers}
            states.append(_state(workers, codes))
            assert Bill.objects.filter(status=BillStatus.OPEN).values("worker").distinct().count() == (
                Bill.objects.filter(status=BillStatus.OPEN).count()
            )
            transaction.set_rollback(True)
    assert states[0] == states[1]
