"""Reads: rule versions, ledger balances, paid months, coverage and member status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db.models import Count, Min, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Left
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.contributions.errors import BillNotFound, ContributionErrorCode, IncomeBelowMinimum, UnknownSector
from rangkul.contributions.models import (
    Bill,
    BillStatus,
    ContributionMonth,
    JournalLine,
    LedgerAdjustment,
    MemberStatus,
    MemberStatusValue,
)
from rangkul.contributions.payment_codes import payment_code_is_valid
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.rules import rulebook_for, rules_for_memo, rulesets_covering
from rangkul.contributions.schedule import StatusInfo, due_date, member_status, payable_periods
from rangkul.core.periods import Period
from rangkul.registry.models import MANDATORY_PROGRAMS, Worker, WorkerStatus
from rangkul.registry.selectors import worker_scope_for_user

__all__ = [
    "account_balance",
    "adjustments_for_user",
    "adjustments_for_worker",
    "bill_for_payment_code",
    "bills_for_worker",
    "contribution_months_for_worker",
    "coverage_on",
    "coverage_programs_on",
    "due_date",
    "ledger_totals",
    "member_counts_by_regency_occupation_status",
    "member_credit_idr",
    "member_ledger_lines",
    "member_statuses_page",
    "month_payers",
    "month_total_idr",
    "paid_months",
    "paid_pairs",
    "pay_options_for_worker",
    "program_months",
    "rulebook_for",
    "rules_for_memo",
    "rulesets_covering",
    "worker_status",
]


def ledger_totals() -> dict[str, int]:
    """Total debits and credits over the whole ledger: equal, always."""
    totals = JournalLine.objects.aggregate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
    return {"debit_idr": int(totals["debit"] or 0), "credit_idr": int(totals["credit"] or 0)}


def account_balance(*, code: str, worker_id: int | None = None) -> int:
    """Debits minus credits on one account (optionally one member's lines)."""
    lines = JournalLine.objects.filter(account__code=code)
    if worker_id is not None:
        lines = lines.filter(worker_id=worker_id)
    totals = lines.aggregate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
    return int(totals["debit"] or 0) - int(totals["credit"] or 0)


def member_credit_idr(*, worker_id: int) -> int:
    """Money the member has paid that is not yet allocated to a month."""
    return -account_balance(code="member_credit", worker_id=worker_id)


def workers_paid_from(*, period: Period, after_worker_id: int = 0, limit: int = 1000) -> list[int]:
    """Ids of members with a paid month from ``period`` on, in id order after ``after_worker_id`` (pages)."""
    return list(
        ContributionMonth.objects.filter(period__gte=period.first_day, worker_id__gt=after_worker_id)
        .order_by("worker_id")
        .values_list("worker_id", flat=True)
        .distinct()[:limit]
    )


def bill_open_for_worker(*, worker_id: int) -> Bill | None:
    """The member's open, unexpired bill with its lines, if any."""
    return (
        Bill.objects.filter(worker_id=worker_id, status=BillStatus.OPEN, expires_at__gt=timezone.now())
        .prefetch_related("lines")
        .first()
    )


def contribution_months_all(*, worker_id: int) -> QuerySet[ContributionMonth]:
    """Every paid program-month of a member."""
    return ContributionMonth.objects.filter(worker_id=worker_id)


def paid_months(*, worker_id: int) -> dict[Period, dt.date]:
    """Each paid month and the day it was (first) paid."""
    rows = (
        ContributionMonth.objects.filter(worker_id=worker_id)
        .values("period")
        .annotate(first_paid=Min("paid_at"))
        .order_by("period")
    )
    return {Period.of(row["period"]): timezone.localdate(row["first_paid"]) for row in rows}


def paid_programs_of(
    worker_ids: Sequence[int], programs: Sequence[str] | None = None
) -> dict[int, dict[Period, dict[str, dt.date]]]:
    """For each member, each paid month's programs (or only ``programs``) and the day each was first paid."""
    found: dict[int, dict[Period, dict[str, dt.date]]] = {pk: {} for pk in worker_ids}
    rows = ContributionMonth.objects.filter(worker_id__in=worker_ids)
    if programs is not None:
        rows = rows.filter(program__in=programs)
    for row in (
        rows.values("worker_id", "period", "program")
        .annotate(first_paid=Min("paid_at"))
        .order_by("worker_id", "period")
    ):
        month = found[row["worker_id"]].setdefault(Period.of(row["period"]), {})
        month[row["program"]] = timezone.localdate(row["first_paid"])
    return found


def mandatory_paid_of(worker_ids: Sequence[int]) -> dict[int, dict[Period, dict[str, dt.date]]]:
    """For each member, each month's mandatory programs (JKK, JKM) paid and the day each was first paid."""
    return paid_programs_of(worker_ids, MANDATORY_PROGRAMS)


def protected_of(mandatory: dict[Period, dict[str, dt.date]]) -> dict[Period, dt.date]:
    """The months whose every mandatory program is paid, from the day the last of them was first paid."""
    return {
        period: max(programs.values())
        for period, programs in mandatory.items()
        if len(programs) == len(MANDATORY_PROGRAMS)
    }


def protected_months_of(worker_ids: Sequence[int]) -> dict[int, dict[Period, dt.date]]:
    """The months that count for each member's status, and the day each became one: member → month → day.

    A month counts when every mandatory program (JKK and JKM, the protection) is paid,
    from the day the last of them was first paid: protection applies only in paid months
    (DOMAIN.md), and old-age savings (JHT) alone protect no one. A member who paid their
    own JHT for a sponsored month is not active for it until the sponsor pays its share.
    """
    return {pk: protected_of(months) for pk, months in mandatory_paid_of(worker_ids).items()}


def protected_months(*, worker_id: int) -> dict[Period, dt.date]:
    """``protected_months_of`` for one member: what the member's status is computed from."""
    return protected_months_of([worker_id])[worker_id]


def coverage_on(worker: Any, day: dt.date, program: str | None = None) -> bool:
    """Was the member covered on ``day`` for ``program``, or (without one) protected: every mandatory
    program (JKK and JKM) covering that day? One indexed query."""
    worker_id = getattr(worker, "pk", worker)
    months = ContributionMonth.objects.filter(
        worker_id=worker_id,
        period=Period.of(day),  # type: ignore[misc]  # PeriodField takes a Period
        covered_from__lte=day,
    )
    if program is not None:
        return months.filter(program=program).exists()
    return months.filter(program__in=MANDATORY_PROGRAMS).values("program").distinct().count() == len(MANDATORY_PROGRAMS)


def coverage_programs_on(*, worker_id: int, day: dt.date) -> list[str]:
    """The programs covering the member on ``day``; none on a day no contribution month can hold."""
    try:
        period = Period.of(day)
    except ValueError:  # before 1900: nobody was covered then
        return []
    return sorted(
        ContributionMonth.objects.filter(
            worker_id=worker_id,
            period=period,  # type: ignore[misc]  # PeriodField takes a Period
            covered_from__lte=day,
        ).values_list("program", flat=True)
    )


def worker_status(*, worker: Any, today: dt.date | None = None) -> StatusInfo:
    """Registered / active / in arrears / ended on ``today``, with arrears, deadline and history."""
    today = today or timezone.localdate()
    return member_status(
        registered_on=timezone.localdate(worker.registered_at),
        paid=protected_months(worker_id=worker.pk),
        today=today,
        rules_for=rules_for_memo(),
    )


def bills_for_worker(*, worker_id: int) -> QuerySet[Bill]:
    return Bill.objects.filter(worker_id=worker_id).prefetch_related("lines")


def bill_latest_for_worker(*, worker_id: int) -> Bill | None:
    """The member's most recent bill, paid or not (its code is kept with the card offline)."""
    return Bill.objects.filter(worker_id=worker_id).order_by("-created_at", "-id").first()


def bill_for_payment_code(*, payment_code: str, at: dt.datetime | None = None) -> Bill:
    """The open bill a channel is paying: refuses a mistyped, unknown, cancelled, paid or expired code."""
    code = (payment_code or "").replace(" ", "")
    if not payment_code_is_valid(code):
        raise BillNotFound(
            _("This payment code is not valid; check the digits."),
            code=ContributionErrorCode.PAYMENT_CODE_INVALID,
            fields={"payment_code": [_("Check the digits of the payment code.")]},
        )
    bill = Bill.objects.select_related("worker", "worker__occupation").filter(payment_code=code).first()
    if bill is None:
        raise BillNotFound(_("No bill has this payment code."), fields={"payment_code": [_("Unknown payment code.")]})
    if bill.status == BillStatus.CANCELLED:
        raise BillNotFound(
            _("This payment code was replaced by a newer bill; pay the newest code."),
            code=ContributionErrorCode.PAYMENT_CODE_CANCELLED,
        )
    if bill.status == BillStatus.PAID:
        raise BillNotFound(_("This bill has already been paid."), code=ContributionErrorCode.PAYMENT_CODE_PAID)
    if bill.expires_at < (at or timezone.now()):
        raise BillNotFound(
            _("This payment code has expired; create a new bill to pay."),
            code=ContributionErrorCode.PAYMENT_CODE_EXPIRED,
        )
    return bill


def member_ledger_lines(*, worker_id: int, limit: int = 100) -> QuerySet[JournalLine]:
    return (
        JournalLine.objects.filter(worker_id=worker_id)
        .select_related("entry", "account")
        .order_by("-entry__occurred_at", "-id")[:limit]
    )


def contribution_months_for_worker(*, worker_id: int, limit: int = 72) -> QuerySet[ContributionMonth]:
    return ContributionMonth.objects.filter(worker_id=worker_id).order_by("-period", "program")[:limit]


class ProgramPayment(NamedTuple):
    """Who paid one program of one member-month, and through which journal entry."""

    worker_id: int
    period: Period
    program: str
    amount_idr: int
    payer_kind: str  # empty: the member paid
    paid_at: dt.datetime
    entry_reference: str


def month_payers(*, worker_ids: Sequence[int], periods: Iterable[Period]) -> list[ProgramPayment]:
    """For each paid program of the members' months: the amount, the payer and the journal entry."""
    rows = (
        ContributionMonth.objects.filter(worker_id__in=list(worker_ids), period__in=[p.first_day for p in periods])
        .order_by("worker_id", "period", "program")
        .values_list("worker_id", "period", "program", "amount_idr", "payer_kind", "paid_at", "entry__reference")
    )
    return [ProgramPayment(w, Period.of(p), prog, a, k, paid, ref) for w, p, prog, a, k, paid, ref in rows]


class ProgramMonth(NamedTuple):
    period: Period
    amount_idr: int
    covered_from: dt.date
    paid_on: dt.date


def program_months(*, worker_id: int, program: str) -> list[ProgramMonth]:
    """One program's paid months for a member, oldest first: what a claim's eligibility and JHT read."""
    rows = (
        ContributionMonth.objects.filter(worker_id=worker_id, program=program)
        .order_by("period")
        .values_list("period", "amount_idr", "covered_from", "paid_at")
    )
    return [ProgramMonth(Period.of(p), a, c, timezone.localdate(paid)) for p, a, c, paid in rows]


def adjustments_for_user(*, user: Any, status: str | None = None) -> QuerySet[LedgerAdjustment]:
    """Adjustments of the members the user may see (the registry decides that scope)."""
    qs = LedgerAdjustment.objects.filter(worker__in=worker_scope_for_user(user)).select_related(
        "worker", "proposed_by", "decided_by"
    )
    return qs.filter(status=status) if status else qs


def adjustments_for_worker(*, worker_id: int) -> QuerySet[LedgerAdjustment]:
    return LedgerAdjustment.objects.filter(worker_id=worker_id).select_related("proposed_by", "decided_by")


def member_counts_by_regency_occupation_status() -> list[tuple[str, str, str, int]]:
    """(regency code, occupation code, status, members) over every active member record.

    One GROUP BY for the analytics snapshot. A member without a status row has not
    paid yet: "registered". Merged duplicate records are not members and are left out.
    The regency is the first five characters of the official village code (PP.RR).
    """
    rows = (
        Worker.objects.filter(status=WorkerStatus.ACTIVE)
        .annotate(
            regency=Left("village_id", 5),
            member_status=Coalesce("contribution_status__status", Value(MemberStatusValue.REGISTERED)),
        )
        .values_list("regency", "occupation__code", "member_status")
        .annotate(members=Count("pk"))
        .order_by()
    )
    return [(regency, occupation, status, members) for regency, occupation, status, members in rows]


class MemberStatusRow(NamedTuple):
    """A member's stored status with what a message to them needs (number, phone, price inputs)."""

    worker_id: int
    status: str
    since: dt.date
    paid_through: Period | None
    pay_arrears_by: dt.date | None
    membership_number: str
    phone: str
    record_status: str
    declared_income_idr: int
    jht: bool
    sector: str


def member_statuses_page(*, after_worker_id: int, limit: int) -> list[MemberStatusRow]:
    """The next ``limit`` stored statuses after ``after_worker_id``, in member order.

    Keyset pagination over the status table's primary key, for runs over the whole
    population (the reminder run): two statements per page however far the run has got,
    the statuses and then their members by a range of ids. (One joined statement lets the
    planner merge-join the member table from its first row on every page.) Merged records
    come too (``record_status``): the caller decides what to skip.
    """
    statuses = list(
        MemberStatus.objects.filter(worker_id__gt=after_worker_id)
        .order_by("worker_id")
        .values_list("worker_id", "status", "since", "paid_through", "pay_arrears_by")[:limit]
    )
    if not statuses:
        return []
    members = {
        pk: rest
        for pk, *rest in Worker.objects.filter(pk__gte=statuses[0][0], pk__lte=statuses[-1][0])
        .order_by()
        .values_list("pk", "membership_number", "phone", "status", "declared_income_idr", "jht", "occupation__sector")
    }
    return [MemberStatusRow(*status, *members[status[0]]) for status in statuses]  # type: ignore[arg-type]


def paid_pairs(*, worker_ids: Sequence[int], periods: Iterable[Period]) -> set[tuple[int, Period]]:
    """Which (member, month) pairs among these members and months are paid (any program), in one query."""
    if not worker_ids:
        return set()
    low, high = min(worker_ids), max(worker_ids)
    months = ContributionMonth.objects.filter(period__in=list(periods))
    if high - low < 4 * len(worker_ids):
        # Members of one page are close together: a range over the unique (worker, period,
        # program) index is cheaper than thousands of parameters; others in the range are dropped.
        months = months.filter(worker_id__gte=low, worker_id__lte=high)
    else:
        months = months.filter(worker_id__in=list(worker_ids))
    wanted = set(worker_ids)
    rows = months.values_list("worker_id", "period").distinct()
    return {(worker_id, Period.of(period)) for worker_id, period in rows if worker_id in wanted}


def month_total_idr(*, declared_income_idr: int, jht: bool, sector: str, period: Period) -> int | None:
    """What a member paying for themselves owes for one month (discounts included).

    ``None`` when the rule version cannot price this member (income below its lowest
    level, unknown sector): a message then leaves the amount out rather than guess it.
    """
    try:
        quote = contribution_quote(declared_income_idr=declared_income_idr, jht=jht, sector=sector, month=period)
    except (IncomeBelowMinimum, UnknownSector):
        return None
    return quote.total_idr


PAY_OPTION_LENGTHS = (1, 3, 6, 12)


def pay_options_for_worker(
    *, worker: Worker, today: dt.date | None = None, lengths: Sequence[int] = PAY_OPTION_LENGTHS
) -> dict[str, Any]:
    """What paying 1, 3, 6 or 12 months would cost now, priced as ``bill_issue`` prices them.

    Months owed come first, then the coming months; the member's credit is shown apart
    (it lowers the bill). ``monthly`` is the first payable month's quote (``None`` when
    nothing is payable). Reads only: nothing is billed.
    """
    today = today or timezone.localdate()
    rules_for = rules_for_memo()
    periods = payable_periods(
        registered_on=timezone.localdate(worker.registered_at),
        paid=paid_months(worker_id=worker.pk),
        today=today,
        rules_for=rules_for,
        months=max(lengths),
    )
    quotes = [
        contribution_quote(
            declared_income_idr=worker.declared_income_idr, jht=worker.jht, sector=worker.occupation.sector, month=p
        )
        for p in periods
    ]
    options = [
        {
            "months": n,
            "total_idr": sum(q.total_idr for q in quotes[:n]),
            "first": quotes[0].period,
            "last": quotes[n - 1].period,
        }
        for n in lengths
        if n <= len(quotes)
    ]
    return {
        "monthly": quotes[0] if quotes else None,
        "options": options,
        "credit_idr": member_credit_idr(worker_id=worker.pk),
    }
