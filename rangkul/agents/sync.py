"""Safe sync: each operation an agent's phone sends is applied once, whatever is resent.

An operation is stored once per (agent, client id) by the database's unique constraint, in the
same transaction as its effect, with its result; a replay finds the row and answers that first
result. Work is committed per operation (``operation_apply``) or per run of operations
(``sync_batch``, ``sync_collect``), so a batch cut off halfway is safe to send again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent, AgentStatus, Collection, OperationKind, SyncOperation
from rangkul.agents.selectors import agent_portfolio_get
from rangkul.agents.services import agent_cash_take
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import paid_months
from rangkul.core.bulk import insert_unless_conflict
from rangkul.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.messaging.services import sms_queue
from rangkul.payments.collected import payment_record_collected
from rangkul.payments.models import Channel
from rangkul.payments.services import channel_get
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import Channel as RegistrationChannel
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_find_by_nik
from rangkul.registry.services import RegistrationInput, worker_register

logger = logging.getLogger("rangkul.agents")

AGENT_CASH_CHANNEL = "agent_cash"
MAX_OPERATIONS = 500
OPERATION_ID_MAX = 64
# A phone's clock may run a little ahead of ours.
CLOCK_SKEW = dt.timedelta(minutes=10)
# Work older than this (about the inactivity period) is not taken by sync: it goes to the branch office,
# where a collection recorded long before it is sent can be looked into.
MAX_AGE = dt.timedelta(days=92)

APPLIED, REJECTED, DUPLICATE = "applied", "rejected", "duplicate"


def _rejected(op_id: str, code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"id": op_id, "status": REJECTED, "errors": {"code": code, "message": message, "fields": dict(fields or {})}}


def agent_sync(*, agent: Agent, operations: Sequence[Any]) -> list[dict[str, Any]]:
    """Apply a batch; one result per operation, in the same order.

    The batch's registrations are applied first, together, through the registry's set-based
    path (``sync_batch``, runs of ``REGISTER_RUN``); then every other operation in order, in runs
    of ``COLLECT_RUN`` (``sync_collect``), each run one transaction under the agent's row lock
    and each operation in it a savepoint of its own. A collection never needs to wait for a
    later registration, and one that refers to a registration of the same batch finds it applied.
    The agent's last activity is written once, at the end.
    """
    # Imported here: the set-based paths build on this module's helpers.
    from rangkul.agents.sync_batch import REGISTER_RUN, registrations_apply
    from rangkul.agents.sync_collect import COLLECT_RUN, collections_apply

    if not agent.is_active:
        raise PermissionDenied(_("This agent is not active."), code=AgentErrorCode.AGENT_INACTIVE)
    if len(operations) > MAX_OPERATIONS:
        raise ValidationFailed(
            _("Send at most %(count)s operations at once.") % {"count": MAX_OPERATIONS},
            fields={"operations": [_("Too many operations.")]},
        )
    results: list[dict[str, Any] | None] = [None] * len(operations)
    registers = [index for index, operation in enumerate(operations) if _is_register(operation)]
    for start in range(0, len(registers), REGISTER_RUN):
        run = registers[start : start + REGISTER_RUN]
        for index, result in zip(
            run, registrations_apply(agent=agent, operations=[operations[i] for i in run]), strict=True
        ):
            results[index] = result
    others = [index for index, result in enumerate(results) if result is None]
    for start in range(0, len(others), COLLECT_RUN):
        run = others[start : start + COLLECT_RUN]
        for index, result in zip(
            run, collections_apply(agent=agent, operations=[operations[i] for i in run]), strict=True
        ):
            results[index] = result
    answered = [result for result in results if result is not None]
    if any(result.get("status") == APPLIED for result in answered):
        Agent.objects.filter(pk=agent.pk).update(last_activity_at=timezone.now())
    return answered


def _is_register(operation: Any) -> bool:
    return isinstance(operation, Mapping) and operation.get("kind") == OperationKind.REGISTER


DEVICE_MAX = 64
# A position fix coarser than this says nothing about a ~100 m cell: it is dropped.
LOCATION_ACCURACY_MAX_M = 500


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
        return None
    return float(value)


def location_cell(location: Any) -> str:
    """A ~100 m grid cell ("-6.991,110.423") of a position the phone sent
    (``{"lat", "lon", "accuracy"?}``, degrees and metres), or "" when it is missing or unusable:
    latitude within ±90, longitude within ±180, accuracy (when given) 0 to ``LOCATION_ACCURACY_MAX_M``."""
    if not isinstance(location, Mapping):
        return ""
    lat, lon = _number(location.get("lat")), _number(location.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    if "accuracy" in location and location["accuracy"] is not None:
        accuracy = _number(location["accuracy"])
        if accuracy is None or not 0 <= accuracy <= LOCATION_ACCURACY_MAX_M:
            return ""
    # ``+ 0.0`` turns -0.0 into 0.0: one cell either side of the equator's rounding.
    return f"{round(lat, 3) + 0.0:.3f},{round(lon, 3) + 0.0:.3f}"


def _where(operation: Mapping[str, Any]) -> tuple[str, str]:
    """The phone's own id and a ~100 m grid cell of where the work was done, when the phone says;
    kept for the supervisors' fraud signals. Anything unusable is dropped, never rejected: the work
    itself is applied whether or not the phone could (or was allowed to) tell where it was."""
    device = operation.get("device")
    device = device.strip()[:DEVICE_MAX] if isinstance(device, str) else ""
    return device, location_cell(operation.get("location"))


def _envelope(operation: Any) -> tuple[str, str, dt.datetime, dict[str, Any]] | dict[str, Any]:
    """(id, kind, recorded_at, data), or a rejection when the envelope itself is unusable."""
    if not isinstance(operation, Mapping):
        return _rejected("", "invalid_operation", _("An operation must be an object."))
    op_id = operation.get("id")
    if not isinstance(op_id, str) or not op_id.strip() or len(op_id) > OPERATION_ID_MAX:
        return _rejected(
            str(op_id or "")[:OPERATION_ID_MAX], "invalid_id", _("Each operation needs an id of at most 64 characters.")
        )
    kind = operation.get("kind")
    if kind not in OperationKind.values:
        return _rejected(op_id, "invalid_kind", _("The kind must be register or collect."), {"kind": [_("Unknown.")]})
    raw_time = operation.get("recorded_at")
    recorded_at = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    if recorded_at is None or timezone.is_naive(recorded_at):
        return _rejected(
            op_id,
            "invalid_recorded_at",
            _("recorded_at must be a date and time with its time zone."),
            {"recorded_at": [_("Enter a date and time such as 2026-12-06T10:00:00+07:00.")]},
        )
    if recorded_at > timezone.now() + CLOCK_SKEW:
        return _rejected(
            op_id, "invalid_recorded_at", _("recorded_at is in the future."), {"recorded_at": [_("In the future.")]}
        )
    if recorded_at < timezone.now() - MAX_AGE:
        return _rejected(
            op_id,
            "too_old",
            _("This work was recorded too long ago to be sent; take it to the branch office."),
            {"recorded_at": [_("Too long ago.")]},
        )
    data = operation.get("data")
    if not isinstance(data, Mapping):
        return _rejected(op_id, "invalid_data", _("data must be an object."), {"data": [_("Required.")]})
    return op_id, kind, recorded_at, dict(data)


def operation_apply(*, agent: Agent, operation: Any, touch: bool = True) -> dict[str, Any]:
    envelope = _envelope(operation)
    if isinstance(envelope, dict):
        return envelope
    if not Agent.objects.filter(pk=agent.pk, status=AgentStatus.ACTIVE).exists():
        return _rejected(envelope[0], "agent_inactive", _("This agent is not active."))
    op_id, kind, recorded_at, data = envelope
    device, location = _where(operation)
    with transaction.atomic():
        row = SyncOperation(
            agent=agent, operation_id=op_id, kind=kind, recorded_at=recorded_at, device=device, location=location
        )
        if not insert_unless_conflict(row, conflict=["agent", "operation_id"]):
            # Sent before (or by a concurrent request that committed first): the first answer.
            return dict(SyncOperation.objects.get(agent=agent, operation_id=op_id).result)
        try:
            with transaction.atomic():
                if kind == OperationKind.REGISTER:
                    result = _register(agent=agent, op_id=op_id, data=data)
                else:
                    result = _collect(agent=agent, operation=row, data=data)
        except ApplicationError as exc:
            result = _rejected(op_id, exc.code, str(exc.message), exc.fields)
        row.result = result
        row.save(update_fields=["result"])
        if touch and result["status"] == APPLIED:
            Agent.objects.filter(pk=agent.pk).update(last_activity_at=timezone.now())
    return result


# --- register -------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = [_("Enter a whole number.")]
        return 0
    return value


def _registration_input(data: Mapping[str, Any]) -> RegistrationInput:
    errors: dict[str, list[str]] = {}
    raw_birth = data.get("birth_date")
    birth_date = parse_date(raw_birth) if isinstance(raw_birth, str) else None
    if birth_date is None:
        errors["birth_date"] = [_("Enter a date as YYYY-MM-DD.")]
    income = _int(data, "declared_income_idr", errors)
    jht = data.get("jht", False)
    if not isinstance(jht, bool):
        errors["jht"] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return RegistrationInput(
        nik=_text(data, "nik"),
        full_name=_text(data, "full_name"),
        birth_date=birth_date,
        sex=_text(data, "sex"),
        phone=_text(data, "phone"),
        village_code=_text(data, "village_code"),
        occupation_code=_text(data, "occupation"),
        declared_income_idr=income,
        jht=bool(jht),
        address=_text(data, "address"),
    )


def _register(*, agent: Agent, op_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    registration = _registration_input(data)
    try:
        worker = worker_register(
            actor=Actor.for_user(agent.user),
            data=registration,
            channel=RegistrationChannel.AGENT,
            branch=agent.branch,
            organisation_code=agent.organisation.code,
        )
    except Conflict as exc:
        if exc.code != RegistryErrorCode.NIK_REGISTERED:
            raise
        return _duplicate(agent, op_id, registration.nik, exc)
    return {"id": op_id, "status": APPLIED, "membership_number": worker.membership_number}


def _duplicate(agent: Agent, op_id: str, nik: str, exc: Conflict) -> dict[str, Any]:
    """A NIK registered already: the member's number only if the member is the agent's own."""
    existing = worker_find_by_nik(nik=nik)
    result: dict[str, Any] = {"id": op_id, "status": DUPLICATE}
    if existing is not None and existing.registered_by_id == agent.user_id:
        result["membership_number"] = existing.membership_number
    else:
        result["errors"] = {
            "code": RegistryErrorCode.NIK_REGISTERED.value,
            "message": str(exc.message),
            "fields": exc.fields,
        }
    return result


# --- collect --------------------------------------------------------------------------------


@dataclass
class CollectRun:
    """What a run of collections reads once, under the agent's row lock (``sync_collect``), and
    what it writes together at the end: the collection rows and the members' receipt SMS."""

    locked: Agent
    channel: Channel
    workers: dict[str, Worker]  # membership number → the member, in the agent's portfolio
    registrations: dict[str, str]  # the phone's registration id → the membership number it got
    collections: list[Collection] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)


