"""The daily review's set-based part: what time alone does to members whose case is plain.

For most members due for review nothing but time has moved since their status was
stored: they paid a run of months up to ``paid_through`` and nothing after it. For
them the status on the review day depends only on ``paid_through`` and the rules:
active until the next month's due date passes, then in arrears, then ended once more
than the lapse limit of months are late. Members who share ``(status, paid_through)``
therefore share the outcome. It is computed once per pair by simulating a
representative member with the same pure rules (``schedule.member_status_and_review``)
and applied with a few ``INSERT … SELECT`` and ``UPDATE … FROM`` statements per batch.

Guards on the stored row decide who is plain (see docs/adr/0014-set-based-status-review.md
for why each one is enough); everyone else keeps the exact per-member simulation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from rangkul.contributions.models import ContributionMonth, MemberStatus, MemberStatusChange, RuleSet
from rangkul.contributions.schedule import (
    RulesFor,
    Status,
    StatusChange,
    due_date_for,
    member_status,
    member_status_and_review,
)
from rangkul.contributions.sql import review_sql
from rangkul.core.periods import Period

_ORDER = (Status.REGISTERED, Status.ACTIVE, Status.IN_ARREARS, Status.ENDED)


@dataclass(frozen=True)
class TimeStep:
    """What time alone has done by the review day to plain members with one ``(status, paid_through)``."""

    status: str
    paid_through: Period
    # Guards on the stored row (``None``: no guard).
    since_before: dt.date | None  # an active member became active before the next month fell due
    pay_by_is: dt.date | None  # a member in arrears owes from the month after ``paid_through``
    # The outcome.
    new_status: str
    new_since: dt.date | None  # set when the status changes; otherwise the stored ``since`` stays
    arrears_months: int
    pay_arrears_by: dt.date | None
    next_review_on: dt.date | None
    changes: tuple[StatusChange, ...]

    @property
    def changed(self) -> bool:
        return self.new_status != self.status


def schedule_is_uniform() -> bool:
    """The set-based review is proven for rule books whose arrears window and lapse limit
    do not change between versions, with a window of at least one month and no shorter
    than the lapse limit (the case today: 3 and 3). Otherwise everyone is simulated."""
    limits = set(RuleSet.objects.values_list("arrears_window_months", "lapse_after_unpaid_months"))
    if len(limits) != 1:
        return False
    window, lapse = limits.pop()
    return window >= max(1, lapse)


def _late_from(period: Period, rules_for: RulesFor) -> dt.date:
    return due_date_for(period, rules_for(period)) + dt.timedelta(days=1)


def time_step(*, status: str, paid_through: Period, today: dt.date, rules_for: RulesFor) -> TimeStep | None:
    """The outcome for plain members with this stored ``(status, paid_through)``; ``None``
    when the pair is not one the set-based review handles (they are simulated one by one)."""
    if status == Status.ENDED:
        # Only a payment resumes an ended membership; its fields do not move with time.
        return TimeStep(status, paid_through, None, None, status, None, 0, None, None, ())
    if status not in (Status.ACTIVE, Status.IN_ARREARS):
        return None
    current = Period.of(today)
    rules = rules_for(current)
    start = min(paid_through, current)
    # Every due date that matters falls inside its own month (a due day late in the
    # month pushed past its end by holidays would break the reasoning: simulate those).
    first, last = (
        start - (rules.prepay_max_months + 2),
        current + rules.prepay_max_months + rules.lapse_after_unpaid_months + 3,
    )
    probe = first
    while probe <= last:
        if Period.of(due_date_for(probe, rules_for(probe))) != probe:
            return None
        probe += 1
    # The representative: registered and paid from ``start`` through ``paid_through`` on time.
    paid = {start + i: start.first_day for i in range(paid_through - start + 1)}
    info, review = member_status_and_review(registered_on=start.first_day, paid=paid, today=today, rules_for=rules_for)
    history = info.history
    if (
        tuple(change.status for change in history) != _ORDER[: len(history)]
        or len(history) < 2
        or history[1].since != start.first_day
        or info.paid_through != paid_through
    ):
        return None
    late_from = _late_from(paid_through + 1, rules_for)
    if status == Status.ACTIVE:
        since_before, pay_by_is, after = late_from, None, history[2:]
    else:
        if late_from > today or len(history) < 3:
            return None
        owed = member_status(registered_on=start.first_day, paid=paid, today=late_from, rules_for=rules_for)
        pay_by_is = owed.pay_arrears_by
        # The deadline tells the oldest month owed apart from any other only while it is
        # a due date, never a month's last day (see the ADR).
        if owed.status != Status.IN_ARREARS or pay_by_is is None or Period.of(pay_by_is).last_day == pay_by_is:
            return None
        since_before, after = None, history[3:]
    changed = info.status != status
    return TimeStep(
        status=status,
        paid_through=paid_through,
        since_before=since_before,
        pay_by_is=pay_by_is,
        new_status=info.status,
        new_since=info.since if changed else None,
        arrears_months=len(info.arrears),
        pay_arrears_by=info.pay_arrears_by,
        next_review_on=review,
        changes=tuple(after),
    )


def members_paid_after(today: dt.date) -> set[int]:
    """Members with a month paid after ``today`` (a review run for a past day): simulated one by one."""
    tomorrow = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    return set(ContributionMonth.objects.filter(paid_at__gte=tomorrow).values_list("worker_id", flat=True).distinct())


# --- SQL ------------------------------------------------------------------------------------


def _day(value: Period | dt.date | None) -> dt.date | None:
    return value.first_day if isinstance(value, Period) else value


def _table(rows: Sequence[Sequence[Any]], kinds: Sequence[str], names: Sequence[str]) -> tuple[str, list[Any]]:
    """A small derived table ``SELECT … UNION ALL SELECT …`` (both databases; typed on PostgreSQL)."""
    text, day, integer = review_sql().placeholders()
    cast = {"t": text, "d": day, "i": integer}
    first = ", ".join(f"{cast[k]} AS {name}" for k, name in zip(kinds, names, strict=True))
    rest = ", ".join(cast[k] for k in kinds)
    sql = " UNION ALL ".join([f"SELECT {first}"] + [f"SELECT {rest}"] * (len(rows) - 1))
    params = [_day(value) if kind == "d" else value for row in rows for kind, value in zip(kinds, row, strict=True)]
    return sql, params


def _ids(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column`` is one of ``ids`` (the batch's locked members, in key order)."""
    return review_sql().ids_in(column, ids)


