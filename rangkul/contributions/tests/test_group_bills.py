from __future__ import annotations

import datetime as dt

import pytest

from rangkul.contributions.group_bills import group_bill_issue, group_bill_pay
from rangkul.contributions.models import BillStatus, ContributionMonth
from rangkul.contributions.selectors import ledger_totals, member_credit_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


def test_one_code_pays_for_many_members(regions):
    driver = member(occupation_code="ojek_online")
    trader = member()
    bill = group_bill_issue(actor="test", workers=[driver, trader], months=3, today=dt.date(2026, 3, 2))
    assert bill.worker is None
    # Transport: March–May discounted (8,400). Non-transport: March in full, April and May discounted.
    assert bill.amount_idr == 3 * 8_400 + (16_800 + 2 * 8_400)
    assert {line.worker_id for line in bill.lines.all()} == {driver.pk, trader.pk}
    allocations = group_bill_pay(
        actor="test",
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="GRP-1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 3)),
    )
    assert [a.months for a in allocations] == [(Period(2026, 3), Period(2026, 4), Period(2026, 5))] * 2
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert member_credit_idr(worker_id=driver.pk) == member_credit_idr(worker_id=trader.pk) == 0
    # Paying again moves nothing.
    again = group_bill_pay(
        actor="test", bill=bill, amount_idr=bill.amount_idr, payment_reference="GRP-1", channel="sandbox"
    )
    assert not any(a.created for a in again)
    assert ContributionMonth.objects.count() == 12
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_regional_budget_pays_in_full(regions):
    trader = member()
    bill = group_bill_issue(
        actor="test", workers=[trader], months=2, sponsor_kind="regional_budget", today=dt.date(2026, 5, 2)
    )
    assert bill.amount_idr == 2 * 16_800 and bill.sponsor_kind == "regional_budget"
    group_bill_pay(
        actor="test",
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="APBD",
        channel="bank",
        paid_at=at(dt.date(2026, 5, 3)),
    )
    may = ContributionMonth.objects.get(worker=trader, period=Period(2026, 5), program="JKK")
    assert (may.amount_idr, may.discount_idr) == (10_000, 0)
    assert member_credit_idr(worker_id=trader.pk) == 0


def test_group_payment_must_match_the_bill(regions):
    bill = group_bill_issue(actor="test", workers=[member()], months=1, today=dt.date(2026, 3, 2))
    with pytest.raises(Conflict):
        group_bill_pay(
            actor="test", bill=bill, amount_idr=bill.amount_idr - 1, payment_reference="X", channel="sandbox"
        )


def test_a_month_the_member_already_paid_is_skipped(regions):
    trader = member()
    payment_allocate(
        actor="test",
        worker=trader,
        amount_idr=16_800,
        payment_reference="SELF",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 1)),
    )
    bill = group_bill_issue(actor="test", workers=[trader], months=1, today=dt.date(2026, 3, 2))
    assert [str(line.period) for line in bill.lines.all()] == ["2026-04", "2026-04"]
