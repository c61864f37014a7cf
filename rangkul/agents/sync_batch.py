"""Registrations of a sync batch written together: the registry's set-based path (ADR 0018) for
consecutive ``register`` operations, with the same answers as one operation at a time.

A run of registrations is one transaction: its operations are stored in one statement (each once
per agent and id, in id order so that two concurrent senders never wait on each other in a circle), the new
ones registered with ``workers_register_many`` and their results stored. A replay gets the first
result. If anything unexpected stops the run, nothing of it is kept and its operations go one at
a time through ``operation_apply``, which gives each its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from rangkul.agents.models import Agent, AgentStatus, SyncOperation
from rangkul.agents.sql import operation_results_store
from rangkul.agents.sync import (
    APPLIED,
    REJECTED,
    _duplicate,
    _registration_input,
    _rejected,
    operation_apply,
    operations_sorted,
)
from rangkul.audit.actors import Actor
from rangkul.core.bulk import insert_many_unless_conflict
from rangkul.core.errors import ApplicationError, Conflict
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import Channel as RegistrationChannel
from rangkul.registry.models import Worker
from rangkul.registry.services.bulk import workers_register_many

logger = logging.getLogger("rangkul.agents")

REGISTER_RUN = 100


def registrations_apply(*, agent: Agent, operations: Sequence[Any]) -> list[dict[str, Any]]:
    """One result per operation (all ``register``), in order."""
    results, todo, replays = operations_sorted(operations)
    if todo and not Agent.objects.filter(pk=agent.pk, status=AgentStatus.ACTIVE).exists():
        for op_id, (index, _envelope_values) in todo.items():
            results[index] = _rejected(op_id, "agent_inactive", _("This agent is not active."))
        todo = {}
    if todo:
        try:
            answered = _run(agent, todo)
        except DatabaseError:
            logger.warning("agent %s: registrations sent one at a time after a failed run", agent.code)
            answered = {
                op_id: operation_apply(agent=agent, operation=operations[index], touch=False)
                for op_id, (index, _e) in todo.items()
            }
        for op_id, (index, _envelope_values) in todo.items():
            results[index] = answered[op_id]
    for index, op_id in replays:
        results[index] = results[todo[op_id][0]] if op_id in todo else None
    done = [r for r in results if r is not None]
    assert len(done) == len(operations)  # noqa: S101 — every operation was answered above
    return done


def _run(agent: Agent, todo: dict[str, tuple[int, Any]]) -> dict[str, dict[str, Any]]:
    answered: dict[str, dict[str, Any]] = {}
    with transaction.atomic():
        # One statement, its rows in id order: two concurrent senders never wait on each other in a circle.
        rows = [
            SyncOperation(
                agent=agent, operation_id=op_id, kind=kind, recorded_at=recorded_at, device=device, location=location
            )
            for op_id in sorted(todo)
            for _index, (_id, kind, recorded_at, _data, device, location) in [todo[op_id]]
        ]
        inserted = {row.operation_id for row in insert_many_unless_conflict(rows, conflict=["agent", "operation_id"])}
        new = [(row, todo[row.operation_id][1][3]) for row in rows if row.operation_id in inserted]
        earlier = SyncOperation.objects.filter(
            agent=agent, operation_id__in=[op_id for op_id in todo if op_id not in {r.operation_id for r, _d in new}]
        ).values_list("operation_id", "result")
        answered.update((op_id, dict(result)) for op_id, result in earlier)

        inputs, rows = [], []
        for row, data in new:
            try:
                inputs.append(_registration_input(data))
                rows.append(row)
            except ApplicationError as exc:
                row.result = _rejected(row.operation_id, exc.code, str(exc.message), exc.fields)
        outcomes = workers_register_many(
            actor=Actor.for_user(agent.user),
            rows=inputs,
            channel=RegistrationChannel.AGENT,
            organisation_code=agent.organisation.code,
            welcome=True,
        )
        created: list[int] = []
        for row, registration, outcome in zip(rows, inputs, outcomes, strict=True):
            if isinstance(outcome, Conflict) and outcome.code == RegistryErrorCode.NIK_REGISTERED:
                row.result = _duplicate(agent, row.operation_id, registration.nik, outcome)
            elif isinstance(outcome, ApplicationError):
                row.result = _rejected(row.operation_id, outcome.code, str(outcome.message), outcome.fields)
            else:
                created.append(outcome.pk)
                row.result = {"id": row.operation_id, "status": APPLIED, "membership_number": outcome.membership_number}
        if created and agent.branch_id:
            # As one at a time: the agent's branch, not the village's default.
            Worker.objects.filter(pk__in=created).update(branch_id=agent.branch_id)
        operation_results_store([row for row, _data in new])
        answered.update((row.operation_id, row.result) for row, _data in new)
    assert all(r["status"] in {APPLIED, REJECTED, "duplicate"} for r in answered.values())  # noqa: S101
    return answered
