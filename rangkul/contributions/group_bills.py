"""Group bills: one payment code for many members (a partner, a community or a sponsor paying for a group).

A group bill's lines name each member, month and program. Its payment pays exactly
those lines: each member's share is one balanced journal entry (debit the channel's
clearing account, credit the programs' contribution accounts) and one coverage row
per line. A line the member has meanwhile paid themselves becomes the member's credit,
so money is conserved to the rupiah and a month is never paid twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.errors import ContributionErrorCode, InvalidMonths, NothingPayable
from rangkul.contributions.group_settle import Share, bill_shares_read, shares_pay
from rangkul.contributions.models import Bill, BillLine, BillStatus, ContributionMonth
from rangkul.contributions.quotes import Quote
from rangkul.contributions.schedule import payable_periods
from rangkul.contributions.selectors import paid_months, rules_for_memo
from rangkul.contributions.services.allocation import (
    Allocation,
)
from rangkul.contributions.services.billing import (
    _bill_create,
    _bill_lines_write,
    _ensure_billable,
    _price,
    _registered_on,
    _rules_for_preloaded,
    payment_code_ttl,
)
from rangkul.contributions.sql import review_sql
from rangkul.core.errors import Conflict
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

HELD_CHUNK = 5000

__all__ = ["GroupItem", "group_bill_cancel", "group_bill_issue", "group_bill_issue_for_months", "group_bill_pay"]


@dataclass(frozen=True)
class GroupItem:
    """One member's month on a group bill, and the programs the payer pays for it."""

    worker: Worker
    period: Period
    programs: tuple[str, ...]


def _bill_with_lines(
    *, actor: Actor, priced: Sequence[tuple[Worker, Quote]], sponsor_kind: str | None, audit_after: dict[str, Any]
) -> Bill:
    total = sum(q.total_idr for _w, q in priced)
    if total <= 0:
        raise NothingPayable(_("Nothing is owed for these members and months."))
    bill = _bill_create(
        actor=actor,
        worker=None,
        amount_idr=total,
        expires_at=timezone.now() + payment_code_ttl(),
        sponsor_kind=sponsor_kind or "",
    )
    _bill_lines_write(bill, priced, many=True)
    audit_record(
        actor=actor,
        action="contributions.group_bill_issued",
        subject=bill,
        after={
            "members": len({w.pk for w, _q in priced}),
            "amount_idr": total,
            "sponsor_kind": sponsor_kind or "",
            **audit_after,
        },
    )
    return bill


@transaction.atomic
def group_bill_issue(
    *,
    actor: Actor,
    workers: Sequence[Worker],
    months: int,
    sponsor_kind: str | None = None,
    today: dt.date | None = None,
) -> Bill:
    """One bill for many members, each from that member's first payable unpaid month.

    Members with nothing payable are left out. Members' own open bills stay valid:
    a month paid twice becomes the member's credit.
    """
    today = today or timezone.localdate()
    rules_for = rules_for_memo()
    rules = rules_for(Period.of(today))
    if months not in rules.prepay_lengths:
        raise InvalidMonths(
            _("You can pay for %(min)s to %(max)s months at once.")
            % {"min": rules.prepay_min_months, "max": rules.prepay_max_months},
            fields={"months": [_("Choose between 1 and 12 months.")]},
        )
    priced: list[tuple[Worker, Quote]] = []
    for worker in workers:
        _ensure_billable(worker)
        periods = payable_periods(
            registered_on=_registered_on(worker),
            paid=paid_months(worker_id=worker.pk),
            today=today,
            rules_for=rules_for,
            months=months,
        )
        priced += [(worker, _price(worker, p, rules_for, sponsor_kind=sponsor_kind)) for p in periods]
    return _bill_with_lines(actor=actor, priced=priced, sponsor_kind=sponsor_kind, audit_after={"months": months})


@transaction.atomic
def group_bill_issue_for_months(*, actor: Actor, items: Sequence[GroupItem], sponsor_kind: str | None) -> Bill:
    """One bill for named member-months, each priced for the payer (``sponsor_kind``).

    Only the programs in each item are billed (a sponsor paying JKK and JKM leaves a
    member's JHT to the member). A program-month already paid is left out.
    """
    rules_for = rules_for_memo()
    held = _held_lines(items)
    priced: list[tuple[Worker, Quote]] = []
    # Members share prices (the same income level, sector and month): each price is computed once.
    prices: dict[tuple[int, bool, str, Period], Quote] = {}
    for item in items:
        _ensure_billable(item.worker)
        key = (item.worker.declared_income_idr, item.worker.jht, item.worker.occupation.sector, item.period)
        if key not in prices:
            prices[key] = _price(item.worker, item.period, rules_for, sponsor_kind=sponsor_kind)
        quote = prices[key]
        lines = tuple(
            line
            for line in quote.lines
            if line.program in item.programs and (item.worker.pk, item.period, line.program) not in held
        )
        if lines:
            priced.append((item.worker, Quote(**{**quote.__dict__, "lines": lines})))
    return _bill_with_lines(
        actor=actor,
        priced=priced,
        sponsor_kind=sponsor_kind,
        audit_after={"months": sorted({str(i.period) for i in items})},
    )


