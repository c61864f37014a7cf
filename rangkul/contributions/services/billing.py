"""Bills with payment codes, and the pricing helpers billing shares with allocation and status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.errors import ContributionErrorCode, InvalidMonths, NothingPayable
from rangkul.contributions.models import (
    Bill,
    BillLine,
    BillStatus,
    ContributionMonth,
    MonthShare,
    RuleSet,
)
from rangkul.contributions.payment_codes import payment_code_generate
from rangkul.contributions.quotes import Quote, price_month
from rangkul.contributions.rules import RuleBook, rulebook_for, rulebook_from_row
from rangkul.contributions.schedule import (
    PaidMonths,
    RulesFor,
    arrears_window_start,
    payable_periods,
)
from rangkul.contributions.selectors import member_credit_idr, paid_months, rules_for_memo
from rangkul.core.bulk import insert_rows
from rangkul.core.errors import Conflict
from rangkul.core.periods import Period
from rangkul.registry.models import Worker, WorkerStatus


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


def _owed_quotes(
    worker: Worker,
    *,
    already_paid: PaidMonths,
    today: dt.date,
    rules_for: RulesFor,
    months: int,
    sponsor_kind: str | None = None,
) -> list[Quote]:
    """The member's next ``months`` owed months, in order, each priced for what the member owes.

    A member without a shared month owes whole months, exactly as ``payable_periods``
    orders them. A month a sponsor has taken programs of (a ``MonthShare``) is the
    split payer's: the member owes only the other programs of it, at the member's own
    price, and a month whose programs are all taken or paid is not owed at all.
    """
    memo: dict[tuple[Any, ...], Quote] = {}

    def price(p: Period, kind: str | None = None) -> Quote:
        key = (p, kind)
        quote = memo.get(key)
        if quote is None:
            quote = memo[key] = _price(worker, p, rules_for, sponsor_kind=kind)
        return quote

    shares = {
        Period.of(p): set(programs)
        for p, programs in MonthShare.objects.filter(worker_id=worker.pk).values_list("period", "programs")
    }
    registered_on = _registered_on(worker)

    def payable(*, paid: PaidMonths) -> list[Period]:
        return payable_periods(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for, months=months)

    if not shares:
        return [price(p, sponsor_kind) for p in payable(paid=already_paid)]
    paid = dict(already_paid) if isinstance(already_paid, dict) else {p: min(p.first_day, today) for p in already_paid}
    # A shared month is skipped by the whole-month schedule (as if paid on its first day) ...
    skipped = {**{p: p.first_day for p in shares}, **paid}
    quotes = {p: price(p, sponsor_kind) for p in payable(paid=skipped)}
    # ... and owed for the programs nobody has taken or paid, within the months payable now.
    current = Period.of(today)
    first = max(arrears_window_start(today=today, rules=rules_for(current)), Period.of(registered_on))
    limit = current + rules_for(current).prepay_max_months
    held: dict[Period, set[str]] = {}
    for month, program in ContributionMonth.objects.filter(
        worker_id=worker.pk,
        period__in=[s.first_day for s in shares],  # PeriodField lookups take the month's first day
    ).values_list("period", "program"):
        held.setdefault(Period.of(month), set()).add(program)
    for p, taken in shares.items():
        if not first <= p < limit:
            continue
        quote = price(p)
        lines = tuple(line for line in quote.lines if line.program not in taken | held.get(p, set()))
        if lines:
            quotes[p] = Quote(**{**quote.__dict__, "lines": lines})
    return [quotes[p] for p in sorted(quotes)][:months]


def owed_periods(*, worker: Worker, today: dt.date, months: int = 12) -> list[Period]:
    """The months the member's next bill would carry, in order (a sponsor's shared months only for their rest)."""
    quotes = _owed_quotes(
        worker, already_paid=paid_months(worker_id=worker.pk), today=today, rules_for=rules_for_memo(), months=months
    )
    return [q.period for q in quotes]


def month_due(*, worker: Worker, today: dt.date | None = None) -> int:
    """What one month of the member's own bill would ask for now (their oldest owed month, less credit).

    A cashier paying a member's standing code (ADR 0047) offers this amount; 0 when nothing is owed.
    """
    today = today or timezone.localdate()
    quotes = _owed_quotes(
        worker, already_paid=paid_months(worker_id=worker.pk), today=today, rules_for=rules_for_memo(), months=1
    )
    total = sum(q.total_idr for q in quotes)
    return max(0, total - member_credit_idr(worker_id=worker.pk))


@transaction.atomic
def bill_issue(
    *,
    actor: Actor,
    worker: Worker,
    months: int,
    today: dt.date | None = None,
    expires_at: dt.datetime | None = None,
) -> Bill:
    """A bill for ``months`` months from the first payable unpaid month (arrears in the window first).

    Issuing a bill cancels the member's previous open bill: its code is no longer accepted.
    ``expires_at`` overrides the usual validity (a code sent by text weeks ahead, say).
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
    quotes = _owed_quotes(
        worker, already_paid=paid_months(worker_id=worker.pk), today=today, rules_for=rules_for, months=months
    )
    periods = [q.period for q in quotes]
    if len(periods) < months:
        raise NothingPayable(
            _("Only %(count)s more months can be paid now; contributions are paid at most 12 months ahead.")
            % {"count": len(periods)},
            fields={"months": [_("Choose fewer months.")]},
        )
    total = sum(q.total_idr for q in quotes)
    if total <= 0:
        raise NothingPayable(_("Nothing is owed for these months."))
    # Money the member already paid and that is not yet used lowers the bill; the payment
    # plus that credit then pays exactly these months.
    credit = min(member_credit_idr(worker_id=worker.pk), total)
    if credit >= total:
        raise NothingPayable(
            _("Your credit already pays for these months; no payment is needed."),
            code=ContributionErrorCode.CREDIT_COVERS,
        )
    now = timezone.now()
    previous = list(Bill.objects.select_for_update().filter(worker=worker, status=BillStatus.OPEN))
    Bill.objects.filter(pk__in=[b.pk for b in previous]).update(status=BillStatus.CANCELLED, cancelled_at=now)
    bill = _bill_create(
        actor=actor,
        worker=worker,
        amount_idr=total - credit,
        expires_at=expires_at or now + payment_code_ttl(),
        credit_applied_idr=credit,
    )
    _bill_lines_write(bill, [(worker, q) for q in quotes])
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


