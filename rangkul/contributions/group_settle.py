"""Paying many members' shares of a group bill at once: set-based, one member's entry each.

What each member gets is exactly what paying the members one by one gives (ADR 0030):
one balanced journal entry per member (debit the money's account, credit each program
line, any line the member paid meanwhile as the member's credit), one coverage row per
line newly paid, the member's stored status and status changes, and one audit row. Here
the reads and writes of a chunk of members are a handful of statements instead of a
dozen per member, so a sponsor's bill for 100,000 members is allocated in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record_subjects
from rangkul.contributions.ledger import (
    CLEARING_PREFIX,
    Line,
    _validate,
    accounts_get,
    clearing_account,
    contribution_account,
)
from rangkul.contributions.models import (
    BillLine,
    ContributionMonth,
    JournalEntry,
    JournalLine,
    MemberStatus,
    MemberStatusChange,
)
from rangkul.contributions.services.allocation import (
    PAYMENT_KIND,
    Allocation,
    _allocation_from_entry,
    _covered_from,
)
from rangkul.contributions.services.status import _paid_months_of
from rangkul.contributions.sql import (
    STATUS_COLUMNS,
    EntryFixed,
    PostedLine,
    ShareTables,
    as_day,
    fetch_rows,
    review_sql,
)
from rangkul.contributions.status_memo import StatusMemo
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

CHUNK = 2000


class LineRow(NamedTuple):
    """A bill line as a plain row (a bill of 100,000 members need not build a model object per line)."""

    pk: int
    worker_id: int
    period: Period
    program: str
    amount_idr: int
    discount_idr: int


@dataclass(frozen=True, slots=True)
class ShareMember:
    """What a member's share needs of the member: the key, the number (memos, audit) and the registration."""

    pk: int
    membership_number: str
    registered_at: dt.datetime

    def audit_label(self) -> str:
        return self.membership_number


@dataclass(frozen=True)
class Share:
    """One member's lines on a group bill and the reference their payment entry is posted under."""

    worker: Worker | ShareMember
    lines: Sequence[BillLine | LineRow]
    reference: str


def bill_shares_read(bill_id: int) -> tuple[dict[int, list[LineRow]], dict[int, ShareMember]]:
    """A group bill's lines by member (members in key order, each member's lines by month and
    program) and those members, as plain rows: two statements whatever the bill's size."""
    by_member: dict[int, list[LineRow]] = {}
    months: dict[Any, Period] = {}
    for pk, worker_id, period, program, amount, discount in fetch_rows(
        f"SELECT id, worker_id, period, program, amount_idr, discount_idr FROM {BillLine._meta.db_table} "  # noqa: S608
        "WHERE bill_id = %s ORDER BY worker_id, period, program",
        [bill_id],
    ):
        month = months.get(period)
        if month is None:
            month = months[period] = _month(period)
        by_member.setdefault(worker_id, []).append(LineRow(pk, worker_id, month, program, amount, discount))
    members: dict[int, ShareMember] = {}
    if by_member:
        ids = sorted(by_member)
        in_ids, params = review_sql().ids_in("id", ids)
        for pk, number, registered_at in fetch_rows(
            f"SELECT id, membership_number, registered_at FROM {Worker._meta.db_table} WHERE {in_ids}",  # noqa: S608
            params,
        ):
            members[pk] = ShareMember(pk, number, _as_aware(registered_at))
    return by_member, members


def lines_settle(*, pairs: Sequence[tuple[int, int]], settled_at: dt.datetime) -> None:
    """Mark bill lines paid, each ``(line id, entry id)`` by its entry, in set statements."""
    with connection.cursor() as cursor:
        review_sql().lines_settle(
            cursor,
            table=BillLine._meta.db_table,
            pairs=pairs,
            settled_at=connection.ops.adapt_datetimefield_value(settled_at),
        )


def _month(value: Any) -> Period:
    return Period.of(as_day(value))


def _as_aware(value: Any) -> dt.datetime:
    """A timestamp as the cursor returns it (SQLite: ISO text in UTC), made aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _day(value: Any) -> Any:
    """A stored column's value as a row holds it (a month as its first day)."""
    return value.first_day if isinstance(value, Period) else value


def _period(value: Any) -> Period:
    return value if isinstance(value, Period) else Period.of(value)


def shares_pay(
    *,
    actor: Actor,
    shares: Sequence[Share],
    channel: str,
    paid_at: dt.datetime,
    rules_for: Any,
    payer_kind: str = "",
    debit_account: str | None = None,
) -> list[Allocation]:
    """Pay each share (in the caller's transaction); a share posted before returns its first allocation."""
    allocations: list[Allocation] = []
    status_memo = StatusMemo(today=timezone.localdate(paid_at), rules_for=rules_for)
    for start in range(0, len(shares), CHUNK):
        allocations += _chunk_pay(
            actor=actor,
            shares=shares[start : start + CHUNK],
            channel=channel,
            paid_at=paid_at,
            rules_for=rules_for,
            payer_kind=payer_kind,
            debit_account=debit_account or clearing_account(channel),
            status_memo=status_memo,
        )
    return allocations


