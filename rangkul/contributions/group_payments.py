"""Part payments of a group bill: allocated to members in the bill's order, each member's share whole.

The fair order (ADR 0030): members are paid in the order the bill lists them — for a
sponsorship's bill, the order the members were enrolled, first enrolled first paid.
A member's share (every line of that member on the bill) is paid whole or not at all,
and the first share that does not fit stops the allocation: a later, cheaper member
never overtakes an earlier one. What is left waits on the bill's own payable account
(``payable:group-bill:<code>``) and is used first by the bill's next payment; the bill
is paid when every member's share is. Money is conserved: every rupiah received is a
member's paid month, a member's credit, or on the bill's payable account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.errors import ContributionErrorCode
from rangkul.contributions.group_settle import Share, lines_settle, shares_pay
from rangkul.contributions.ledger import PAYABLE_PREFIX, Line, clearing_account, journal_post
from rangkul.contributions.models import Bill, BillLine, BillStatus, JournalLine
from rangkul.contributions.services.billing import _rules_for_preloaded
from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.registry.models import Worker

RECEIVED_KIND = "group_payment"

__all__ = [
    "GroupPayment",
    "group_bill_account",
    "group_bill_outstanding",
    "group_bill_part_started",
    "group_bill_pay_part",
    "group_bill_unpaid",
]


def group_bill_account(bill: Bill) -> str:
    """The account holding a group bill's money received and not yet allocated to a member."""
    return f"{PAYABLE_PREFIX}group-bill:{bill.payment_code}"


@dataclass(frozen=True)
class GroupPayment:
    created: bool
    received_idr: int
    members_paid: int  # by this payment
    allocated_idr: int  # by this payment
    held_idr: int  # on the bill's account after it
    unpaid_members: int
    unpaid_idr: int
    bill_paid: bool
    entry_id: int | None = None  # the entry that received the money (onto the bill's account)


def _held_idr(account: str) -> int:
    totals = JournalLine.objects.filter(account__code=account).aggregate(d=Sum("debit_idr"), c=Sum("credit_idr"))
    return int(totals["c"] or 0) - int(totals["d"] or 0)


def _unpaid_shares(bill: Bill) -> list[tuple[int, list[BillLine]]]:
    """The members not yet paid on the bill, in the bill's order (its lines' order), with their lines."""
    shares: dict[int, list[BillLine]] = {}
    for line in BillLine.objects.filter(bill=bill, settled_at__isnull=True).order_by("id"):
        shares.setdefault(line.worker_id, []).append(line)
    return list(shares.items())


@transaction.atomic
def group_bill_pay_part(
    *,
    actor: Actor,
    bill: Bill,
    amount_idr: int,
    payment_reference: str,
    channel: str,
    paid_at: dt.datetime | None = None,
) -> GroupPayment:
    """Receive ``amount_idr`` for a group bill and pay as many members as it (and any money held) covers.

    Idempotent per ``(channel, payment_reference)``: a repeated call moves no money.
    """
    if amount_idr <= 0:
        raise ValidationFailed(
            _("A payment must be more than zero."), fields={"amount_idr": [_("Must be more than zero.")]}
        )
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if locked.worker_id is not None:
        raise Conflict(_("This is a member's own bill, not a group bill."), code=ContributionErrorCode.NOT_A_GROUP_BILL)
    if locked.status == BillStatus.CANCELLED:
        raise Conflict(_("This bill was withdrawn; pay the newer bill."), code=ContributionErrorCode.BILL_CANCELLED)
    paid_at = paid_at or timezone.now()
    account = group_bill_account(locked)
    reference = f"{channel}:{payment_reference}"
    entry, created = journal_post(
        actor=actor,
        kind=RECEIVED_KIND,
        reference=reference,
        lines=[
            Line(clearing_account(channel), debit_idr=amount_idr),
            Line(account, credit_idr=amount_idr),
        ],
        memo=f"group bill {locked.payment_code} via {channel}",
        occurred_at=paid_at,
    )
    paid_members = allocated = 0
    if created:
        held = _held_idr(account)
        shares = _unpaid_shares(locked)
        workers = Worker.objects.in_bulk([worker_id for worker_id, _lines in shares])
        rules_for = _rules_for_preloaded()
        free: list[int] = []  # lines with nothing to pay: settled by the entry that received the money
        chosen: list[Share] = []
        for number, (worker_id, lines) in enumerate(shares):
            share = sum(line.amount_idr for line in lines)
            if share > held:
                break  # strict order: nobody after an unpaid member is paid first
            if share > 0:
                chosen.append(Share(workers[worker_id], lines, f"{reference}/{number}/{worker_id}"))
            else:
                free += [line.pk for line in lines]
            held -= share
            allocated += share
            paid_members += 1
        shares_pay(
            actor=actor,
            shares=chosen,
            channel=channel,
            paid_at=paid_at,
            rules_for=rules_for,
            payer_kind=locked.sponsor_kind,
            debit_account=account,
        )
        lines_settle(pairs=[(line, entry.pk) for line in free], settled_at=paid_at)
    unpaid = _unpaid_shares(locked)
    unpaid_idr = sum(line.amount_idr for _w, lines in unpaid for line in lines)
    bill_paid = not unpaid
    if bill_paid and locked.status == BillStatus.OPEN:
        Bill.objects.filter(pk=locked.pk).update(status=BillStatus.PAID, paid_at=paid_at)
    result = GroupPayment(
        created=created,
        received_idr=amount_idr,
        members_paid=paid_members,
        allocated_idr=allocated,
        held_idr=_held_idr(account),
        unpaid_members=len(unpaid),
        unpaid_idr=unpaid_idr,
        bill_paid=bill_paid,
        entry_id=entry.pk,
    )
    if created:
        audit_record(
            actor=actor,
            action="contributions.group_bill_part_paid",
            subject=locked,
            after={
                "reference": reference,
                "received_idr": amount_idr,
                "members_paid": paid_members,
                "allocated_idr": allocated,
                "held_idr": result.held_idr,
                "unpaid_members": result.unpaid_members,
            },
        )
    return result


def group_bill_unpaid(*, bill: Bill) -> list[tuple[int, int]]:
    """The members still unpaid on a group bill, in the bill's order: (member id, their share in rupiah)."""
    return [(worker_id, sum(line.amount_idr for line in lines)) for worker_id, lines in _unpaid_shares(bill)]


def group_bill_outstanding(*, bill: Bill) -> int:
    """What is still owed on a group bill: its unpaid members' shares less the money it already holds."""
    unpaid = sum(share for _worker_id, share in group_bill_unpaid(bill=bill))
    return max(0, unpaid - _held_idr(group_bill_account(bill)))


def group_bill_part_started(*, bill: Bill) -> bool:
    """Whether any money ever reached the bill's own account (a part payment or a budget transfer).

    One indexed lookup, so a whole payment of an untouched bill need not read the bill's lines.
    """
    return JournalLine.objects.filter(account__code=group_bill_account(bill)).exists()
