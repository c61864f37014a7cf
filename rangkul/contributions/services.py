"""Writes: bills with payment codes, payment allocation, and the coverage months they create.

Every money movement goes through ``ledger.journal_post``; coverage rows are
written in the same transaction as the payment's journal entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.services import audit_record
from rangkul.contributions.errors import InvalidMonths, NothingPayable
from rangkul.contributions.ledger import Line, clearing_account, contribution_account, journal_post
from rangkul.contributions.models import (
    AdjustmentKind,
    AdjustmentStatus,
    Bill,
    BillLine,
    BillStatus,
    ContributionMonth,
    JournalEntry,
    LedgerAdjustment,
    MemberStatus,
    MemberStatusChange,
    RuleSet,
)
from rangkul.contributions.payment_codes import payment_code_generate
from rangkul.contributions.quotes import Quote, price_month
from rangkul.contributions.rules import RuleBook, rulebook_for, rulebook_from_row
from rangkul.contributions.schedule import (
    RulesFor,
    Status,
    StatusChange,
    due_date_for,
    member_status_and_review,
    payable_periods,
)
from rangkul.contributions.selectors import member_credit_idr, paid_months, rules_for_memo
from rangkul.contributions.status_review import (
    TimeStep,
    apply_time_steps,
    members_paid_after,
    schedule_is_uniform,
    time_step,
)
from rangkul.core.bulk import collector_relaxed
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.core.money import format_rupiah, round_idr
from rangkul.core.periods import Period
from rangkul.registry.models import Worker, WorkerStatus

PAYMENT_KIND = "payment"


def payment_code_ttl() -> dt.timedelta:
    # RANGKUL_PAYMENT_CODE_TTL_HOURS: how long a payment code is accepted (default 72 hours).
    return dt.timedelta(hours=int(getattr(settings, "PAYMENT_CODE_TTL_HOURS", 72)))


def _rules_for_preloaded(rows: Sequence[RuleSet] | None = None) -> RulesFor:
    """``rules_for_memo`` with every rule version read in one query (there are a handful).

    Picks the same version as ``rulebook_for``: the latest one whose effective range
    covers the month's first day; a month no version covers still raises through it.
    """
    if rows is None:
        rows = list(RuleSet.objects.order_by("-effective_from"))
    memo: dict[Period, RuleBook] = {}

    def rules_for(period: Period) -> RuleBook:
        if period not in memo:
            day = period.first_day
            row = next(
                (r for r in rows if r.effective_from <= day and (r.effective_to is None or r.effective_to >= day)),
                None,
            )
            memo[period] = rulebook_from_row(row) if row is not None else rulebook_for(period)
        return memo[period]

    return rules_for


def _registered_on(worker: Worker) -> dt.date:
    return timezone.localdate(worker.registered_at)


def _price(worker: Worker, period: Period, rules_for: RulesFor, *, sponsor_kind: str | None = None) -> Quote:
    return price_month(
        rules=rules_for(period),
        declared_income_idr=worker.declared_income_idr,
        jht=worker.jht,
        sector=worker.occupation.sector,
        period=period,
        sponsor_kind=sponsor_kind,
    )


@transaction.atomic
def bill_issue(*, actor: Any, worker: Worker, months: int, today: dt.date | None = None) -> Bill:
    """A bill for ``months`` months from the first payable unpaid month (arrears in the window first).

    Issuing a bill cancels the member's previous open bill: its code is no longer accepted.
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
    _ensure_billable(worker)
    # One member's bills and payments are serialised on the member's row.
    Worker.objects.select_for_update().filter(pk=worker.pk).first()
    periods = payable_periods(
        registered_on=_registered_on(worker),
        paid=paid_months(worker_id=worker.pk),
        today=today,
        rules_for=rules_for,
        months=months,
    )
    if len(periods) < months:
        raise NothingPayable(
            _("Only %(count)s more months can be paid now; contributions are paid at most 12 months ahead.")
            % {"count": len(periods)},
            fields={"months": [_("Choose fewer months.")]},
        )
    quotes = [_price(worker, period, rules_for) for period in periods]
    total = sum(q.total_idr for q in quotes)
    if total <= 0:
        raise NothingPayable(_("Nothing is owed for these months."))
    # Money the member already paid and that is not yet used lowers the bill; the payment
    # plus that credit then pays exactly these months.
    credit = min(member_credit_idr(worker_id=worker.pk), total)
    if credit >= total:
        raise NothingPayable(
            _("Your credit already pays for these months; no payment is needed."), code="credit_covers"
        )
    now = timezone.now()
    previous = list(Bill.objects.select_for_update().filter(worker=worker, status=BillStatus.OPEN))
    Bill.objects.filter(pk__in=[b.pk for b in previous]).update(status=BillStatus.CANCELLED, cancelled_at=now)
    bill = _bill_create(
        actor=actor,
        worker=worker,
        amount_idr=total - credit,
        expires_at=now + payment_code_ttl(),
        credit_applied_idr=credit,
    )
    versions = {q.rule_version for q in quotes}
    rulesets = {r.version: r for r in RuleSet.objects.filter(version__in=versions)}
    BillLine.objects.bulk_create(
        BillLine(
            bill=bill,
            worker=worker,
            period=q.period,  # type: ignore[misc]  # PeriodField takes a Period
            program=line.program,
            amount_idr=line.amount_idr,
            discount_idr=line.discount_idr,
            ruleset=rulesets[q.rule_version],
        )
        for q in quotes
        for line in q.lines
    )
    _lock_versions(versions)
    Bill.objects.filter(pk__in=[b.pk for b in previous]).update(replaced_by=bill)
    audit_record(
        actor=actor,
        action="contributions.bill_issued",
        subject=bill,
        after={
            "worker": worker.membership_number,
            "months": [str(p) for p in periods],
            "amount_idr": total - credit,
            "credit_applied_idr": credit,
            "cancelled": [b.payment_code for b in previous],
        },
    )
    return bill


