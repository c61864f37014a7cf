"""Members' own bills issued in bulk: for each of thousands of members, the bill ``bill_issue`` gives.

A sponsorship's hand-over texts every member a payment code for what they owe up to their first
month on their own. ``bill_issue`` does this for one member in about twenty statements; here a
chunk of members costs a handful: the members locked, their paid months, shared months, credit
and open bills read as plain rows (one array of members per statement on PostgreSQL), each
member's bill worked out in memory exactly as ``bill_issue`` works it out (``_owed_quotes``),
then the older open bills withdrawn, the new bills, their lines and their audit rows written in
bulk. A member who cannot be billed (merged, nothing owed, credit covering it all) gets no bill,
where ``bill_issue`` raises. The differential test compares the two member by member.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record_subjects
from rangkul.contributions.models import (
    Account,
    Bill,
    BillLine,
    BillStatus,
    ContributionMonth,
    JournalLine,
    MonthShare,
    RuleSet,
)
from rangkul.contributions.payment_codes import payment_code_generate
from rangkul.contributions.quotes import Quote
from rangkul.contributions.schedule import RulesFor
from rangkul.contributions.services.billing import _lock_versions, _owed_quotes
from rangkul.contributions.sql import as_day, fetch_rows, month_reader, review_sql
from rangkul.contributions.status_memo import StatusMemo
from rangkul.core.bulk import insert_many, insert_rows
from rangkul.core.periods import Period
from rangkul.registry.models import Worker, WorkerStatus

CHUNK = 2000
OWED_MONTHS = 12  # as ``owed_periods``: the months a member's next bill may carry

__all__ = ["IssuedBill", "member_bills_issue_until"]


@dataclass(frozen=True)
class IssuedBill:
    payment_code: str
    amount_idr: int


def member_bills_issue_until(
    *,
    actor: Actor,
    workers: Sequence[Worker],
    until: Period,
    today: dt.date,
    expires_at: dt.datetime,
    rules_for: RulesFor,
    memo: StatusMemo | None = None,
    prices: dict[tuple[Any, ...], Quote] | None = None,
) -> dict[int, IssuedBill]:
    """Each member's own bill for what they owe up to and including ``until``, valid to ``expires_at``.

    For each member, what ``bill_issue(worker=…, months=n)`` gives, ``n`` being how many of the
    member's owed months (``owed_periods``) reach ``until``; a member's earlier open bill is withdrawn
    and points at the new one. In the caller's transaction. Members left out of the answer got no bill.
    Members with the same shape of history share one simulation of it (``memo``: one per run, for
    ``today`` and ``rules_for``, may be passed to share it between calls), and members with the
    same income, JHT, sector and month one price (``prices``, likewise).
    """
    issued: dict[int, IssuedBill] = {}
    billable = sorted((w for w in workers if w.status != WorkerStatus.MERGED), key=lambda w: w.pk)
    memo = memo or StatusMemo(today=today, rules_for=rules_for)
    prices = {} if prices is None else prices
    for chunk in _chunks(billable):
        issued |= _chunk_issue(
            actor=actor,
            workers=chunk,
            until=until,
            today=today,
            expires_at=expires_at,
            rules_for=rules_for,
            memo=memo,
            prices=prices,
        )
    return issued


def _chunks(workers: Sequence[Worker]) -> Iterator[Sequence[Worker]]:
    for start in range(0, len(workers), CHUNK):
        yield workers[start : start + CHUNK]


def _local_day(value: Any, zone: Any) -> dt.date:
    """A day as ``local_day`` gives it: a date on PostgreSQL, the timestamp on the portable path."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        aware = value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
        return timezone.localtime(aware, zone).date()
    return value