def _chunk_pay(
    *,
    actor: Actor,
    shares: Sequence[Share],
    channel: str,
    paid_at: dt.datetime,
    rules_for: Any,
    payer_kind: str,
    debit_account: str,
    status_memo: StatusMemo,
) -> list[Allocation]:
    sql = review_sql()
    todo = list(shares)
    ids = sorted({s.worker.pk for s in todo})
    # Each member's payments are serialised on the member's row, locked in key order as elsewhere.
    # Plain statements with the chunk's members as one array (PostgreSQL): no model or IN list per chunk.
    in_ids, id_params = sql.ids_in("id", ids)
    fetch_rows(f"SELECT id FROM {Worker._meta.db_table} WHERE {in_ids} ORDER BY id{sql.for_update()}", id_params)  # noqa: S608
    periods = sorted({_period(line.period).first_day for s in todo for line in s.lines})
    in_workers, worker_params = sql.ids_in("worker_id", ids)
    months = ", ".join(["%s"] * len(periods))
    held = {
        (w, _month(p), prog)
        for w, p, prog in fetch_rows(
            f"SELECT worker_id, period, program FROM {ContributionMonth._meta.db_table} "  # noqa: S608
            f"WHERE {in_workers} AND period IN ({months})",
            [*worker_params, *periods],
        )
    }
    already = _paid_months_of(ids)
    today = timezone.localdate(paid_at)
    user = actor.user
    zone = timezone.get_current_timezone()  # read once: ``localdate`` looks it up on every call
    entries: list[tuple[str, str]] = []  # (reference, memo) of each share's entry
    plans: list[tuple[Share, list[BillLine | LineRow], dict[Period, dt.date], int, int]] = []
    for share in todo:
        worker = share.worker
        amount = sum(line.amount_idr for line in share.lines)
        if amount <= 0:
            _validate([Line(debit_account, debit_idr=amount, worker_id=worker.pk)])  # refused as its entry would be
        new = [line for line in share.lines if (worker.pk, _period(line.period), line.program) not in held]
        allocated = sum(line.amount_idr for line in new)
        registered_on = timezone.localtime(worker.registered_at, zone).date()
        covered = set(already[worker.pk])
        starts: dict[Period, dt.date] = {}
        for period in sorted({_period(line.period) for line in new}):
            starts[period] = _covered_from(
                period, today, rules_for, continuous=period - 1 in covered, registered_on=registered_on
            )
            covered.add(period)
        entries.append((share.reference, f"{worker.membership_number} group bill via {channel}"[:255]))
        plans.append((share, new, starts, amount, allocated))
    # Each share's entry, unless its reference was posted before (then that share is done, and
    # only its first allocation is returned). No other payment of these references can run now:
    # the bill's row is locked by the caller.
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        created = sql.entries_insert(
            cursor,
            table=JournalEntry._meta.db_table,
            fixed=EntryFixed(adapt(paid_at), PAYMENT_KIND, user.pk if user else None, adapt(timezone.now())),
            rows=entries,
        )
    done = _done(todo, created)
    if len(created) < len(todo):
        plans = [plan for plan in plans if plan[0].reference in created]
        if not plans:
            return done
    entry_ids = [created[share.reference] for share, *_rest in plans]
    _shares_post(plans=plans, entry_ids=entry_ids, debit_account=debit_account, paid_at=paid_at, payer_kind=payer_kind)
    _statuses_store(plans=plans, already=already, today=today, rules_for=rules_for, memo=status_memo)
    # One audit row per member's payment, written as plain rows (no model object per member).
    audit_record_subjects(
        actor=actor,
        action="contributions.payment_allocated",
        subject_type=Worker._meta.label_lower,
        subjects=(
            (
                share.worker.pk,
                share.worker.audit_label(),
                {
                    "reference": share.reference,
                    "amount_idr": amount,
                    "months": sorted(str(p) for p in starts),
                    "credit_added_idr": amount - allocated,
                },
            )
            for share, _new, starts, amount, allocated in plans
        ),
    )
    return done + [
        _share_allocation(entry_id, debit_account=debit_account, amount=amount, new=new, allocated=allocated)
        for entry_id, (_share, new, _starts, amount, allocated) in zip(entry_ids, plans, strict=True)
    ]


def _share_allocation(
    entry_id: int, *, debit_account: str, amount: int, new: Sequence[BillLine | LineRow], allocated: int
) -> Allocation:
    """``_allocation_from_lines`` of a share's entry, from what the entry was posted from."""
    return Allocation(
        entry_id,
        True,
        amount if debit_account.startswith(CLEARING_PREFIX) else 0,
        tuple(sorted({_period(line.period) for line in new if line.amount_idr > 0})),
        allocated,
        amount if debit_account == "member_credit" else 0,
        amount - allocated,
    )


