from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.errors import BillNotFound, InvalidMonths, NothingPayable
from rangkul.contributions.ledger import Line, journal_post
from rangkul.contributions.models import Bill, BillStatus, ContributionMonth, DiscountRule, RuleSet
from rangkul.contributions.payment_codes import payment_code_format, payment_code_generate, payment_code_is_valid
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.schedule import Status
from rangkul.contributions.selectors import (
    bill_for_payment_code,
    coverage_on,
    ledger_totals,
    member_credit_idr,
    worker_status,
)
from rangkul.contributions.services import bill_issue, credit_apply, paid_months_reprice, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


def test_payment_codes_have_a_valid_check_digit():
    codes = {payment_code_generate() for _ in range(200)}
    assert len(codes) == 200
    assert all(payment_code_is_valid(c) and len(c) == 16 for c in codes)
    code = next(iter(codes))
    mistyped = code[:-2] + str((int(code[-2]) + 1) % 10) + code[-1]
    assert not payment_code_is_valid(mistyped)
    assert payment_code_format("8812345678901234") == "8812 3456 7890 1234"


def test_bill_for_three_months_from_the_current_month(regions):
    worker = member()
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=3, today=dt.date(2026, 2, 10))
    # Non-transport (pedagang): February and March in full, April discounted (PP 50/2025).
    assert bill.amount_idr == 16_800 + 16_800 + 8_400
    lines = [(str(line.period), line.program, line.amount_idr, line.discount_idr) for line in bill.lines.all()]
    assert lines == [
        ("2026-02", "JKK", 10_000, 0),
        ("2026-02", "JKM", 6_800, 0),
        ("2026-03", "JKK", 10_000, 0),
        ("2026-03", "JKM", 6_800, 0),
        ("2026-04", "JKK", 5_000, 5_000),
        ("2026-04", "JKM", 3_400, 3_400),
    ]
    assert payment_code_is_valid(bill.payment_code)
    assert bill.expires_at > at(dt.date(2026, 2, 10))
    assert RuleSet.objects.get(version="BPU-2024-01").is_locked
    assert AuditEvent.objects.filter(action="contributions.bill_issued").count() == 1


def test_a_new_bill_cancels_the_old_code(regions):
    worker = member()
    first = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=dt.date(2026, 2, 10))
    second = bill_issue(actor=Actor.system("test"), worker=worker, months=6, today=dt.date(2026, 2, 10))
    first.refresh_from_db()
    assert first.status == BillStatus.CANCELLED and first.replaced_by_id == second.pk
    assert second.status == BillStatus.OPEN
    assert Bill.objects.filter(worker=worker, status=BillStatus.OPEN).count() == 1


@pytest.mark.parametrize("months", [0, 13])
def test_bill_length_is_one_to_twelve(regions, months):
    with pytest.raises(InvalidMonths):
        bill_issue(actor=Actor.system("test"), worker=member(), months=months, today=dt.date(2026, 2, 10))


def test_cannot_bill_beyond_twelve_months_ahead(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=12 * 16_800,
        payment_reference="P1",
        channel="sandbox",
        paid_at=at(dt.date(2027, 4, 1)),
    )
    with pytest.raises(NothingPayable):
        bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=dt.date(2027, 4, 2))


def test_bill_starts_with_arrears_inside_the_window(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="P1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=2, today=dt.date(2026, 3, 20))
    assert sorted({str(line.period) for line in bill.lines.all()}) == ["2026-02", "2026-03"]


def test_payment_allocates_whole_months_and_keeps_the_rest_as_credit(regions):
    worker = member()
    allocation = payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=40_000,
        payment_reference="EXT-1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    assert allocation.months == (Period(2026, 2), Period(2026, 3))
    assert allocation.allocated_idr == 33_600
    assert allocation.credit_added_idr == 6_400
    assert member_credit_idr(worker_id=worker.pk) == 6_400
    # The credit pays the next month with the next payment (April is discounted: 8,400).
    second = payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=2_000,
        payment_reference="EXT-2",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 1)),
    )
    assert second.months == (Period(2026, 4),)
    assert second.credit_used_idr == 6_400
    assert member_credit_idr(worker_id=worker.pk) == 0
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_payment_is_idempotent_per_reference(regions):
    worker = member()
    kwargs = {
        "actor": Actor.system("test"),
        "worker": worker,
        "amount_idr": 16_800,
        "payment_reference": "DUP",
        "channel": "sandbox",
        "paid_at": at(dt.date(2026, 2, 10)),
    }
    first = payment_allocate(**kwargs)
    again = payment_allocate(**kwargs)
    assert first.created and not again.created
    assert again.entry_id == first.entry_id and again.months == first.months
    assert ContributionMonth.objects.filter(worker=worker).count() == 2
    assert member_credit_idr(worker_id=worker.pk) == 0