def _held_lines(items: Sequence[GroupItem]) -> set[tuple[int, Period, str]]:
    """The (member, month, program) already paid among the items' members and months."""
    worker_ids = sorted({i.worker.pk for i in items})
    periods = {i.period.first_day for i in items}
    held: set[tuple[int, Period, str]] = set()
    table = ContributionMonth._meta.db_table
    sql = review_sql()
    # In chunks: SQLite takes a bounded number of parameters per statement (PostgreSQL: one array).
    with connection.cursor() as cursor:
        for start in range(0, len(worker_ids), HELD_CHUNK):
            in_ids, params = sql.ids_in("worker_id", worker_ids[start : start + HELD_CHUNK])
            months = ", ".join(["%s"] * len(periods))
            cursor.execute(
                f"SELECT worker_id, period, program FROM {table} WHERE {in_ids} AND period IN ({months})",  # noqa: S608
                [*params, *sorted(periods)],
            )
            held |= {(w, _month(p), prog) for w, p, prog in cursor.fetchall()}
    return held


def _month(value: Any) -> Period:
    """A month column as the cursor returns it (a date; SQLite: its ISO text)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return Period.of(value)


@transaction.atomic
def group_bill_cancel(*, actor: Actor, bill: Bill) -> None:
    """Withdraw an open group bill's payment code (a new bill replaces it)."""
    updated = Bill.objects.filter(pk=bill.pk, worker__isnull=True, status=BillStatus.OPEN).update(
        status=BillStatus.CANCELLED, cancelled_at=timezone.now()
    )
    if updated:
        audit_record(actor=actor, action="contributions.group_bill_cancelled", subject=bill)


@transaction.atomic
def group_bill_pay(
    *,
    actor: Actor,
    bill: Bill,
    amount_idr: int,
    payment_reference: str,
    channel: str,
    paid_at: dt.datetime | None = None,
) -> list[Allocation]:
    """Pay a group bill's lines: each member's share pays exactly that member's lines.

    The whole amount must arrive (a different amount is for payments' exception
    review). Idempotent: each member's share is posted once per reference.
    """
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if amount_idr != locked.amount_idr:
        raise Conflict(
            _("The amount paid (%(paid)s) differs from the bill (%(billed)s).")
            % {"paid": format_rupiah(amount_idr), "billed": format_rupiah(locked.amount_idr)},
            code=ContributionErrorCode.AMOUNT_MISMATCH,
        )
    paid_at = paid_at or timezone.now()
    # Plain rows, and of each member only what a share needs (the number, the day they registered).
    by_member, workers = bill_shares_read(locked.pk)
    rules_for = _rules_for_preloaded()
    allocations = shares_pay(
        actor=actor,
        shares=[
            Share(workers[worker_id], lines, f"{channel}:{payment_reference}/{worker_id}")
            for worker_id, lines in sorted(by_member.items())
            if sum(line.amount_idr for line in lines) > 0
        ],
        channel=channel,
        paid_at=paid_at,
        rules_for=rules_for,
        payer_kind=locked.sponsor_kind,
    )
    if locked.status == BillStatus.OPEN:
        Bill.objects.filter(pk=locked.pk).update(status=BillStatus.PAID, paid_at=paid_at)
    # The lines of members with nothing to pay (no entry of their own); the others were paid above.
    free = [line.pk for lines in by_member.values() if sum(line.amount_idr for line in lines) <= 0 for line in lines]
    if free:
        BillLine.objects.filter(pk__in=free, settled_at__isnull=True).update(settled_at=paid_at)
    return allocations


def _member_lines_pay(
    *,
    actor: Actor,
    worker: Worker,
    lines: Sequence[BillLine],
    reference: str,
    channel: str,
    paid_at: dt.datetime,
    rules_for: Any,
    payer_kind: str = "",
    debit_account: str | None = None,
) -> Allocation:
    """One member's share: ``shares_pay`` for a single member."""
    [allocation] = shares_pay(
        actor=actor,
        shares=[Share(worker, lines, reference)],
        channel=channel,
        paid_at=paid_at,
        rules_for=rules_for,
        payer_kind=payer_kind,
        debit_account=debit_account,
    )
    return allocation