def _chunk_issue(
    *,
    actor: Actor,
    workers: Sequence[Worker],
    until: Period,
    today: dt.date,
    expires_at: dt.datetime,
    rules_for: RulesFor,
    memo: StatusMemo,
    prices: dict[tuple[Any, ...], Quote],
) -> dict[int, IssuedBill]:
    sql = review_sql()
    ids = [w.pk for w in workers]
    in_ids, id_params = sql.ids_in("id", ids)
    in_workers, params = sql.ids_in("worker_id", ids)
    # Each member's bills and payments are serialised on the member's row, locked in key order.
    fetch_rows(f"SELECT id FROM {Worker._meta.db_table} WHERE {in_ids} ORDER BY id{sql.for_update()}", id_params)  # noqa: S608
    zone = timezone.get_current_timezone()
    first_paid, day_params = sql.local_day("MIN(paid_at)", str(zone))
    paid: dict[int, dict[Period, dt.date]] = {pk: {} for pk in ids}
    for worker_id, period, day in fetch_rows(
        f"SELECT worker_id, period, {first_paid} FROM {ContributionMonth._meta.db_table} "  # noqa: S608
        f"WHERE {in_workers} GROUP BY worker_id, period",
        [*day_params, *params],
    ):
        paid[worker_id][Period.of(as_day(period))] = _local_day(day, zone)
    # Plain rows with the chunk's members as one array (PostgreSQL), as above: no model or IN list.
    month = month_reader()

    shares: dict[int, dict[Period, set[str]]] = {}
    for worker_id, period, programs in fetch_rows(
        f"SELECT worker_id, period, programs FROM {MonthShare._meta.db_table} WHERE {in_workers}",  # noqa: S608
        params,
    ):
        shares.setdefault(worker_id, {})[month(period)] = set(
            json.loads(programs) if isinstance(programs, str) else programs
        )
    held: dict[int, dict[Period, set[str]]] = {}
    if shares:
        shared_ids = sorted(shares)
        in_shared, shared_params = sql.ids_in("worker_id", shared_ids)
        days = sorted({p.first_day for member_shares in shares.values() for p in member_shares})
        for worker_id, period, program in fetch_rows(
            f"SELECT worker_id, period, program FROM {ContributionMonth._meta.db_table} "  # noqa: S608
            f"WHERE {in_shared} AND period IN ({', '.join(['%s'] * len(days))})",
            [*shared_params, *days],
        ):
            paid_month = month(period)
            if paid_month in shares[worker_id]:
                held.setdefault(worker_id, {}).setdefault(paid_month, set()).add(program)
    credit = _credits(in_workers, params)
    prepay = rules_for(Period.of(today)).prepay_lengths
    planned: list[tuple[Worker, list[Quote], int, int]] = []  # member, quotes, total, credit used
    for worker in workers:
        owed = _owed_quotes(
            worker,
            already_paid=paid[worker.pk],
            today=today,
            rules_for=rules_for,
            months=OWED_MONTHS,
            shares=shares.get(worker.pk, {}),
            held=held.get(worker.pk, {}),
            prices=prices,
            payable=memo.payable_periods,
        )
        months_to = next((i + 1 for i, q in enumerate(owed) if q.period >= until), None)
        if months_to is None or months_to not in prepay:
            continue
        quotes = owed[:months_to]
        total = sum(q.total_idr for q in quotes)
        used = min(credit.get(worker.pk, 0), total)
        if total <= 0 or used >= total:
            continue
        planned.append((worker, quotes, total, used))
    if not planned:
        return {}
    return _bills_write(actor=actor, planned=planned, expires_at=expires_at)


def _credits(in_workers: str, params: list[Any]) -> dict[int, int]:
    """Each member's credit (``member_credit_idr``) among the chunk, one statement."""
    account = Account.objects.filter(code="member_credit").values_list("pk", flat=True).first()
    if account is None:
        return {}
    return {
        worker_id: int(balance)
        for worker_id, balance in fetch_rows(
            f"SELECT worker_id, SUM(credit_idr) - SUM(debit_idr) FROM {JournalLine._meta.db_table} "  # noqa: S608
            f"WHERE account_id = %s AND {in_workers} GROUP BY worker_id",
            [account, *params],
        )
    }


