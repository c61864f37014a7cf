"""A gateway payment of a group bill for less than it owes pays whole shares in the bill's order;
more than it owes goes to review. Exactly once per (channel, reference), money conserved."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_issue
from rangkul.contributions.group_payments import group_bill_account, group_bill_unpaid
from rangkul.contributions.models import Bill, BillLine, BillStatus, ContributionMonth, JournalEntry, JournalLine
from rangkul.contributions.selectors import account_balance, coverage_on, ledger_totals
from rangkul.payments.models import ExceptionReason, Payment, PaymentException, PaymentStatus
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _group(size: int = 3) -> tuple[list, Bill]:
    workers = [billed_member()[0] for _ in range(size)]
    bill = group_bill_issue(actor=Actor.system("test"), workers=workers, months=1, today=timezone.localdate())
    return workers, bill


def _share(bill: Bill, worker) -> int:
    return int(BillLine.objects.filter(bill=bill, worker=worker).aggregate(s=Sum("amount_idr"))["s"])


def _covered(worker) -> bool:
    return coverage_on(worker, timezone.localdate())


def _held(bill: Bill) -> int:
    lines = JournalLine.objects.filter(account__code=group_bill_account(bill))
    totals = lines.aggregate(d=Sum("debit_idr"), c=Sum("credit_idr"))
    return int(totals["c"] or 0) - int(totals["d"] or 0)


def test_an_underpayment_pays_whole_shares_in_order_and_keeps_the_rest(client, regions):
    workers, bill = _group()
    share = _share(bill, workers[0])
    amount = 2 * share - 1  # one share whole, not the second
    body = sandbox_body(bill, amount_idr=amount, external_id="PART-1")
    response = post_callback(client, body)
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.ALLOCATED and payment.bill == bill
    assert payment.journal_entry_id is not None
    assert not PaymentException.objects.exists()
    assert [_covered(w) for w in workers] == [True, False, False]
    assert _held(bill) == share - 1
    assert [worker_id for worker_id, _ in group_bill_unpaid(bill=bill)] == [workers[1].pk, workers[2].pk]
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN

    # A repeated delivery moves no money.
    before = (ledger_totals(), JournalEntry.objects.count(), ContributionMonth.objects.count())
    again = post_callback(client, body)
    assert again.status_code == 200 and again.json() == response.json()
    assert Payment.objects.count() == 1
    assert (ledger_totals(), JournalEntry.objects.count(), ContributionMonth.objects.count()) == before

    # The remainder (what the bill still owes, the held money counted) pays the rest.
    rest = bill.amount_idr - amount
    response = post_callback(client, sandbox_body(bill, amount_idr=rest, external_id="PART-2"))
    assert response.json()["result"] == "recorded"
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and all(_covered(w) for w in workers)
    assert _held(bill) == 0
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    assert ContributionMonth.objects.aggregate(s=Sum("amount_idr"))["s"] == bill.amount_idr


def test_an_overpayment_of_a_group_bill_goes_to_review(client, regions):
    workers, bill = _group(2)
    response = post_callback(client, sandbox_body(bill, amount_idr=bill.amount_idr + 1, external_id="OVER"))
    assert response.status_code == 200
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.AMOUNT_MISMATCH
    assert Payment.objects.get().status == PaymentStatus.EXCEPTION
    assert not any(_covered(w) for w in workers)
    assert account_balance(code="clearing:suspense") != 0  # parked for review


def test_after_a_part_payment_the_whole_bill_amount_is_an_overpayment(client, regions):
    workers, bill = _group(2)
    post_callback(client, sandbox_body(bill, amount_idr=100, external_id="SMALL"))
    assert not any(_covered(w) for w in workers)
    assert _held(bill) == 100
    post_callback(client, sandbox_body(bill, amount_idr=bill.amount_idr, external_id="WHOLE"))
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.AMOUNT_MISMATCH and exc.payment.external_reference == "WHOLE"
    assert not any(_covered(w) for w in workers)
    # Exactly what it still owes is accepted.
    post_callback(client, sandbox_body(bill, amount_idr=bill.amount_idr - 100, external_id="REST"))
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and all(_covered(w) for w in workers)


def test_a_member_bill_paid_short_still_goes_to_review(client, regions):
    worker, bill = billed_member()
    post_callback(client, sandbox_body(bill, amount_idr=bill.amount_idr - 1))
    assert PaymentException.objects.get().reason == ExceptionReason.AMOUNT_MISMATCH
    assert not _covered(worker)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=60_000), min_size=1, max_size=4))
def test_part_payments_in_any_amounts_conserve_money(client, regions, cuts):
    workers, bill = _group(3)
    received = 0
    for number, amount in enumerate(cuts):
        post_callback(client, sandbox_body(bill, amount_idr=amount, external_id=f"CUT-{bill.pk}-{number}"))
    for payment in Payment.objects.filter(bill=bill):
        if payment.status == PaymentStatus.ALLOCATED:
            received += payment.amount_idr
    paid = ContributionMonth.objects.filter(worker__in=workers).aggregate(s=Sum("amount_idr"))["s"] or 0
    assert received == paid + _held(bill)
    assert received <= bill.amount_idr  # anything more went to review
    # Members are paid in the bill's order: no one after an unpaid member is covered.
    covered = [_covered(w) for w in workers]
    assert covered == sorted(covered, reverse=True)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_reversing_a_part_payment_takes_back_the_held_money_and_the_members_months(client, regions):
    from rangkul.payments import contributions_port as port

    workers, bill = _group(2)
    share = _share(bill, workers[0])
    post_callback(client, sandbox_body(bill, amount_idr=share + 500, external_id="PART-R"))
    assert _covered(workers[0]) and _held(bill) == 500
    entries = port.entries_for_payment(channel="sandbox", reference="PART-R")
    assert len(entries) == 2  # received onto the bill, then the first member's share
    port.entries_reverse(actor=Actor.system("test"), entry_ids=entries, reason="gateway refund", bill=bill)
    assert not _covered(workers[0])
    assert _held(bill) == 0
    assert account_balance(code="clearing:sandbox") == 0
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def _reverse_through_review(payment: Payment, officer, approver) -> None:
    """The payments reversal flow: a reversal review, proposed by one officer, approved by another."""
    from rangkul.payments.exceptions import exception_approve, exception_propose
    from rangkul.payments.models import Resolution

    exc = PaymentException.objects.create(
        payment=payment, reason=ExceptionReason.REVERSAL, detail="gateway reports refund", created_at=timezone.now()
    )
    exception_propose(
        actor=Actor.for_user(officer), exception_id=exc.pk, action=Resolution.REVERSE, note="refund confirmed"
    )
    exception_approve(actor=Actor.for_user(approver), exception_id=exc.pk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REVERSED


def _settled(bill: Bill) -> dict[int, bool]:
    """Per member on the bill: whether every line of theirs is marked paid."""
    settled: dict[int, bool] = {}
    for line in BillLine.objects.filter(bill=bill):
        settled[line.worker_id] = settled.get(line.worker_id, True) and line.settled_at is not None
    return settled


def test_reversing_a_part_payment_reopens_exactly_the_lines_it_paid(
    client, regions, payments_officer, payments_approver
):
    from rangkul.contributions.group_payments import group_bill_outstanding

    workers, bill = _group(3)
    first, second, third = (_share(bill, w) for w in workers)
    post_callback(client, sandbox_body(bill, amount_idr=first, external_id="PART-A"))
    post_callback(client, sandbox_body(bill, amount_idr=second, external_id="PART-B"))
    assert [_covered(w) for w in workers] == [True, True, False]
    assert group_bill_outstanding(bill=bill) == third

    _reverse_through_review(Payment.objects.get(external_reference="PART-A"), payments_officer, payments_approver)

    # Only the first member's lines (those PART-A paid) are open again; PART-B's stay paid.
    assert _settled(bill) == {workers[0].pk: False, workers[1].pk: True, workers[2].pk: False}
    assert [worker_id for worker_id, _ in group_bill_unpaid(bill=bill)] == [workers[0].pk, workers[2].pk]
    assert group_bill_outstanding(bill=bill) == first + third
    assert [_covered(w) for w in workers] == [False, True, False]
    assert _held(bill) == 0
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]

    # What the bill still owes pays the two open members, in the bill's order, and closes it.
    post_callback(client, sandbox_body(bill, amount_idr=first + third, external_id="PART-C"))
    assert all(_covered(w) for w in workers)
    assert all(_settled(bill).values())
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert ContributionMonth.objects.aggregate(s=Sum("amount_idr"))["s"] == bill.amount_idr
    assert account_balance(code="clearing:sandbox") == first + second + third  # PART-A is gone
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_reversing_the_payment_that_completed_a_bill_reopens_its_lines(
    client, regions, payments_officer, payments_approver
):
    from rangkul.contributions.group_payments import group_bill_outstanding

    workers, bill = _group(2)
    first, second = (_share(bill, w) for w in workers)
    post_callback(client, sandbox_body(bill, amount_idr=first + 700, external_id="PART-1"))
    post_callback(client, sandbox_body(bill, amount_idr=second - 700, external_id="PART-2"))
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID

    _reverse_through_review(Payment.objects.get(external_reference="PART-2"), payments_officer, payments_approver)

    assert _settled(bill) == {workers[0].pk: True, workers[1].pk: False}
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN and bill.paid_at is None
    # The 700 PART-1 left on the bill is still there, so the bill owes the second share less it.
    assert _held(bill) == 700 and group_bill_outstanding(bill=bill) == second - 700
    assert [_covered(w) for w in workers] == [True, False]
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_reversing_a_whole_group_payment_reopens_every_line(client, regions, payments_officer, payments_approver):
    from rangkul.contributions.group_payments import group_bill_outstanding

    workers, bill = _group(2)
    post_callback(client, sandbox_body(bill, external_id="WHOLE-1"))
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and all(_settled(bill).values())

    _reverse_through_review(Payment.objects.get(external_reference="WHOLE-1"), payments_officer, payments_approver)

    assert not any(_settled(bill).values())
    assert group_bill_outstanding(bill=bill) == bill.amount_idr
    assert not any(_covered(w) for w in workers)
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    # Paid again, whole, it covers everyone once more.
    post_callback(client, sandbox_body(bill, external_id="WHOLE-2"))
    assert all(_covered(w) for w in workers) and all(_settled(bill).values())
    assert ContributionMonth.objects.aggregate(s=Sum("amount_idr"))["s"] == bill.amount_idr
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_lines_paid_before_they_recorded_their_entry_get_it_from_the_coverage_rows(client, regions):
    """The migration that added ``BillLine.settled_entry`` fills it for lines already marked paid."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("rangkul.contributions.migrations.0011_bill_line_settled_entry")
    _workers, bill = _group(2)
    post_callback(client, sandbox_body(bill, external_id="OLD"))
    paid_by = dict(BillLine.objects.filter(bill=bill).values_list("pk", "settled_entry_id"))
    assert all(paid_by.values())
    BillLine.objects.filter(bill=bill).update(settled_entry=None)  # as lines paid before the column
    migration.settled_entries_fill(apps, None)
    assert dict(BillLine.objects.filter(bill=bill).values_list("pk", "settled_entry_id")) == paid_by
