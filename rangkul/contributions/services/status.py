"""Member status: refreshed after each payment and reviewed daily as time passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from rangkul.contributions.models import (
    ContributionMonth,
    MemberStatus,
    MemberStatusChange,
)
from rangkul.contributions.schedule import (
    RulesFor,
    Status,
    StatusChange,
    member_status_and_review,
)
from rangkul.contributions.selectors import protected_months
from rangkul.contributions.services.billing import _registered_on, _rules_for_preloaded
from rangkul.contributions.sql import month_reader, protected_rows
from rangkul.contributions.status_review import (
    TimeStep,
    apply_time_steps,
    members_paid_after,
    schedule_is_uniform,
    time_step,
)
from rangkul.core.periods import Period
from rangkul.registry.models import MANDATORY_PROGRAMS, Worker

PAID_CHUNK = 5000


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
        paid=protected_months(worker_id=worker.pk),
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
    # One upsert, whether the member has a status row yet or not (a member registered in bulk
    # gets one with the first payment); a concurrent refresh of the same member is stored over.
    MemberStatus.objects.bulk_create(
        [MemberStatus(worker_id=worker.pk, **fields, updated_at=now)],
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=[*fields, "updated_at"],
    )
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
    """The months counting for many members' status (``selectors.protected_months_of``): member →
    month → day its protection was paid. Also what a paid month's continuity is judged on.

    Read as plain rows through ``sql.protected_rows``: the database keeps only the months whose
    every mandatory program is paid, one row each (on PostgreSQL already as the local day), the
    members as one array on PostgreSQL. ``protected_of`` over every program's first payment gives
    the same (the differential test in ``test_review_set_based``).
    """
    # Keyed by the month as the cursor returns it (a date, or ISO text on SQLite: both sort in
    # order without a Python comparison), then by ``Period`` in month order.
    protected: dict[int, dict[Any, dt.date]] = {pk: {} for pk in worker_ids}
    table = ContributionMonth._meta.db_table
    zone = timezone.get_current_timezone()
    rows = protected_rows(table, sorted(protected), programs=MANDATORY_PROGRAMS, chunk=PAID_CHUNK, zone=str(zone))
    for worker_id, period, last_first_paid in rows:
        if isinstance(last_first_paid, dt.datetime | str):
            last_first_paid = timezone.localtime(_as_aware(last_first_paid), zone).date()
        protected[worker_id][period] = last_first_paid
    month = month_reader()
    return {pk: {month(p): day for p, day in sorted(held.items())} for pk, held in protected.items()}


def _as_aware(value: Any) -> dt.datetime:
    """A timestamp as the cursor returns it (SQLite: ISO text in UTC), made aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


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