def _shares_post(
    *,
    plans: Sequence[tuple[Share, list[BillLine | LineRow], dict[Period, dt.date], int, int]],
    entry_ids: Sequence[int],
    debit_account: str,
    paid_at: dt.datetime,
    payer_kind: str,
) -> None:
    """Each share's entry's lines, its bill lines marked paid by it and its months' coverage rows.

    Per share: the debit of the whole share, a credit of each newly paid line's program, and the
    rest (lines the member paid meanwhile) as the member's credit. Each bill line is settled by
    its share's entry (a reversal of the entry opens exactly these again); a newly paid line gets
    a coverage row from its ``covered_from``.
    """
    programs = sorted({line.program for _share, new, *_rest in plans for line in new})
    accounts = accounts_get({debit_account, "member_credit", *(contribution_account(program) for program in programs)})
    lines: list[PostedLine] = []
    debits: list[tuple[int, int, int, int, int]] = []
    credits: list[tuple[int, int, int, int, int]] = []
    for entry_id, (share, new, starts, amount, allocated) in zip(entry_ids, plans, strict=True):
        worker_id = share.worker.pk
        fresh = {line.pk for line in new}
        lines += [
            PostedLine(
                line.pk,
                entry_id,
                worker_id,
                _day(line.period),
                line.program,
                line.amount_idr,
                line.discount_idr,
                starts[_period(line.period)] if line.pk in fresh else None,
            )
            for line in share.lines
        ]
        debits.append((entry_id, accounts[debit_account], worker_id, amount, 0))
        if amount > allocated:
            # A line the member already paid: that money is the member's credit.
            credits.append((entry_id, accounts["member_credit"], worker_id, 0, amount - allocated))
    with connection.cursor() as cursor:
        review_sql().shares_post(
            cursor,
            tables=ShareTables(BillLine._meta.db_table, ContributionMonth._meta.db_table, JournalLine._meta.db_table),
            lines=lines,
            debits=debits,
            credits=credits,
            accounts={program: accounts[contribution_account(program)] for program in programs},
            paid_at=connection.ops.adapt_datetimefield_value(paid_at),
            payer_kind=payer_kind,
        )


def _done(shares: Sequence[Share], created: dict[str, int]) -> list[Allocation]:
    """The first allocation of each share whose reference was posted before (a repeated payment)."""
    posted = [share.reference for share in shares if share.reference not in created]
    if not posted:
        return []
    existing = {e.reference: e for e in JournalEntry.objects.filter(kind=PAYMENT_KIND, reference__in=posted)}
    return [_allocation_from_entry(existing[reference], created=False) for reference in posted]


def _statuses_store(
    *,
    plans: Sequence[tuple[Share, list[BillLine | LineRow], dict[Period, dt.date], int, int]],
    already: dict[int, dict[Period, dt.date]],
    today: dt.date,
    rules_for: Any,
    memo: StatusMemo,
) -> None:
    """Each member's status from the months held before plus those just paid, as ``_status_store`` stores it."""
    ids = sorted(share.worker.pk for share, *_rest in plans)
    in_workers, params = review_sql().ids_in("worker_id", ids)
    known = {
        (w, status, as_day(since))
        for w, status, since in fetch_rows(
            f"SELECT worker_id, status, since FROM {MemberStatusChange._meta.db_table} WHERE {in_workers}",  # noqa: S608
            params,
        )
    }
    now = timezone.now()
    zone = timezone.get_current_timezone()
    registered = {share.worker.pk: timezone.localtime(share.worker.registered_at, zone).date() for share, *_r in plans}
    rows: list[tuple[Any, ...]] = []
    changes: list[tuple[int, str, dt.date]] = []
    for share, _new, starts, _amount, _allocated in plans:
        worker = share.worker
        paid_now = dict(already[worker.pk])
        for period in starts:
            paid_now.setdefault(period, today)
        fields, history = memo.fields(registered_on=registered[worker.pk], paid=paid_now)
        rows.append((worker.pk, *(_day(fields[name]) for name in STATUS_COLUMNS)))
        changes += [
            (worker.pk, change.status, change.since)
            for change in history
            if (worker.pk, change.status, change.since) not in known
        ]
    # The chunk's stored rows written over with their new values in one statement (the members'
    # rows are locked): one UPDATE per distinct status would be hundreds of statements a chunk.
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        review_sql().statuses_upsert(cursor, table=MemberStatus._meta.db_table, rows=rows, updated_at=stamp)
        review_sql().changes_insert(cursor, table=MemberStatusChange._meta.db_table, rows=changes, recorded_at=stamp)