_KEY = ("t", "d", "d", "d")
_KEY_NAMES = ("old_status", "old_paid_through", "since_before", "pay_by_is")


def _key(step: TimeStep) -> tuple[Any, ...]:
    return (step.status, step.paid_through, step.since_before, step.pay_by_is)


def _outcome(step: TimeStep) -> tuple[Any, ...]:
    return (
        *_key(step),
        step.new_status,
        step.new_since,
        step.arrears_months,
        step.pay_arrears_by,
        step.next_review_on,
    )


def _plain_where(ids: Sequence[int], today: dt.date) -> tuple[str, list[Any]]:
    """Rows of the batch whose stored state is the plain case for their step ``k``."""
    in_ids, params = _ids("s.worker_id", ids)
    months = ContributionMonth._meta.db_table
    sql = f"""{in_ids}
        AND s.next_review_on <= %s AND s.since <= %s
        AND s.status = k.old_status AND s.paid_through = k.old_paid_through
        AND (k.since_before IS NULL OR s.since < k.since_before)
        AND (k.pay_by_is IS NULL OR s.pay_arrears_by = k.pay_by_is)
        AND NOT EXISTS (SELECT 1 FROM {months} m WHERE m.worker_id = s.worker_id AND m.period > s.paid_through)"""  # noqa: S608
    return sql, [*params, today, today]


def apply_time_steps(*, worker_ids: Sequence[int], steps: Iterable[TimeStep], today: dt.date) -> tuple[int, int]:
    """Store the outcome for the batch's plain members; returns ``(reviewed, changed)``.

    The caller holds the batch's member rows locked. Members left due afterwards
    (``next_review_on`` still on or before ``today``) were not plain: simulate them.
    """
    if not worker_ids:
        return 0, 0
    steps = list(steps)
    statuses, changes = MemberStatus._meta.db_table, MemberStatusChange._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        history = [(*_key(step), c.status, c.since) for step in steps for c in step.changes]
        if history:
            table, params = _table(history, (*_KEY, "t", "d"), (*_KEY_NAMES, "status", "since"))
            where, where_params = _plain_where(worker_ids, today)
            cursor.execute(
                f"""INSERT INTO {changes} (worker_id, status, since, recorded_at)
                SELECT s.worker_id, k.status, k.since, %s FROM {statuses} s, ({table}) k
                WHERE {where} ON CONFLICT DO NOTHING""",  # noqa: S608
                [now, *params, *where_params],
            )
        names = (*_KEY_NAMES, "new_status", "new_since", "arrears_months", "pay_arrears_by", "next_review_on")
        kinds = (*_KEY, "t", "d", "i", "d", "d")
        update = f"""UPDATE {statuses} AS s SET status = k.new_status, since = COALESCE(k.new_since, s.since),
            arrears_months = k.arrears_months, pay_arrears_by = k.pay_arrears_by,
            next_review_on = k.next_review_on, updated_at = %s
            FROM ({{table}}) AS k WHERE {{where}}"""  # noqa: S608

        def update_for(group: Sequence[TimeStep], counted: bool) -> tuple[str, list[Any]]:
            rows = [(*_outcome(s), int(s.changed)) if counted else _outcome(s) for s in group]
            table, params = _table(rows, (*kinds, "i") if counted else kinds, (*names, "changed") if counted else names)
            where, where_params = _plain_where(worker_ids, today)
            return update.format(table=table, where=where), [now, *params, *where_params]

        reviewed, changed = review_sql().steps_update(cursor, steps=steps, update_for=update_for)
        # Registered members who never paid: nothing moves until a first payment.
        in_ids, params = _ids("s.worker_id", worker_ids)
        months = ContributionMonth._meta.db_table
        cursor.execute(
            f"""UPDATE {statuses} AS s SET next_review_on = NULL, updated_at = %s
            WHERE {in_ids} AND s.next_review_on <= %s AND s.since <= %s AND s.status = %s
                AND s.paid_through IS NULL AND s.arrears_months = 0 AND s.pay_arrears_by IS NULL
                AND NOT EXISTS (SELECT 1 FROM {months} m WHERE m.worker_id = s.worker_id)""",  # noqa: S608
            [now, *params, today, today, Status.REGISTERED],
        )
        reviewed += cursor.rowcount
    return reviewed, changed