def collect_input(data: Mapping[str, Any]) -> tuple[int, int, Period | None]:
    """(months, amount, first month) of a collection, or the fields' errors."""
    errors: dict[str, list[str]] = {}
    months = _int(data, "months", errors)
    amount = _int(data, "amount_idr", errors)
    if "months" not in errors and not 1 <= months <= 12:
        errors["months"] = [_("Choose between 1 and 12 months.")]
    if "amount_idr" not in errors and amount <= 0:
        errors["amount_idr"] = [_("Must be more than zero.")]
    first_month: Period | None = None
    if data.get("first_month"):
        try:
            first_month = Period.parse(str(data["first_month"]))
        except (ValueError, TypeError):
            errors["first_month"] = [_("Enter a month as YYYY-MM.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return months, amount, first_month


def cash_limit_check(locked: Agent, amount: int) -> None:
    if locked.cash_held_idr + amount > locked.cash_limit_idr:
        raise Conflict(
            _("Cash held would exceed your limit of %(limit)s; deposit the cash first.")
            % {"limit": format_rupiah(locked.cash_limit_idr)},
            code=AgentErrorCode.CASH_LIMIT,
        )


def already_paid_notice(already: list[str]) -> str:
    return _("Already paid meanwhile: %(months)s. The money is kept as the member's credit.") % {
        "months": ", ".join(already)
    }


def credit_notice(credit_idr: int) -> str:
    return _("%(amount)s was kept as the member's credit.") % {"amount": format_rupiah(credit_idr)}


def collect_result(op_id: str, worker: Worker, collected: Any, notices: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": op_id,
        "status": APPLIED,
        "membership_number": worker.membership_number,
        "receipt_number": collected.receipt_number,
        "months": collected.months,
        "credit_idr": collected.credit_idr,
    }
    if notices:
        result["notices"] = notices
    return result


def _collect(
    *, agent: Agent, operation: SyncOperation, data: Mapping[str, Any], run: CollectRun | None = None
) -> dict[str, Any]:
    op_id, recorded_at = operation.operation_id, operation.recorded_at
    months, amount, first_month = collect_input(data)
    if run is None:
        worker = agent_portfolio_get(agent=agent, membership_number=_membership_number(agent, data))
        # One agent's collections are serialised on the agent's row: the cash limit holds under races.
        locked = Agent.objects.select_for_update().get(pk=agent.pk)
        channel = channel_get(AGENT_CASH_CHANNEL)
    else:
        worker = _portfolio_worker(run, _membership_number(agent, data, run.registrations))
        locked, channel = run.locked, run.channel
    cash_limit_check(locked, amount)
    notices: list[str] = []
    already: list[str] = []
    if first_month is not None:
        paid = paid_months(worker_id=worker.pk)
        already = [str(first_month + i) for i in range(months) if first_month + i in paid]
    if already:
        notices.append(already_paid_notice(already))
    reference = f"{agent.code}:{op_id}"
    collected = payment_record_collected(
        actor=Actor.for_user(agent.user),
        channel=channel,
        external_reference=reference,
        worker=worker,
        amount_idr=amount,
        paid_at=recorded_at,
        as_credit=bool(already),
    )
    agent_cash_take(
        actor=Actor.for_user(agent.user), agent=agent, amount_idr=amount, reference=reference, channel=channel.code
    )
    if not already and collected.credit_idr:
        notices.append(credit_notice(collected.credit_idr))
    collection = Collection(
        agent=agent,
        operation=operation,
        worker=worker,
        amount_idr=amount,
        months=collected.months,
        credit_idr=collected.credit_idr,
        collected_at=recorded_at,
        payment_id=collected.payment.pk,
        receipt_number=collected.receipt_number,
    )
    sms = receipt_sms(agent, worker.membership_number, amount, collected)
    if run is None:
        collection.save(force_insert=True)
        sms_queue(to=worker.phone, body=sms, purpose="receipt")
    else:
        # Nothing below can fail: the run's rows are written together once it is through.
        run.collections.append(collection)
        run.messages.append((worker.phone, sms))
        locked.cash_held_idr += amount  # as agent_cash_take moved it on the row
    return collect_result(op_id, worker, collected, notices)


def _portfolio_worker(run: CollectRun, membership_number: str) -> Worker:
    worker = run.workers.get((membership_number or "").strip())
    if worker is None:
        raise NotFound(_("Member not found in your portfolio."), code=AgentErrorCode.NOT_IN_PORTFOLIO)
    return worker


def _membership_number(agent: Agent, data: Mapping[str, Any], registrations: Mapping[str, str] | None = None) -> str:
    """The member's number, or that of a worker registered by an earlier operation of the same phone
    (registered and paid for offline, before the membership number was known)."""
    registration = _text(data, "registration")
    if not registration:
        return _text(data, "membership_number")
    if registrations is not None:
        number: Any = registrations.get(registration)
    else:
        earlier = SyncOperation.objects.filter(
            agent=agent, operation_id=registration, kind=OperationKind.REGISTER
        ).first()
        number = (earlier.result or {}).get("membership_number") if earlier else None
    if not number:
        raise Conflict(
            _("The registration this collection belongs to was not accepted."),
            code=AgentErrorCode.REGISTRATION_NOT_APPLIED,
        )
    return str(number)


def receipt_sms(agent: Agent, membership_number: str, amount: int, collected: Any) -> str:
    # Members read SMS in Indonesian, whatever language the request came in.
    with translation.override("id"):
        months = ", ".join(collected.months) or _("none yet (kept as credit)")
        return _(
            "Rangkul: %(amount)s received in cash by agent %(agent)s for membership %(number)s, "
            "months %(months)s. Receipt %(receipt)s. Not paid in? Call the branch office."
        ) % {
            "amount": format_rupiah(amount),
            "agent": agent.code,
            "number": membership_number,
            "months": months,
            "receipt": collected.receipt_number,
        }


def operations_sorted(
    operations: Sequence[Any],
) -> tuple[list[dict[str, Any] | None], dict[str, tuple[int, Any]], list[tuple[int, str]]]:
    """A batch sorted for applying: answers already known (malformed envelopes) by position, the first
    occurrence of each operation id with its envelope, and the later positions that replay one."""
    results: list[dict[str, Any] | None] = [None] * len(operations)
    todo: dict[str, tuple[int, Any]] = {}  # op id → (first position, envelope); later positions replay it
    replays: list[tuple[int, str]] = []
    for index, operation in enumerate(operations):
        envelope = _envelope(operation)
        if isinstance(envelope, dict):
            results[index] = envelope
        elif envelope[0] in todo:
            replays.append((index, envelope[0]))
        else:
            todo[envelope[0]] = (index, (*envelope, *_where(operation)))
    return results, todo, replays
