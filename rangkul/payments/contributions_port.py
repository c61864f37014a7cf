"""Everything payments needs from contributions, in one place.

Payments never writes contributions' tables: it reads bills through this module and
moves money only through ``payment_allocate`` and ``journal_post``. Money that cannot
be matched to a bill waits in a suspense clearing account until a reviewer resolves it:

* received for review: debit ``clearing:<channel>``, credit ``clearing:suspense``;
* assigned to a member: ``payment_allocate`` with channel ``suspense`` (debit suspense);
* refunded: debit suspense, credit ``refunds_payable``;
* written off: debit suspense, credit ``adjustments``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from rangkul.audit.actors import Actor
from rangkul.contributions.allocation_runs import AllocationRun, EntrySpec
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.group_payments import (
    GroupPayment,
    group_bill_outstanding,
    group_bill_part_started,
    group_bill_pay_part,
)
from rangkul.contributions.ledger import Line, clearing_account, journal_post
from rangkul.contributions.models import Bill, BillStatus, ContributionMonth, JournalEntry, JournalLine
from rangkul.contributions.payment_codes import membership_number_of_code
from rangkul.contributions.reversals import Reversal, entries_reverse
from rangkul.contributions.selectors import coverage_on, ledger_totals, paid_months, worker_status
from rangkul.contributions.services import Allocation, month_due, payment_allocate
from rangkul.registry.models import Worker, WorkerStatus

__all__ = [
    "SUSPENSE_CHANNEL",
    "Allocation",
    "AllocationRun",
    "Bill",
    "BillStatus",
    "EntrySpec",
    "GroupPayment",
    "Reversal",
    "bill_for_code_locked",
    "bill_open_for_code",
    "coverage_on",
    "credit_moves_for_entry",
    "entries_for_payment",
    "entries_reverse",
    "group_bill_outstanding",
    "group_bill_part_started",
    "group_bill_pay",
    "group_bill_pay_part",
    "ledger_totals",
    "member_credit_post",
    "member_for_code",
    "month_due",
    "month_lines_for_entry",
    "months_for_entry",
    "paid_months",
    "payment_allocate",
    "suspense_post",
    "suspense_release",
    "worker_status",
]

SUSPENSE_CHANNEL = "suspense"


def bill_for_code_locked(code: str) -> Bill | None:
    """The bill with this payment code, locked until the end of the transaction.

    A member's bill comes with the member (and occupation, for pricing) and locks the
    member's row in the same statement, the lock ``payment_allocate`` otherwise takes
    itself (``member_locked``). A group bill has no member: it is read by a second query.
    """
    if not code:
        return None
    bill = (
        Bill.objects.select_for_update(of=("self", "worker"))
        .select_related("worker__occupation")
        .filter(payment_code=code, worker__isnull=False)
        .first()
    )
    if bill is None:
        bill = Bill.objects.select_for_update(of=("self",)).filter(payment_code=code).first()
    return bill


def member_for_code(code: str, *, lock: bool = False) -> Worker | None:
    """The member whose standing code this is (ADR 0047), their row locked with ``lock``; ``None`` for any other code.

    Only an active record takes money: a merged or erased record's code goes to review.
    """
    number = membership_number_of_code(code)
    if number is None:
        return None
    members = Worker.objects.select_related("occupation").filter(membership_number=number, status=WorkerStatus.ACTIVE)
    return (members.select_for_update(of=("self",)) if lock else members).first()


def bill_open_for_code(code: str) -> Bill | None:
    return Bill.objects.filter(payment_code=code, status=BillStatus.OPEN).first()


def suspense_post(*, actor: Actor, channel: str, reference: str, amount_idr: int, occurred_at: dt.datetime) -> int:
    """Park money received for review: the channel's clearing account against suspense."""
    entry, _created = journal_post(
        actor=actor,
        kind="payment_suspense",
        reference=f"{channel}:{reference}",
        lines=[
            Line(clearing_account(channel), debit_idr=amount_idr),
            Line(clearing_account(SUSPENSE_CHANNEL), credit_idr=amount_idr),
        ],
        memo=f"received for review via {channel}",
        occurred_at=occurred_at,
    )
    return entry.pk


def member_credit_post(
    *, actor: Actor, channel: str, reference: str, worker: Worker, amount_idr: int, occurred_at: dt.datetime
) -> int:
    """Keep a payment whole as the member's credit (its months were paid meanwhile): one payment entry."""
    entry, _created = journal_post(
        actor=actor,
        kind="payment",
        reference=f"{channel}:{reference}",
        lines=[
            Line(clearing_account(channel), debit_idr=amount_idr, worker_id=worker.pk),
            Line("member_credit", credit_idr=amount_idr, worker_id=worker.pk),
        ],
        memo=f"{worker.membership_number} via {channel}, kept as credit",
        occurred_at=occurred_at,
    )
    return entry.pk


def suspense_release(*, actor: Actor, kind: str, reference: str, amount_idr: int, worker: Worker | None) -> int:
    """Take money out of suspense as a refund (owed back) or a write-off (kept, with a reason)."""
    target = "refunds_payable" if kind == "payment_refund" else "adjustments"
    entry, _created = journal_post(
        actor=actor,
        kind=kind,
        reference=reference,
        lines=[
            Line(clearing_account(SUSPENSE_CHANNEL), debit_idr=amount_idr),
            Line(target, credit_idr=amount_idr, worker_id=worker.pk if worker else None),
        ],
        memo=kind.replace("_", " "),
    )
    return entry.pk


def months_for_entry(entry_id: int) -> list[str]:
    """The contribution months ("YYYY-MM") a payment's journal entry paid for."""
    periods = ContributionMonth.objects.filter(entry_id=entry_id).values_list("period", flat=True).distinct()
    return sorted({str(p)[:7] for p in periods})


def month_lines_for_entry(entry_id: int) -> list[dict[str, Any]]:
    """Each month and program a payment's journal entry paid for, with its amount (for the receipt)."""
    rows = (
        ContributionMonth.objects.filter(entry_id=entry_id)
        .select_related("worker")
        .order_by("period", "worker__membership_number", "program")
    )
    return [
        {
            "period": row.period,
            "program": row.program,
            "amount_idr": row.amount_idr,
            "membership_number": row.worker.membership_number,
        }
        for row in rows
    ]


def credit_moves_for_entry(entry_id: int) -> tuple[int, int]:
    """(taken from the member's credit, kept as credit) by a payment's journal entry, in rupiah."""
    lines = JournalLine.objects.filter(entry_id=entry_id, account__code="member_credit")
    used = sum(line.debit_idr for line in lines)
    kept = sum(line.credit_idr for line in lines)
    return used, kept


def entries_for_payment(*, channel: str, reference: str) -> list[int]:
    """Every journal entry that brought a payment's money in: parked in suspense, allocated to the
    member (directly, from suspense, or as a group bill's per-member shares, received whole or in part)."""
    direct = f"{channel}:{reference}"
    entries = JournalEntry.objects.filter(
        models.Q(kind="payment_suspense", reference=direct)
        | models.Q(kind="payment", reference__in=[direct, f"{SUSPENSE_CHANNEL}:{direct}"])
        | models.Q(kind="payment", reference__startswith=f"{direct}/")
        # A group bill paid in part: the money received onto the bill's account, then the members' shares.
        | models.Q(kind="group_payment", reference=direct)
    )
    return list(entries.order_by("pk").values_list("pk", flat=True))