def _lock_versions(versions: set[str]) -> None:
    # A rule version that has priced a bill or a payment is never changed again (only superseded).
    RuleSet.objects.filter(version__in=versions, is_locked=False).update(is_locked=True, locked_at=timezone.now())


def _ensure_billable(worker: Worker) -> None:
    if worker.status == WorkerStatus.MERGED:
        raise Conflict(
            _("This membership record was merged into another one; use the other membership number."),
            code="worker_merged",
        )


def _bill_create(
    *,
    actor: Any,
    worker: Worker | None,
    amount_idr: int,
    expires_at: dt.datetime,
    sponsor_kind: str = "",
    credit_applied_idr: int = 0,
) -> Bill:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Bill.objects.create(
                    payment_code=payment_code_generate(),
                    worker=worker,
                    amount_idr=amount_idr,
                    sponsor_kind=sponsor_kind,
                    credit_applied_idr=credit_applied_idr,
                    expires_at=expires_at,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:
            # A payment code collision: draw another.
            continue
    raise IntegrityError("could not draw a unique payment code")


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
    actor: Any,
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
def credit_apply(*, actor: Any, worker: Worker, at: dt.datetime | None = None) -> Allocation | None:
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
    actor: Any,
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
    already_paid = paid_months(worker_id=worker.pk)
    registered_on = _registered_on(worker)
    candidates = payable_periods(
        registered_on=registered_on,
        paid=already_paid,
        today=today,
        rules_for=rules_for,
        months=10**3,
    )
    quotes: list[Quote] = []
    for period in candidates:
        quote = _price(worker, period, rules_for, sponsor_kind=sponsor_kind)
        if quote.total_idr > funds:
            break  # whole months only, in order
        funds -= quote.total_idr
        quotes.append(quote)
    allocated = sum(q.total_idr for q in quotes)
    if debit_account is None and allocated == 0:
        return Allocation(0, False, 0, (), 0, 0, 0)
    lines = [Line(debit_account, debit_idr=amount_idr, worker_id=worker.pk)] if debit_account else []
    if allocated > amount_idr:
        lines.append(Line("member_credit", debit_idr=allocated - amount_idr, worker_id=worker.pk))
    elif allocated < amount_idr:
        lines.append(Line("member_credit", credit_idr=amount_idr - allocated, worker_id=worker.pk))
    lines += [
        Line(
            contribution_account(line.program),
            credit_idr=line.amount_idr,
            worker_id=worker.pk,
            period=q.period,
            program=line.program,
        )
        for q in quotes
        for line in q.lines
        if line.amount_idr > 0
    ]
    entry, created = journal_post(
        actor=actor, kind=kind, reference=reference, lines=lines, memo=memo, occurred_at=paid_at
    )
    if not created:
        return _allocation_from_entry(entry, created=False)
    # Read above in this transaction: a version already locked stays locked (never unlocked).
    unlocked = {q.rule_version for q in quotes} - {r.version for r in rulesets if r.is_locked}
    if unlocked:
        _lock_versions(unlocked)
    covered = set(already_paid)
    starts: dict[Period, dt.date] = {}
    for q in quotes:
        starts[q.period] = _covered_from(
            q.period,
            today,
            rules_for,
            continuous=q.period - 1 in covered,
            registered_on=registered_on,
        )
        covered.add(q.period)
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
    paid_now = dict(already_paid)
    for q in quotes:
        paid_now.setdefault(q.period, today)
    _status_store(worker=worker, paid=paid_now, today=today, rules_for=rules_for)
    allocation = _allocation_from_lines(entry.pk, lines)
    entry_audit = {
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


def _status_fields(
    *, registered_on: dt.date, paid: dict[Period, dt.date], today: dt.date, rules_for: RulesFor
) -> tuple[dict[str, Any], tuple[StatusChange, ...]]:
    """The stored status columns and the full history, from the pure rules in ``schedule``."""
    info, review = member_status_and_review(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    fields = {
        "status": info.status,
        "since": info.since,
        "paid_through": info.paid_through,
        "arrears_months": len(info.arrears),
        "pay_arrears_by": info.pay_arrears_by,
        "next_review_on": review,
    }
    return fields, info.history


_STATUS_COLUMNS = ("status", "since", "paid_through", "arrears_months", "pay_arrears_by")


@transaction.atomic
def member_status_refresh(*, worker: Worker, today: dt.date | None = None) -> MemberStatus:
    """Recompute and store the member's status and append any new status changes."""
    today = today or timezone.localdate()
    return _status_store(
        worker=worker,
        paid=paid_months(worker_id=worker.pk),
        today=today,
        rules_for=_rules_for_preloaded(),
    )


def _status_store(*, worker: Worker, paid: dict[Period, dt.date], today: dt.date, rules_for: RulesFor) -> MemberStatus:
    """Store the status computed from ``paid`` (every paid month and the day it was first paid).

    The caller passes the paid months it already holds (allocation knows the months it
    has just written), so nothing written in this transaction is read back.
    """
    fields, history = _status_fields(registered_on=_registered_on(worker), paid=paid, today=today, rules_for=rules_for)
    now = timezone.now()
    if not MemberStatus.objects.filter(worker_id=worker.pk).update(**fields, updated_at=now):
        try:
            with transaction.atomic():
                MemberStatus.objects.create(worker=worker, **fields)
        except IntegrityError:
            # Created concurrently by another refresh of the same member: store ours over it.
            MemberStatus.objects.filter(worker_id=worker.pk).update(**fields, updated_at=now)
    # The unique (worker, status, since) constraint keeps each change once.
    MemberStatusChange.objects.bulk_create(
        [MemberStatusChange(worker_id=worker.pk, status=change.status, since=change.since) for change in history],
        ignore_conflicts=True,
    )
    status = MemberStatus(worker=worker, **fields, updated_at=now)
    status._state.adding = False
    status._state.db = "default"
    return status


def _paid_months_of(worker_ids: Sequence[int]) -> dict[int, dict[Period, dt.date]]:
    """``selectors.paid_months`` for many members in one query: member → month → day first paid."""
    paid: dict[int, dict[Period, dt.date]] = {pk: {} for pk in worker_ids}
    rows = (
        ContributionMonth.objects.filter(worker_id__in=worker_ids)
        .values("worker_id", "period")
        .annotate(first_paid=Min("paid_at"))
        .order_by("worker_id", "period")
    )
    for row in rows:
        paid[row["worker_id"]][Period.of(row["period"])] = timezone.localdate(row["first_paid"])
    return paid


@dataclass
class _ReviewPlan:
    """What a review run works out once: who paid after the review day, and the set-based
    outcome for each stored ``(status, paid_through)`` among the members due (``status_review``)."""

    paid_later: set[int]
    steps: list[TimeStep]


def _review_plan(*, today: dt.date, rules_for: RulesFor) -> _ReviewPlan | None:
    if not schedule_is_uniform():
        return None
    keys = (
        MemberStatus.objects.filter(
            next_review_on__lte=today,
            status__in=[Status.ACTIVE, Status.IN_ARREARS, Status.ENDED],
            paid_through__isnull=False,
        )
        .values_list("status", "paid_through")
        .distinct()
    )
    steps = [
        # PeriodField reads the month as a Period (typed as the DateField it stores).
        time_step(status=status, paid_through=cast(Period, month), today=today, rules_for=rules_for)
        for status, month in keys
    ]
    return _ReviewPlan(members_paid_after(today), [step for step in steps if step is not None])


@collector_relaxed()
def member_statuses_review(*, today: dt.date | None = None, batch_size: int = 5000) -> dict[str, int]:
    """The daily review: refresh every member whose status time alone may have changed.

    Set-based (ADR 0014): per batch, members whose case is plain (a run of paid months
    and nothing paid after it) are moved by a few statements shared by everyone with the
    same status and last paid month; the others are simulated one by one. Each member
    ends with exactly what ``member_status_refresh`` would store.
    """
    today = today or timezone.localdate()
    rules_for = _rules_for_preloaded()  # one memo for the whole run: rule versions are read once
    # Members due later in the run (a status a payment stored meanwhile) with another
    # status and month than those read here are simulated: the outcome stays exact.
    plan = _review_plan(today=today, rules_for=rules_for)
    reviewed = changed = 0
    last_pk = 0
    while True:
        batch = _review_batch(after=last_pk, limit=batch_size, today=today, rules_for=rules_for, plan=plan)
        if batch is None:
            break
        last_pk, batch_reviewed, batch_changed = batch
        reviewed += batch_reviewed
        changed += batch_changed
    return {"reviewed": reviewed, "changed": changed}


@transaction.atomic
def _review_batch(
    *, after: int, limit: int, today: dt.date, rules_for: RulesFor, plan: _ReviewPlan | None
) -> tuple[int, int, int] | None:
    """Review the next ``limit`` due members after member ``after``: ``(last member, reviewed,
    changed)``, or ``None`` when no member is left due."""
    due = (
        MemberStatus.objects.filter(next_review_on__lte=today, worker_id__gt=after)
        .order_by("worker_id")
        .values("worker_id")[:limit]
    )
    # Payments lock the member's row before writing months and status: lock the batch's
    # rows the same way (in key order) so a payment never interleaves with the review.
    locked = list(Worker.objects.select_for_update().filter(pk__in=due).order_by("pk").values_list("pk", flat=True))
    if not locked:
        return None
    plain_reviewed = plain_changed = 0
    if plan is not None:
        plain_reviewed, plain_changed = apply_time_steps(
            worker_ids=[pk for pk in locked if pk not in plan.paid_later], steps=plan.steps, today=today
        )
    # Everyone still due was not plain: the exact simulation, one member at a time.
    statuses = list(MemberStatus.objects.filter(worker_id__in=locked, next_review_on__lte=today).order_by("worker_id"))
    if not statuses:
        return locked[-1], plain_reviewed, plain_changed
    ids = [s.worker_id for s in statuses]
    registered = {
        pk: timezone.localdate(registered_at)
        for pk, registered_at in Worker.objects.filter(pk__in=ids).values_list("pk", "registered_at")
    }
    paid = _paid_months_of(ids)
    known: set[tuple[int, str, dt.date]] = set(
        MemberStatusChange.objects.filter(worker_id__in=ids).values_list("worker_id", "status", "since")
    )
    now = timezone.now()
    moved: list[MemberStatus] = []
    rewritten: list[MemberStatus] = []
    new_changes: list[MemberStatusChange] = []
    changed = 0
    for row in statuses:
        fields, history = _status_fields(
            registered_on=registered[row.worker_id], paid=paid[row.worker_id], today=today, rules_for=rules_for
        )
        changed += int(fields["status"] != row.status)
        target = rewritten if any(getattr(row, name) != fields[name] for name in _STATUS_COLUMNS) else moved
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = now
        target.append(row)
        new_changes += [
            MemberStatusChange(worker_id=row.worker_id, status=change.status, since=change.since)
            for change in history
            if (row.worker_id, change.status, change.since) not in known
        ]
    if rewritten:
        MemberStatus.objects.bulk_update(rewritten, [*_STATUS_COLUMNS, "next_review_on", "updated_at"])
    # Unchanged members: only the next review day moves. One UPDATE per distinct day (most
    # members of a batch share the next due date), cheaper than a CASE over every row.
    by_day: dict[dt.date | None, list[int]] = {}
    for row in moved:
        by_day.setdefault(row.next_review_on, []).append(row.worker_id)
    for day, pks in by_day.items():
        MemberStatus.objects.filter(worker_id__in=pks).update(next_review_on=day, updated_at=now)
    MemberStatusChange.objects.bulk_create(new_changes)
    return locked[-1], plain_reviewed + len(statuses), plain_changed + changed


@transaction.atomic
def paid_months_reprice(*, actor: Any, worker: Worker) -> int:
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
        for rule in rules_for(row.period).discounts:
            if rule.applies(program=row.program, sector=sector, period=row.period, sponsor_kind=None):
                discount = min(gross, round_idr(Decimal(gross) * rule.rate))
                if discount > row.discount_idr:
                    changes.append((row, discount))
                break
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


# --- manual adjustments (maker–checker) -------------------------------------------------------

_ADJUSTMENT_LINES = {
    # kind: (debit account, credit account)
    AdjustmentKind.CREDIT_ADD: ("adjustments", "member_credit"),
    AdjustmentKind.CREDIT_REMOVE: ("member_credit", "adjustments"),
    AdjustmentKind.REFUND: ("member_credit", "refunds_payable"),
}


@transaction.atomic
def adjustment_propose(*, actor: Any, worker: Worker, kind: str, amount_idr: int, reason: str) -> LedgerAdjustment:
    """Propose a manual ledger correction; nothing moves until another person approves it."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("accounts.access_office"):
        raise PermissionDenied(_("Only back-office staff can propose ledger adjustments."))
    errors: dict[str, list[str]] = {}
    if kind not in AdjustmentKind.values:
        errors["kind"] = [_("Choose a kind of adjustment.")]
    if amount_idr <= 0:
        errors["amount_idr"] = [_("Must be more than zero.")]
    if not reason.strip():
        errors["reason"] = [_("Explain why this adjustment is needed.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    adjustment = LedgerAdjustment.objects.create(
        worker=worker, kind=kind, amount_idr=amount_idr, reason=reason.strip(), proposed_by=actor
    )
    audit_record(
        actor=actor,
        action="contributions.adjustment_proposed",
        subject=adjustment,
        after={"worker": worker.membership_number, "kind": kind, "amount_idr": amount_idr},
        reason=reason.strip(),
    )
    return adjustment


def _adjustment_for_decision(*, actor: Any, adjustment: LedgerAdjustment) -> LedgerAdjustment:
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("accounts.approve_adjustments"):
        raise PermissionDenied(_("You may not approve ledger adjustments."))
    locked = LedgerAdjustment.objects.select_for_update().select_related("worker").get(pk=adjustment.pk)
    if locked.status != AdjustmentStatus.PENDING:
        raise Conflict(_("This adjustment has already been decided."), code="adjustment_decided")
    if locked.proposed_by_id == actor.pk:
        raise PermissionDenied(_("Another person must approve an adjustment you proposed."))
    return locked


@transaction.atomic
def adjustment_approve(*, actor: Any, adjustment: LedgerAdjustment, note: str = "") -> LedgerAdjustment:
    """Approve and post the adjustment as one balanced journal entry."""
    adjustment = _adjustment_for_decision(actor=actor, adjustment=adjustment)
    worker = adjustment.worker
    if adjustment.kind != AdjustmentKind.CREDIT_ADD:
        Worker.objects.select_for_update().filter(pk=worker.pk).first()
        credit = member_credit_idr(worker_id=worker.pk)
        if adjustment.amount_idr > credit:
            raise Conflict(
                _("The member's credit is only %(credit)s.") % {"credit": format_rupiah(credit)},
                code="credit_too_small",
            )
    debit_account, credit_account = _ADJUSTMENT_LINES[AdjustmentKind(adjustment.kind)]
    entry, _created = journal_post(
        actor=actor,
        kind="adjustment",
        reference=str(adjustment.pk),
        lines=[
            Line(debit_account, debit_idr=adjustment.amount_idr, worker_id=worker.pk),
            Line(credit_account, credit_idr=adjustment.amount_idr, worker_id=worker.pk),
        ],
        memo=adjustment.reason[:255],
    )
    adjustment.status = AdjustmentStatus.APPROVED
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    adjustment.entry = entry
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "entry"])
    audit_record(
        actor=actor,
        action="contributions.adjustment_approved",
        subject=adjustment,
        before={"status": AdjustmentStatus.PENDING},
        after={"status": adjustment.status, "entry": entry.pk},
        reason=note,
    )
    return adjustment


@transaction.atomic
def adjustment_reject(*, actor: Any, adjustment: LedgerAdjustment, note: str) -> LedgerAdjustment:
    adjustment = _adjustment_for_decision(actor=actor, adjustment=adjustment)
    if not note.strip():
        raise ValidationFailed(
            _("Explain why the adjustment is rejected."), fields={"note": [_("This field is required.")]}
        )
    adjustment.status = AdjustmentStatus.REJECTED
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note.strip()
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="contributions.adjustment_rejected",
        subject=adjustment,
        before={"status": AdjustmentStatus.PENDING},
        after={"status": adjustment.status},
        reason=note.strip(),
    )
    return adjustment
