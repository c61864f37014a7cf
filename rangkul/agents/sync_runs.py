"""A run of collections written as a set (ADR 0040): the same answers and rows as applying them one
at a time (``sync._collect``), with one statement per table for the whole run.

Each collection is checked and planned in order, in memory: its fields, the member (in the agent's
portfolio), the agent's cash limit (the run's earlier collections counted), a month paid meanwhile
(kept as credit), the months its money pays. Then the run is written together: the journal entries
(the payments' and the agent's cash), their lines, the paid months, the members' statuses, the
payments, the receipts (one range of numbers), the audit rows and the agent's cash held. A run in
which a member appears twice, or a member shares a month with a sponsor, is not taken here: it
goes one collection at a time, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from rangkul.agents.models import Agent, Collection, SyncOperation
from rangkul.agents.services import agent_cash_account
from rangkul.agents.sync import (
    CollectRun,
    _membership_number,
    _portfolio_worker,
    _rejected,
    already_paid_notice,
    cash_limit_check,
    collect_input,
    collect_result,
    credit_notice,
    receipt_sms,
)
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record_many
from rangkul.contributions.allocation_runs import EntrySpec
from rangkul.contributions.ledger import Line, clearing_account
from rangkul.core.errors import ApplicationError
from rangkul.payments.collected_runs import CollectedRun
from rangkul.registry.models import Worker


@dataclass
class _Planned:
    row: SyncOperation
    worker: Worker
    amount: int
    already: list[str]


def _worker_of(agent: Agent, run: CollectRun, data: Mapping[str, Any]) -> Worker | None:
    """The member a valid collection is for (None for one that will be rejected anyway)."""
    try:
        collect_input(data)
        return _portfolio_worker(run, _membership_number(agent, data, run.registrations))
    except ApplicationError:
        return None


def collections_together(
    agent: Agent, run: CollectRun, operations: Sequence[tuple[SyncOperation, Mapping[str, Any]]]
) -> dict[str, dict[str, Any]] | None:
    """The results by operation id, the rows written (the collections and receipts' texts left in
    ``run`` for the caller to write with the results); None when the run must go one at a time."""
    named = [w for w in (_worker_of(agent, run, data) for _row, data in operations) if w is not None]
    if len({w.pk for w in named}) != len(named):
        return None
    collected = CollectedRun.read(channel=run.channel, workers=named)
    if not all(collected.eligible(w) for w in named):
        return None
    locked = run.locked
    results: dict[str, dict[str, Any]] = {}
    planned: list[_Planned] = []
    for row, data in operations:
        op_id = row.operation_id
        try:
            months, amount, first_month = collect_input(data)
            worker = _portfolio_worker(run, _membership_number(agent, data, run.registrations))
            cash_limit_check(locked, amount)
        except ApplicationError as exc:
            results[op_id] = row.result = _rejected(op_id, exc.code, str(exc.message), exc.fields)
            continue
        already: list[str] = []
        if first_month is not None:
            paid = collected.paid_months(worker)
            already = [str(first_month + i) for i in range(months) if first_month + i in paid]
        collected.plan(
            actor=Actor.for_user(agent.user),
            external_reference=f"{agent.code}:{op_id}",
            worker=worker,
            amount_idr=amount,
            paid_at=row.recorded_at,
            as_credit=bool(already),
        )
        locked.cash_held_idr += amount  # the limit of the run's next collections counts this one
        planned.append(_Planned(row, worker, amount, already))
    if not planned:
        return results
    cash = [
        EntrySpec(
            "agent_cash_collected",
            f"{agent.code}:{p.row.operation_id}",
            (
                Line(agent_cash_account(agent), debit_idr=p.amount),
                Line(clearing_account(run.channel.code), credit_idr=p.amount),
            ),
            f"cash collected by agent {agent.code}",
        )
        for p in planned
    ]
    audit: list[dict[str, Any]] = []
    written, _cash_ids = collected.write(actor=Actor.for_user(agent.user), extra=cash, audit=audit)
    audit_record_many(audit)
    Agent.objects.filter(pk=agent.pk).update(cash_held_idr=F("cash_held_idr") + sum(p.amount for p in planned))
    for p, payment in zip(planned, written, strict=True):
        notices = [already_paid_notice(p.already)] if p.already else []
        if not p.already and payment.credit_idr:
            notices.append(credit_notice(payment.credit_idr))
        run.collections.append(
            Collection(
                agent=agent,
                operation=p.row,
                worker=p.worker,
                amount_idr=p.amount,
                months=payment.months,
                credit_idr=payment.credit_idr,
                collected_at=p.row.recorded_at,
                payment_id=payment.payment.pk,
                receipt_number=payment.receipt_number,
            )
        )
        run.messages.append((p.worker.phone, receipt_sms(agent, p.worker.membership_number, p.amount, payment)))
        results[p.row.operation_id] = p.row.result = collect_result(p.row.operation_id, p.worker, payment, notices)
    return results
