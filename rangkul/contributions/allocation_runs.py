"""Many members' payments allocated together: the rows ``payment_allocate`` writes for each, written
for a whole run with one statement per table (ADR 0040).

A run is for payments from members who each appear once in it and share no month with a sponsor
(``AllocationRun.eligible``); anything else goes through ``payment_allocate`` one at a time. The run
reads once what every allocation needs (the members' rows locked, in id order; the rule versions;
the members' credit and paid months), plans each payment in memory in order exactly as
``services.allocation._allocate`` does, and ``write`` stores the journal entries (with any entries
of the caller's, such as an agent's cash), their lines, the paid months, the locked rule versions
and the members' statuses. Each entry stays unique per (kind, reference) in the database: a
reference posted before makes the whole run fail, and the caller then goes one at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.contributions.ledger import Line, _account_spec, _validate, accounts_get, clearing_account
from rangkul.contributions.models import (
    ContributionMonth,
    JournalEntry,
    JournalLine,
    MemberStatus,
    MemberStatusChange,
    MonthShare,
    RuleSet,
)
from rangkul.contributions.quotes import Quote
from rangkul.contributions.schedule import payable_periods
from rangkul.contributions.selectors import paid_programs_of
from rangkul.contributions.services.allocation import (
    PAYMENT_KIND,
    Allocation,
    _allocation_from_lines,
    allocation_lines,
    covered_starts,
    paid_days_split,
)
from rangkul.contributions.services.billing import _lock_versions, _price, _registered_on, _rules_for_preloaded
from rangkul.contributions.services.status import _status_fields
from rangkul.core.bulk import insert_many
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

# As ``_allocate``: every owed month is a candidate; the money decides how many are paid.
_CANDIDATE_MONTHS = 10**3


@dataclass(frozen=True)
class EntrySpec:
    """One journal entry to post with a run (``journal_post``'s arguments)."""

    kind: str
    reference: str
    lines: tuple[Line, ...]
    memo: str = ""
    occurred_at: dt.datetime | None = None


@dataclass
class _Planned:
    worker: Worker
    entry: EntrySpec
    quotes: list[Quote]
    starts: dict[Period, dt.date]
    paid_now: dict[Period, dt.date]
    today: dt.date
    paid_at: dt.datetime
    as_credit: bool
    audit: dict[str, Any] | None = None


@dataclass
class AllocationRun:
    """Payments of distinct members planned in memory and written together."""

    workers: dict[int, Worker]
    rulesets: list[RuleSet]
    credit: dict[int, int]
    paid: dict[int, dict[Period, dict[str, dt.date]]]
    shared: set[int]
    planned: list[_Planned] = field(default_factory=list)

    @classmethod
    def read(cls, workers: Sequence[Worker]) -> AllocationRun:
        """Lock the members' rows (in id order: two runs never wait on each other in a circle) and read
        what their allocations need, once for all."""
        ids = sorted({w.pk for w in workers})
        list(Worker.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        credit = dict.fromkeys(ids, 0)
        for row in (
            JournalLine.objects.filter(account__code="member_credit", worker_id__in=ids)
            .values("worker_id")
            .annotate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
            .order_by()
        ):
            credit[row["worker_id"]] = int(row["credit"] or 0) - int(row["debit"] or 0)
        return cls(
            workers={w.pk: w for w in workers},
            rulesets=list(RuleSet.objects.order_by("-effective_from")),
            credit=credit,
            paid=paid_programs_of(ids),
            shared=set(MonthShare.objects.filter(worker_id__in=ids).values_list("worker_id", flat=True).distinct()),
        )

    def eligible(self, worker: Worker) -> bool:
        """Whether this run can take a payment of the member: read with the run, no month shared with
        a sponsor, not paid for already in the run."""
        return (
            worker.pk in self.workers
            and worker.pk not in self.shared
            and all(p.worker.pk != worker.pk for p in self.planned)
        )

    def paid_months(self, worker: Worker) -> set[Period]:
        """The member's months with anything paid (``selectors.paid_months``), as read with the run."""
        return set(self.paid[worker.pk])

    def plan(
        self,
        *,
        actor: Actor,
        worker: Worker,
        amount_idr: int,
        channel: str,
        payment_reference: str,
        paid_at: dt.datetime,
        as_credit: bool = False,
    ) -> Allocation:
        """What ``payment_allocate`` (or, ``as_credit``, ``member_credit_post``) would write for this
        payment; written by ``write``. The entry id is 0 until then."""
        assert self.eligible(worker)  # noqa: S101 — the caller sends the others one at a time
        reference = f"{channel}:{payment_reference}"
        debit_account = clearing_account(channel)
        if as_credit:
            lines = [
                Line(debit_account, debit_idr=amount_idr, worker_id=worker.pk),
                Line("member_credit", credit_idr=amount_idr, worker_id=worker.pk),
            ]
            entry = EntrySpec(
                PAYMENT_KIND,
                reference,
                tuple(lines),
                f"{worker.membership_number} via {channel}, kept as credit",
                paid_at,
            )
            self.planned.append(_Planned(worker, entry, [], {}, {}, timezone.localdate(paid_at), paid_at, True))
            return _allocation_from_lines(0, lines)
        today = timezone.localdate(paid_at)
        rules_for = _rules_for_preloaded(self.rulesets)
        funds = amount_idr + self.credit[worker.pk]
        paid_programs = self.paid[worker.pk]
        already_paid, mandatory = paid_days_split(paid_programs)
        registered_on = _registered_on(worker)
        periods = payable_periods(
            registered_on=registered_on, paid=already_paid, today=today, rules_for=rules_for, months=_CANDIDATE_MONTHS
        )
        quotes: list[Quote] = []
        for period in periods:
            quote = _price(worker, period, rules_for)
            if quote.total_idr > funds:
                break  # whole months only, in order
            funds -= quote.total_idr
            quotes.append(quote)
        lines = allocation_lines(worker.pk, debit_account, amount_idr, quotes)
        starts, paid_now = covered_starts(
            quotes, mandatory=mandatory, today=today, rules_for=rules_for, registered_on=registered_on
        )
        entry = EntrySpec(PAYMENT_KIND, reference, tuple(lines), f"{worker.membership_number} via {channel}", paid_at)
        allocation = _allocation_from_lines(0, lines)
        audit = {
            "actor": actor,
            "action": "contributions.payment_allocated",
            "subject": worker,
            "after": {
                "reference": reference,
                "amount_idr": amount_idr,
                "months": [str(p) for p in allocation.months],
                "credit_used_idr": allocation.credit_used_idr,
                "credit_added_idr": allocation.credit_added_idr,
            },
        }
        self.planned.append(_Planned(worker, entry, quotes, starts, paid_now, today, paid_at, False, audit))
        return allocation

    def write(self, *, actor: Actor, extra: Sequence[EntrySpec] = ()) -> tuple[list[int], list[int]]:
        """Write the planned payments (and ``extra`` entries): the payments' entry ids in plan order,
        then the extra entries' ids in order."""
        entry_ids = journal_post_many(actor=actor, entries=[p.entry for p in self.planned] + list(extra))
        mine, theirs = entry_ids[: len(self.planned)], entry_ids[len(self.planned) :]
        allocated = [(p, entry_id) for p, entry_id in zip(self.planned, mine, strict=True) if not p.as_credit]
        insert_many(
            ContributionMonth,
            [
                ContributionMonth(
                    worker_id=p.worker.pk,
                    # The month's first day, as the column holds it (``insert_many`` writes dates as they are).
                    period=q.period.first_day,  # type: ignore[misc]
                    program=line.program,
                    amount_idr=line.amount_idr,
                    discount_idr=line.discount_idr,
                    paid_at=p.paid_at,
                    covered_from=p.starts[q.period],
                    entry_id=entry_id,
                )
                for p, entry_id in allocated
                for q in p.quotes
                for line in q.lines
            ],
        )
        unlocked = {q.rule_version for p, _e in allocated for q in p.quotes} - {
            r.version for r in self.rulesets if r.is_locked
        }
        if unlocked:
            _lock_versions(unlocked)
        self._statuses_store([p for p, _e in allocated])
        return mine, theirs

    def audit_rows(self) -> list[dict[str, Any]]:
        """The allocations' audit rows (``payment_allocate``'s), in plan order, for the caller to write."""
        return [p.audit for p in self.planned if p.audit is not None]

    def _statuses_store(self, planned: Sequence[_Planned]) -> None:
        """``_status_store`` for every member paid for: one upsert of the statuses, one insert of changes."""
        if not planned:
            return
        rules_for = _rules_for_preloaded(self.rulesets)
        now = timezone.now()
        statuses, changes = [], []
        columns: list[str] = []
        for p in planned:
            fields, history = _status_fields(
                registered_on=_registered_on(p.worker), paid=p.paid_now, today=p.today, rules_for=rules_for
            )
            statuses.append(MemberStatus(worker_id=p.worker.pk, **fields, updated_at=now))
            changes += [MemberStatusChange(worker_id=p.worker.pk, status=c.status, since=c.since) for c in history]
            columns = [*fields, "updated_at"]
        # One upsert for the run's members (each once in a run), as ``_status_store`` does for one.
        MemberStatus.objects.bulk_create(
            statuses, update_conflicts=True, unique_fields=["worker"], update_fields=columns
        )
        MemberStatusChange.objects.bulk_create(changes, ignore_conflicts=True)


def journal_post_many(*, actor: Actor, entries: Sequence[EntrySpec]) -> list[int]:
    """Post many balanced entries: one insert of the entries, one of their lines; their ids in order.

    Every entry is checked first (nothing is written if one does not balance or names an unknown
    account). Unlike ``journal_post`` a reference posted before is not answered with the first
    entry: the database's unique (kind, reference) refuses the whole insert, for the caller to undo.
    """
    if not entries:
        return []
    codes: set[str] = set()
    for spec in entries:
        _validate(spec.lines)
        codes |= {line.account for line in spec.lines}
    for code in codes:
        _account_spec(code)
    now = timezone.now()
    created_by = actor.user
    rows = insert_many(
        JournalEntry,
        [
            JournalEntry(
                occurred_at=spec.occurred_at or now,
                kind=spec.kind,
                reference=spec.reference,
                memo=spec.memo[:255],
                created_by=created_by,
            )
            for spec in entries
        ],
    )
    accounts = accounts_get(codes)
    insert_many(
        JournalLine,
        [
            JournalLine(
                entry_id=row.pk,
                account_id=accounts[line.account],
                worker_id=line.worker_id,
                period=line.period.first_day if line.period else None,  # type: ignore[misc]
                program=line.program,
                debit_idr=line.debit_idr,
                credit_idr=line.credit_idr,
            )
            for row, spec in zip(rows, entries, strict=True)
            for line in spec.lines
        ],
    )
    return [int(row.pk) for row in rows]
