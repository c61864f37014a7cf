"""Payment allocation: money and member credit to whole months, and the coverage months they create.

Every money movement goes through ``ledger.journal_post``; coverage rows are
written in the same transaction as the payment's journal entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.ledger import Line, clearing_account, contribution_account, journal_post
from rangkul.contributions.models import (
    Bill,
    BillStatus,
    ContributionMonth,
    JournalEntry,
    RuleSet,
)
from rangkul.contributions.quotes import Quote
from rangkul.contributions.schedule import RulesFor, due_date_for
from rangkul.contributions.selectors import (
    member_credit_idr,
    paid_programs_of,
    protected_of,
    rules_for_memo,
)
from rangkul.contributions.services.billing import (
    _lock_versions,
    _owed_quotes,
    _registered_on,
    _rules_for_preloaded,
)
from rangkul.contributions.services.status import _status_store
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period
from rangkul.registry.models import MANDATORY_PROGRAMS, Worker

PAYMENT_KIND = "payment"


@dataclass(frozen=True)
class Allocation:
    entry_id: int
    created: bool
    amount_idr: int
    months: tuple[Period, ...]
    allocated_idr: int
    credit_used_idr: int
    credit_added_idr: int


def _allocation_from_entry(entry: JournalEntry, *, created: bool) -> Allocation:
    lines = list(entry.lines.select_related("account"))
    amount = sum(line.debit_idr for line in lines if line.account.code.startswith("clearing:"))
    credit_used = sum(line.debit_idr for line in lines if line.account.code == "member_credit")
    credit_added = sum(line.credit_idr for line in lines if line.account.code == "member_credit")
    months = sorted({line.period for line in lines if line.account.code.startswith("contribution:") and line.period})
    allocated = sum(line.credit_idr for line in lines if line.account.code.startswith("contribution:"))
    return Allocation(entry.pk, created, amount, tuple(months), allocated, credit_used, credit_added)


def _allocation_from_lines(entry_id: int, lines: Sequence[Line]) -> Allocation:
    """``_allocation_from_entry`` for an entry just posted, from its lines in memory."""
    amount = sum(line.debit_idr for line in lines if line.account.startswith("clearing:"))
    credit_used = sum(line.debit_idr for line in lines if line.account == "member_credit")
    credit_added = sum(line.credit_idr for line in lines if line.account == "member_credit")
    contribution = [line for line in lines if line.account.startswith("contribution:")]
    months = sorted({line.period for line in contribution if line.period})
    allocated = sum(line.credit_idr for line in contribution)
    return Allocation(entry_id, True, amount, tuple(months), allocated, credit_used, credit_added)


def payment_allocate(
    *,
    actor: Actor,
    worker: Worker,
    amount_idr: int,
    payment_reference: str,
    channel: str,
    paid_at: dt.datetime | None = None,
    bill: Bill | None = None,
    sponsor_kind: str | None = None,
    member_locked: bool = False,
    first_delivery: bool = False,
    audit: list[dict[str, Any]] | None = None,
) -> Allocation:
    """Apply a payment (plus any member credit) to whole months; keep the rest as credit.

    Order: payable arrears oldest first, then the current and later months, up to
    12 months ahead. Idempotent per ``(channel, payment_reference)``: a repeated
    call returns the first allocation and moves no money. ``sponsor_kind`` prices
    months paid by a sponsor (a state or regional budget gets no PP 50/2025 discount).

    For a caller on a hot path (a payment recorded once by its own unique constraint):
    ``member_locked`` says it already holds the member's row lock, ``first_delivery``
    skips the early look for an earlier allocation (the journal's unique constraint
    still decides), and ``audit`` collects the audit row for the caller to write
    with its own in one statement.
    """
    if amount_idr <= 0:
        raise ValidationFailed(
            _("A payment must be more than zero."), fields={"amount_idr": [_("Must be more than zero.")]}
        )
    reference = f"{channel}:{payment_reference}"
    # No savepoint of its own: every failure below aborts the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if not first_delivery:
            existing = JournalEntry.objects.filter(kind=PAYMENT_KIND, reference=reference).first()
            if existing is not None:
                return _allocation_from_entry(existing, created=False)
        return _allocate(
            actor=actor,
            worker=worker,
            amount_idr=amount_idr,
            kind=PAYMENT_KIND,
            reference=reference,
            debit_account=clearing_account(channel),
            paid_at=paid_at or timezone.now(),
            bill=bill,
            sponsor_kind=sponsor_kind,
            memo=f"{worker.membership_number} via {channel}",
            member_locked=member_locked,
            audit=audit,
        )


@transaction.atomic
def credit_apply(*, actor: Actor, worker: Worker, at: dt.datetime | None = None) -> Allocation | None:
    """Pay the next payable months from the member's credit alone (whole months only).

    Returns ``None`` when the credit does not cover the next month. Each run is
    its own journal entry (reference: the member and the moment).
    """
    at = at or timezone.now()
    allocation = _allocate(
        actor=actor,
        worker=worker,
        amount_idr=0,
        kind="credit_applied",
        reference=f"{worker.pk}:{at.isoformat()}",
        debit_account=None,
        paid_at=at,
        bill=None,
        sponsor_kind=None,
        memo=f"{worker.membership_number} from credit",
    )
    return allocation if allocation.created and allocation.months else None


def _allocate(
    *,
    actor: Actor,
    worker: Worker,
    amount_idr: int,
    kind: str,
    reference: str,
    debit_account: str | None,
    paid_at: dt.datetime,
    bill: Bill | None,
    sponsor_kind: str | None,
    memo: str,
    member_locked: bool = False,
    audit: list[dict[str, Any]] | None = None,
) -> Allocation:
    """Money in (``amount_idr`` from ``debit_account``) plus the member's credit → whole months, in order."""
    if not member_locked:
        Worker.objects.select_for_update().filter(pk=worker.pk).values_list("pk", flat=True).first()
    today = timezone.localdate(paid_at)
    rulesets = list(RuleSet.objects.order_by("-effective_from"))
    rules_for = _rules_for_preloaded(rulesets)
    funds = amount_idr + member_credit_idr(worker_id=worker.pk)
    # One read of the member's paid months serves the billing order (any program paid) and the
    # status and continuity (protected months: JKK and JKM paid).
    paid_programs = paid_programs_of([worker.pk])[worker.pk]
    already_paid, mandatory = paid_days_split(paid_programs)
    registered_on = _registered_on(worker)
    candidates = _owed_quotes(
        worker, already_paid=already_paid, today=today, rules_for=rules_for, months=10**3, sponsor_kind=sponsor_kind
    )
    quotes: list[Quote] = []
    for quote in candidates:
        if quote.total_idr > funds:
            break  # whole months only, in order
        funds -= quote.total_idr
        quotes.append(quote)
    allocated = sum(q.total_idr for q in quotes)
    if debit_account is None and allocated == 0:
        return Allocation(0, False, 0, (), 0, 0, 0)
    lines = allocation_lines(worker.pk, debit_account, amount_idr, quotes)
    entry, created = journal_post(
        actor=actor, kind=kind, reference=reference, lines=lines, memo=memo, occurred_at=paid_at
    )
    if not created:
        return _allocation_from_entry(entry, created=False)
    # Read above in this transaction: a version already locked stays locked (never unlocked).
    unlocked = {q.rule_version for q in quotes} - {r.version for r in rulesets if r.is_locked}
    if unlocked:
        _lock_versions(unlocked)
    starts, paid_now = covered_starts(
        quotes, mandatory=mandatory, today=today, rules_for=rules_for, registered_on=registered_on
    )
    ContributionMonth.objects.bulk_create(
        ContributionMonth(
            worker_id=worker.pk,
            period=q.period,  # type: ignore[misc]  # PeriodField takes a Period
            program=line.program,
            amount_idr=line.amount_idr,
            discount_idr=line.discount_idr,
            paid_at=paid_at,
            covered_from=starts[q.period],
            entry_id=entry.pk,
        )
        for q in quotes
        for line in q.lines
    )
    if bill is not None and bill.status == BillStatus.OPEN:
        Bill.objects.filter(pk=bill.pk).update(status=BillStatus.PAID, paid_at=paid_at)
    # The status from the months held before plus those just paid (first paid today),
    # exactly what re-reading them would give, in the same transaction as the payment.
    # The whole history is simulated again from the months already in memory: it costs a
    # fraction of a millisecond, and it is by construction what a full refresh stores.
    _status_store(worker=worker, paid=paid_now, today=today, rules_for=rules_for)
    allocation = _allocation_from_lines(entry.pk, lines)
    entry_audit: dict[str, Any] = {
        "actor": actor,
        "action": "contributions.payment_allocated" if debit_account else "contributions.credit_applied",
        "subject": worker,
        "after": {
            "reference": reference,
            "amount_idr": amount_idr,
            "months": [str(p) for p in allocation.months],
            "credit_used_idr": allocation.credit_used_idr,
            "credit_added_idr": allocation.credit_added_idr,
        },
    }
    if audit is None:
        audit_record(**entry_audit)
    else:
        audit.append(entry_audit)
    return allocation