def _bill_lines_write(bill: Bill, priced: Sequence[tuple[Worker, Quote]], *, many: bool = False) -> None:
    """A bill's lines, one per member, month and program as priced; the rule versions used are locked.

    ``many``: a group bill's thousands of lines go in as plain rows through ``core.bulk`` (no model
    object per line, ADR 0030); a member's own few lines are created as model objects.
    """
    versions = {q.rule_version for _w, q in priced}
    rulesets = {r.version: r.pk for r in RuleSet.objects.filter(version__in=versions)}
    columns = ("bill_id", "worker_id", "period", "program", "amount_idr", "discount_idr", "ruleset_id")
    rows = [
        (bill.pk, worker.pk, q.period, line.program, line.amount_idr, line.discount_idr, rulesets[q.rule_version])
        for worker, q in priced
        for line in q.lines
    ]
    if many:
        insert_rows(BillLine, columns, [(*row[:2], row[2].first_day, *row[3:]) for row in rows])
    else:
        BillLine.objects.bulk_create(BillLine(**dict(zip(columns, row, strict=True))) for row in rows)
    _lock_versions(versions)


def _lock_versions(versions: set[str]) -> None:
    # A rule version that has priced a bill or a payment is never changed again (only superseded).
    RuleSet.objects.filter(version__in=versions, is_locked=False).update(is_locked=True, locked_at=timezone.now())


def _ensure_billable(worker: Worker) -> None:
    if worker.status == WorkerStatus.MERGED:
        raise Conflict(
            _("This membership record was merged into another one; use the other membership number."),
            code=ContributionErrorCode.WORKER_MERGED,
        )


def _bill_create(
    *,
    actor: Actor,
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
                    created_by=actor.user,
                )
        except IntegrityError:
            # A payment code collision: draw another.
            continue
    raise IntegrityError("could not draw a unique payment code")