def _codes_draw(count: int) -> list[str]:
    """``count`` new payment codes, none already used (a collision is redrawn, as ``_bill_create`` does)."""
    codes: set[str] = set()
    while len(codes) < count:
        drawn = {payment_code_generate() for _ in range(count - len(codes))} - codes
        condition, params = review_sql().texts_in("payment_code", sorted(drawn))
        query = f"SELECT payment_code FROM {Bill._meta.db_table} WHERE {condition}"  # noqa: S608
        taken = {code for (code,) in fetch_rows(query, params)}
        codes |= drawn - taken
    return sorted(codes)


def _bills_write(
    *, actor: Actor, planned: list[tuple[Worker, list[Quote], int, int]], expires_at: dt.datetime
) -> dict[int, IssuedBill]:
    sql = review_sql()
    ids = sorted(worker.pk for worker, *_rest in planned)
    in_workers, params = sql.ids_in("worker_id", ids)
    previous = fetch_rows(
        f"SELECT id, worker_id, payment_code FROM {Bill._meta.db_table} "  # noqa: S608
        f"WHERE {in_workers} AND status = %s ORDER BY id{sql.for_update()}",
        [*params, BillStatus.OPEN],
    )
    now = timezone.now()
    if previous:
        in_bills, bill_params = sql.ids_in("id", sorted(pk for pk, _w, _c in previous))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Bill._meta.db_table} SET status = %s, cancelled_at = %s WHERE {in_bills}",  # noqa: S608
                [BillStatus.CANCELLED, connection.ops.adapt_datetimefield_value(now), *bill_params],
            )
    user = actor.user
    bills = [
        Bill(
            payment_code=code,
            worker_id=worker.pk,
            amount_idr=total - used,
            expires_at=expires_at,
            credit_applied_idr=used,
            created_by=user,
        )
        for (worker, _quotes, total, used), code in zip(planned, _codes_draw(len(planned)), strict=True)
    ]
    insert_many(Bill, bills)
    versions = {q.rule_version for _w, quotes, *_r in planned for q in quotes}
    rulesets = dict(RuleSet.objects.filter(version__in=versions).values_list("version", "pk"))
    insert_rows(
        BillLine,
        ("bill_id", "worker_id", "period", "program", "amount_idr", "discount_idr", "ruleset_id"),
        [
            (
                bill.pk,
                worker.pk,
                q.period.first_day,
                line.program,
                line.amount_idr,
                line.discount_idr,
                rulesets[q.rule_version],
            )
            for bill, (worker, quotes, _total, _used) in zip(bills, planned, strict=True)
            for q in quotes
            for line in q.lines
        ],
    )
    _lock_versions(versions)
    new_of = {bill.worker_id: bill for bill in bills}
    with connection.cursor() as cursor:
        sql.keys_set(
            cursor,
            table=Bill._meta.db_table,
            column="replaced_by_id",
            pairs=[(pk, new_of[worker_id].pk) for pk, worker_id, _code in previous],
        )
    cancelled: dict[int, list[str]] = {}
    for _pk, worker_id, code in previous:
        cancelled.setdefault(worker_id, []).append(code)
    audit_record_subjects(
        actor=actor,
        action="contributions.bill_issued",
        subject_type=Bill._meta.label_lower,
        subjects=(
            (
                bill.pk,
                bill.payment_code,
                {
                    "worker": worker.membership_number,
                    "months": [str(q.period) for q in quotes],
                    "amount_idr": total - used,
                    "credit_applied_idr": used,
                    "cancelled": cancelled.get(worker.pk, []),
                },
            )
            for bill, (worker, quotes, total, used) in zip(bills, planned, strict=True)
        ),
    )
    return {
        worker.pk: IssuedBill(bill.payment_code, bill.amount_idr)
        for bill, (worker, *_r) in zip(bills, planned, strict=True)
    }