def paid_days_split(
    paid_programs: dict[Period, dict[str, dt.date]],
) -> tuple[dict[Period, dt.date], dict[Period, dict[str, dt.date]]]:
    """From a member's paid programs per month: the day each month was first paid (the billing
    order), and each month's protected programs (JKK, JKM) with their days (status, continuity)."""
    already_paid = {period: min(days.values()) for period, days in paid_programs.items()}
    mandatory = {
        period: {program: day for program, day in days.items() if program in MANDATORY_PROGRAMS}
        for period, days in paid_programs.items()
    }
    return already_paid, mandatory


def allocation_lines(worker_id: int, debit_account: str | None, amount_idr: int, quotes: Sequence[Quote]) -> list[Line]:
    """A payment's entry: the money in, the member's credit used or kept, each month's programs."""
    allocated = sum(q.total_idr for q in quotes)
    lines = [Line(debit_account, debit_idr=amount_idr, worker_id=worker_id)] if debit_account else []
    if allocated > amount_idr:
        lines.append(Line("member_credit", debit_idr=allocated - amount_idr, worker_id=worker_id))
    elif allocated < amount_idr:
        lines.append(Line("member_credit", credit_idr=amount_idr - allocated, worker_id=worker_id))
    lines += [
        Line(
            contribution_account(line.program),
            credit_idr=line.amount_idr,
            worker_id=worker_id,
            period=q.period,
            program=line.program,
        )
        for q in quotes
        for line in q.lines
        if line.amount_idr > 0
    ]
    return lines


