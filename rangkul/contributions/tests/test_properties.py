"""Random sequences of bills, payments, duplicate payments and the passage of time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.errors import NothingPayable
from rangkul.contributions.models import Bill, BillStatus, ContributionMonth, JournalLine
from rangkul.contributions.schedule import member_status
from rangkul.contributions.selectors import (
    coverage_on,
    ledger_totals,
    member_credit_idr,
    paid_months,
    rules_for_memo,
    worker_status,
)
from rangkul.contributions.services import bill_issue, credit_apply, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 140)),
        st.tuples(st.just("bill"), st.integers(1, 12)),
        st.tuples(st.just("pay"), st.integers(1_000, 120_000)),
        st.tuples(st.just("pay_bill"), st.just(0)),
        st.tuples(st.just("duplicate"), st.integers(0, 50)),
        st.tuples(st.just("use_credit"), st.just(0)),
    ),
    min_size=3,
    max_size=16,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps, transport=st.booleans(), jht=st.booleans())
def test_money_and_coverage_invariants(regions, sequence, transport, jht):
    with transaction.atomic():
        _run(sequence, transport=transport, jht=jht)
        transaction.set_rollback(True)


def _run(sequence, *, transport, jht):
    today = dt.date(2025, 11, 3)
    worker = member(registered_on=today, occupation_code="ojek_online" if transport else "pedagang", jht=jht)
    payments: list[dict] = []
    paid_in = 0
    bill = None
    for action, value in sequence:
        if action == "wait":
            today += dt.timedelta(days=value)
        elif action == "bill":
            try:
                bill = bill_issue(actor=Actor.system("test"), worker=worker, months=value, today=today)
            except NothingPayable:
                bill = None
        elif action in {"pay", "pay_bill"}:
            amount = bill.amount_idr if action == "pay_bill" and bill else value
            if action == "pay_bill" and not bill:
                continue
            kwargs = {
                "actor": Actor.system("test"),
                "worker": worker,
                "amount_idr": amount,
                "payment_reference": f"R{len(payments)}",
                "channel": "sandbox",
                "paid_at": at(today),
                "bill": bill if action == "pay_bill" else None,
            }
            allocation = payment_allocate(**kwargs)
            assert allocation.created
            payments.append(kwargs)
            paid_in += amount
            if action == "pay_bill":
                bill.refresh_from_db()
                assert bill.status == BillStatus.PAID
        elif action == "use_credit":
            before = member_credit_idr(worker_id=worker.pk)
            applied = credit_apply(actor=Actor.system("test"), worker=worker, at=at(today, hour=11))
            assert applied is None or 0 < applied.credit_used_idr <= before
        elif action == "duplicate" and payments:
            before = ledger_totals()
            again = payment_allocate(**{**payments[value % len(payments)], "paid_at": at(today)})
            assert not again.created
            assert ledger_totals() == before
        _check(worker, today, paid_in)
    status = worker_status(worker=worker, today=today).status
    event(f"final status {status}")
    event(f"paid months {'some' if paid_months(worker_id=worker.pk) else 'none'}")


def _check(worker, today, paid_in):
    # The ledger balances.
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Every rupiah paid is allocated to a month or held as credit.
    lines = JournalLine.objects.filter(worker=worker)
    received = lines.filter(account__code__startswith="clearing:").aggregate(s=Sum("debit_idr"))["s"] or 0
    allocated = lines.filter(account__code__startswith="contribution:").aggregate(s=Sum("credit_idr"))["s"] or 0
    credit = member_credit_idr(worker_id=worker.pk)
    assert received == paid_in
    assert received == allocated + credit
    assert credit >= 0
    # The paid months in the coverage table are exactly the months the ledger credited.
    rows = ContributionMonth.objects.filter(worker=worker)
    assert sum(r.amount_idr for r in rows) == allocated
    months = paid_months(worker_id=worker.pk)
    ledger_months = set(lines.filter(account__code__startswith="contribution:").values_list("period", flat=True))
    assert set(months) >= ledger_months
    # Each paid month has every program of the member, once.
    programs = {"JKK", "JKM"} | ({"JHT"} if worker.jht else set())
    for period in months:
        assert {r.program for r in rows if r.period == period} == programs
    # Never more than 12 months ahead.
    assert all(p < Period.of(today) + 12 for p in months)
    # Coverage: a paid month covers from its covered_from; an unpaid month never.
    for period in {Period.of(today) + k for k in range(-4, 3)}:
        day = period.day(20)
        expected = any(r.period == period and r.covered_from <= day for r in rows)
        assert coverage_on(worker, day) == expected
    # Status is derived from the paid months alone.
    info = worker_status(worker=worker, today=today)
    assert info == member_status(
        registered_on=timezone.localdate(worker.registered_at), paid=months, today=today, rules_for=rules_for_memo()
    )
    # At most one open bill.
    assert Bill.objects.filter(worker=worker, status=BillStatus.OPEN).count() <= 1