def test_paying_a_bill_marks_it_paid(regions):
    worker = member()
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=3, today=dt.date(2026, 2, 10))
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="B1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 11)),
        bill=bill,
    )
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert worker_status(worker=worker, today=dt.date(2026, 2, 12)).paid_through == Period(2026, 4)


def test_coverage_is_one_query_and_follows_paid_months(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="C1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    with CaptureQueriesContext(connection) as queries:
        covered = coverage_on(worker, dt.date(2026, 2, 20), "JKK")
    assert covered and len(queries) == 1
    # A first payment protects from the day it is made: no cover for what happened before.
    assert not coverage_on(worker, dt.date(2026, 2, 9))
    assert coverage_on(worker, dt.date(2026, 2, 10))
    assert not coverage_on(worker, dt.date(2026, 2, 20), "JHT")
    assert not coverage_on(worker, dt.date(2026, 3, 1))
    assert not coverage_on(worker.pk, dt.date(2026, 1, 31))


def test_on_time_payment_after_a_covered_month_covers_the_whole_month(regions):
    worker = member()
    for reference, day in (("J", dt.date(2026, 1, 10)), ("F", dt.date(2026, 2, 12))):
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=16_800,
            payment_reference=reference,
            channel="sandbox",
            paid_at=at(day),
        )
    assert not coverage_on(worker, dt.date(2026, 1, 9))
    assert coverage_on(worker, dt.date(2026, 2, 1))


def test_months_paid_ahead_cover_from_their_first_day(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=3 * 16_800,
        payment_reference="A",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 20)),
    )
    assert coverage_on(worker, dt.date(2026, 2, 1)) and coverage_on(worker, dt.date(2026, 3, 1))
    assert not coverage_on(worker, dt.date(2026, 1, 19))


def test_late_payment_covers_only_from_the_payment_day(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="L0",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    # February is paid on 25 February, after its due date (16 February 2026, Monday).
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="L1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 25)),
    )
    assert not coverage_on(worker, dt.date(2026, 2, 20))
    assert coverage_on(worker, dt.date(2026, 2, 25))


def test_status_moves_with_payments_and_time(regions):
    worker = member()
    assert worker_status(worker=worker, today=dt.date(2026, 1, 20)).status == Status.REGISTERED
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="S1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    assert worker_status(worker=worker, today=dt.date(2026, 1, 20)).status == Status.ACTIVE
    info = worker_status(worker=worker, today=dt.date(2026, 2, 17))
    assert info.status == Status.IN_ARREARS and info.arrears == (Period(2026, 2),)
    assert worker_status(worker=worker, today=dt.date(2026, 5, 20)).status == Status.ENDED


def test_channels_find_the_open_bill_by_its_code(regions):
    worker = member()
    old = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=dt.date(2026, 2, 10))
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=2, today=dt.date(2026, 2, 10))
    spaced = " ".join(bill.payment_code[i : i + 4] for i in range(0, 16, 4))
    assert bill_for_payment_code(payment_code=spaced, at=bill.created_at).pk == bill.pk
    with pytest.raises(BillNotFound) as exc:
        bill_for_payment_code(payment_code=old.payment_code, at=bill.created_at)
    assert exc.value.code == "payment_code_cancelled"
    with pytest.raises(BillNotFound) as exc:
        bill_for_payment_code(payment_code=bill.payment_code, at=bill.expires_at + dt.timedelta(seconds=1))
    assert exc.value.code == "payment_code_expired"
    mistyped = bill.payment_code[:-1] + str((int(bill.payment_code[-1]) + 1) % 10)
    with pytest.raises(BillNotFound) as exc:
        bill_for_payment_code(payment_code=mistyped)
    assert exc.value.code == "payment_code_invalid"
    with pytest.raises(BillNotFound):
        bill_for_payment_code(payment_code=payment_code_generate())
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="PC",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 11)),
        bill=bill,
    )
    with pytest.raises(BillNotFound) as exc:
        bill_for_payment_code(payment_code=bill.payment_code, at=bill.created_at)
    assert exc.value.code == "payment_code_paid"


