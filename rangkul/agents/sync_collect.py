"""Collections of a sync batch applied in runs: one transaction and one hold of the agent's row lock
per run, with the same answers as one operation at a time.

A run reads once what every collection of it needs (the agent's row, locked, with its running
cash balance; the channel; the members of the agent's portfolio it names; the membership numbers
of the registrations it refers to), stores its operations in one statement (each once per agent
and id), applies each new collection in a savepoint of its own (a rejected one leaves nothing),
and writes the collection rows, the results and the members' receipt SMS together. A replay gets
the first result. If anything unexpected stops the run, nothing of it is kept and its operations
go one at a time through ``operation_apply``, which gives each its own transaction.

The run holds the agent's row lock (which serialises the agent's collections, so the cash limit
holds exactly) and the year's receipt counter until it commits: ``COLLECT_RUN`` keeps that short.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from rangkul.agents.models import Agent, AgentStatus, Collection, OperationKind, SyncOperation
from rangkul.agents.selectors import agent_portfolio
from rangkul.agents.sql import operation_results_store
from rangkul.agents.sync import (
    AGENT_CASH_CHANNEL,
    CollectRun,
    _collect,
    _rejected,
    _text,
    operation_apply,
    operations_sorted,
)
from rangkul.agents.sync_runs import collections_together
from rangkul.core.bulk import insert_many, insert_many_unless_conflict
from rangkul.core.errors import ApplicationError
from rangkul.messaging.models import MessageChannel
from rangkul.messaging.queue import messages_queue_many
from rangkul.payments.services import channel_get

logger = logging.getLogger("rangkul.agents")

COLLECT_RUN = 50


def collections_apply(*, agent: Agent, operations: Sequence[Any]) -> list[dict[str, Any]]:
    """One result per operation (none a registration), in order."""
    results, todo, replays = operations_sorted(operations)
    if todo:
        try:
            answered = _run(agent, todo)
        except DatabaseError:
            logger.warning("agent %s: collections sent one at a time after a failed run", agent.code)
            answered = {
                op_id: operation_apply(agent=agent, operation=operations[index], touch=False)
                for op_id, (index, _e) in todo.items()
            }
        for op_id, (index, _envelope_values) in todo.items():
            results[index] = answered[op_id]
    for index, op_id in replays:
        results[index] = results[todo[op_id][0]]
    done = [r for r in results if r is not None]
    assert len(done) == len(operations)  # noqa: S101 — every operation was answered above
    return done


def _run(agent: Agent, todo: dict[str, tuple[int, Any]]) -> dict[str, dict[str, Any]]:
    with transaction.atomic():
        # First the agent's row: two requests of the same agent take their runs in turn.
        locked = Agent.objects.select_for_update().select_related("user").get(pk=agent.pk)
        if locked.status != AgentStatus.ACTIVE:
            return {op_id: _rejected(op_id, "agent_inactive", _("This agent is not active.")) for op_id in todo}
        rows = {
            op_id: SyncOperation(
                agent=agent, operation_id=op_id, kind=kind, recorded_at=recorded_at, device=device, location=location
            )
            for op_id, (_index, (_id, kind, recorded_at, _data, device, location)) in todo.items()
        }
        new = {
            row.operation_id
            for row in insert_many_unless_conflict(list(rows.values()), conflict=["agent", "operation_id"])
        }
        answered: dict[str, dict[str, Any]] = {
            op_id: dict(result)
            for op_id, result in SyncOperation.objects.filter(
                agent=agent, operation_id__in=[op_id for op_id in todo if op_id not in new]
            ).values_list("operation_id", "result")
        }
        fresh = [op_id for op_id in todo if op_id in new]
        run = _prepare(agent, locked, [todo[op_id][1][3] for op_id in fresh])
        together = collections_together(agent, run, [(rows[op_id], todo[op_id][1][3]) for op_id in fresh])
        if together is not None:
            answered.update(together)
        else:
            for op_id in fresh:
                row, data = rows[op_id], todo[op_id][1][3]
                try:
                    with transaction.atomic():
                        row.result = _collect(agent=agent, operation=row, data=data, run=run)
                except ApplicationError as exc:
                    row.result = _rejected(op_id, exc.code, str(exc.message), exc.fields)
                answered[op_id] = row.result
        insert_many(Collection, run.collections)
        operation_results_store([rows[op_id] for op_id in fresh])
        messages_queue_many(channel=MessageChannel.SMS, items=run.messages, purpose="receipt")
    return answered


def _prepare(agent: Agent, locked: Agent, datas: list[Any]) -> CollectRun:
    """The channel, the registrations referred to and the members named, each read once."""
    wanted = {_text(data, "registration") for data in datas} - {""}
    registrations: dict[str, str] = {}
    if wanted:
        for op_id, result in SyncOperation.objects.filter(
            agent=agent, operation_id__in=wanted, kind=OperationKind.REGISTER
        ).values_list("operation_id", "result"):
            number = (result or {}).get("membership_number")
            if number:
                registrations[op_id] = str(number)
    numbers = {_text(data, "membership_number") for data in datas} | set(registrations.values())
    workers = {
        w.membership_number: w
        for w in agent_portfolio(agent=agent).select_related("occupation").filter(membership_number__in=numbers - {""})
    }
    return CollectRun(
        locked=locked,
        channel=channel_get(AGENT_CASH_CHANNEL),
        workers=workers,
        registrations=registrations,
    )