def covered_starts(
    quotes: Sequence[Quote],
    *,
    mandatory: dict[Period, dict[str, dt.date]],
    today: dt.date,
    rules_for: RulesFor,
    registered_on: dt.date,
) -> tuple[dict[Period, dt.date], dict[Period, dt.date]]:
    """The first day each paid month covers the member, and the protected months (JKK and JKM paid)
    with the day each became one, once the payment's months are paid today."""
    # A month's continuity and the member's status count protected months only (JKK and JKM paid):
    # a month whose mandatory programs are now all paid (by this payment, or before by anyone) joins them.
    protected = protected_of(mandatory)
    now_protected = [
        q.period
        for q in quotes
        if set(MANDATORY_PROGRAMS) <= set(mandatory.get(q.period, {})) | {line.program for line in q.lines}
    ]
    covered = set(protected)
    starts: dict[Period, dt.date] = {}
    for q in quotes:
        starts[q.period] = _covered_from(
            q.period,
            today,
            rules_for,
            continuous=q.period - 1 in covered,
            registered_on=registered_on,
        )
        if q.period in now_protected:
            covered.add(q.period)
    paid_now = dict(protected)
    for period in now_protected:
        paid_now.setdefault(period, today)
    return starts, paid_now


def _covered_from(
    period: Period, paid_on: dt.date, rules_for: RulesFor, *, continuous: bool, registered_on: dt.date
) -> dt.date:
    """The first day a paid month protects the member.

    Paid before the month starts, or on time (by the due date) while the previous
    month was covered: the whole month. Otherwise (a first payment, a resumption,
    a month paid late) from the payment day, since there is no retroactive cover
    unless the rule version allows it. Never before registration.
    """
    rules = rules_for(period)
    start = max(period.first_day, registered_on)
    if paid_on <= period.first_day:
        return start
    if rules.retroactive_cover or (continuous and paid_on <= due_date_for(period, rules)):
        return start
    return max(start, paid_on)


@transaction.atomic
def paid_months_reprice(*, actor: Actor, worker: Worker) -> int:
    """Turn into member credit what was overpaid for months a later rule version discounts.

    DOMAIN (PP 50/2025): money already prepaid for discounted months becomes
    credit for later months. Only discounts are applied afterwards: the gross
    amount paid stays (a later price rise is not charged for a month already
    paid). Returns the rupiah credited; running it again credits nothing.
    """
    rules_for = rules_for_memo()
    sector = worker.occupation.sector
    rows = list(ContributionMonth.objects.select_for_update().filter(worker=worker).order_by("period", "program"))
    changes: list[tuple[ContributionMonth, int]] = []
    for row in rows:
        gross = row.amount_idr + row.discount_idr
        rule = rules_for(row.period).discount_for(
            program=row.program, sector=sector, period=row.period, sponsor_kind=None
        )
        if rule is not None and (discount := rule.amount_on(gross)) > row.discount_idr:
            changes.append((row, discount))
    if not changes:
        return 0
    credited = sum(discount - row.discount_idr for row, discount in changes)
    reference = f"{worker.pk}:" + ",".join(f"{row.period}/{row.program}/{d}" for row, d in changes)
    lines = [
        Line(
            contribution_account(row.program),
            debit_idr=discount - row.discount_idr,
            worker_id=worker.pk,
            period=row.period,
            program=row.program,
        )
        for row, discount in changes
    ]
    lines.append(Line("member_credit", credit_idr=credited, worker_id=worker.pk))
    _entry, created = journal_post(
        actor=actor,
        kind="reprice",
        reference=hashlib.sha256(reference.encode()).hexdigest(),
        lines=lines,
        memo=f"{worker.membership_number} discount applied to paid months",
    )
    if not created:
        return 0
    for row, discount in changes:
        gross = row.amount_idr + row.discount_idr
        ContributionMonth.objects.filter(pk=row.pk).update(amount_idr=gross - discount, discount_idr=discount)
    audit_record(
        actor=actor,
        action="contributions.paid_months_repriced",
        subject=worker,
        after={"months": sorted({str(row.period) for row, _d in changes}), "credited_idr": credited},
    )
    return credited