def test_months_prepaid_before_a_discount_turn_into_credit(regions):
    worker = member()
    ruleset = RuleSet.objects.get(version="BPU-2024-01")
    saved = list(DiscountRule.objects.filter(ruleset=ruleset).values())
    # Prepay February–July 2026 under rules that do not yet know the discount.
    DiscountRule.objects.filter(ruleset=ruleset).delete()
    rulebook_cache_clear()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=6 * 16_800,
        payment_reference="PRE",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 1)),
    )
    # The discount arrives (April–December 2026 for non-transport): April–July were overpaid by 8,400 each.
    DiscountRule.objects.bulk_create([DiscountRule(**row) for row in saved])
    rulebook_cache_clear()
    assert paid_months_reprice(actor=Actor.system("test"), worker=worker) == 4 * 8_400
    assert member_credit_idr(worker_id=worker.pk) == 4 * 8_400
    assert paid_months_reprice(actor=Actor.system("test"), worker=worker) == 0
    april = ContributionMonth.objects.get(worker=worker, period=Period(2026, 4), program="JKK")
    assert (april.amount_idr, april.discount_idr) == (5_000, 5_000)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_bill_deducts_the_members_credit(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=20_000,
        payment_reference="CR",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    assert member_credit_idr(worker_id=worker.pk) == 3_200
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=2, today=dt.date(2026, 2, 11))
    # March in full, April discounted: 25,200, less the 3,200 credit.
    assert (bill.amount_idr, bill.credit_applied_idr) == (22_000, 3_200)
    allocation = payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="CR2",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 12)),
        bill=bill,
    )
    assert allocation.months == (Period(2026, 3), Period(2026, 4))
    assert member_credit_idr(worker_id=worker.pk) == 0


def test_credit_alone_pays_whole_months(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800 + 8_500,
        payment_reference="BIG",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    # February paid, 8,500 credit: not enough for March (16,800) on its own.
    assert credit_apply(actor=Actor.system("test"), worker=worker, at=at(dt.date(2026, 3, 1))) is None
    # A small payment plus the credit pays March; April (8,400, discounted) too.
    assert payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_700,
        payment_reference="MAR",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 2)),
    ).months == (Period(2026, 3), Period(2026, 4))
    # Credit granted later (e.g. an approved adjustment) pays May and June by itself.
    journal_post(
        actor=Actor.system("system"),
        kind="test_credit",
        reference="1",
        lines=[
            Line("adjustments", debit_idr=16_800, worker_id=worker.pk),
            Line("member_credit", credit_idr=16_800, worker_id=worker.pk),
        ],
    )
    with pytest.raises(NothingPayable) as exc:
        bill_issue(actor=Actor.system("test"), worker=worker, months=2, today=dt.date(2026, 3, 3))
    assert exc.value.code == "credit_covers"
    applied = credit_apply(actor=Actor.system("test"), worker=worker, at=at(dt.date(2026, 3, 3)))
    assert applied is not None and applied.months == (Period(2026, 5), Period(2026, 6))
    assert member_credit_idr(worker_id=worker.pk) == 0
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_reprice_paid_months_command_credits_once_and_spends_the_credit(regions):
    import json
    from io import StringIO

    from django.core.management import call_command

    worker = member()
    ruleset = RuleSet.objects.get(version="BPU-2024-01")
    saved = list(DiscountRule.objects.filter(ruleset=ruleset).values())
    DiscountRule.objects.filter(ruleset=ruleset).delete()
    rulebook_cache_clear()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=6 * 16_800,
        payment_reference="PRE",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 1)),
    )
    DiscountRule.objects.bulk_create([DiscountRule(**row) for row in saved])
    rulebook_cache_clear()

    out = StringIO()
    call_command("reprice_paid_months", "--since", "2026-04", stdout=out)
    summary = json.loads(out.getvalue())
    assert {k: summary[k] for k in ("members", "repriced", "credited_idr")} == {
        "members": 1,
        "repriced": 1,
        "credited_idr": 4 * 8_400,
    }
    spent = 4 * 8_400 - member_credit_idr(worker_id=worker.pk)
    assert (spent > 0) == (summary["months_from_credit"] > 0)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]

    again = StringIO()
    call_command("reprice_paid_months", "--since", "2026-04", stdout=again)
    assert json.loads(again.getvalue())["credited_idr"] == 0
