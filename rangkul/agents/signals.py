"""Fraud signals for supervisors: patterns in an agent's work worth a look, by dated thresholds.

A signal is shown, never acted on: no agent is blocked or flagged by the machine. Each signal says
what was seen (how many, when) so that a supervisor can decide, with the agent and the members.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent, AgentStatus, Collection, FraudRule, OperationKind, ReceiptReport, SyncOperation
from rangkul.agents.selectors import agent_cash_held_idr
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import NotFound, ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.registry.models import Worker

BURST, LATE_SYNC, CASH_OVER_LIMIT, CASH_HELD_LONG, RECEIPT_REPORTS = (
    "registration_burst",
    "late_sync",
    "cash_over_limit",
    "cash_held_long",
    "receipt_reports",
)


@dataclass(frozen=True)
class Signal:
    kind: str
    agents: tuple[str, ...]  # agent codes involved
    count: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)


def fraud_rule_on(day: dt.date) -> FraudRule:
    rule = FraudRule.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if rule is None:
        raise NotFound(_("No fraud signal rules are in force on this date."), code=AgentErrorCode.NO_FRAUD_RULES)
    return rule


def _densest(times: list[dt.datetime], minutes: int) -> tuple[int, int]:
    """(count, start index) of the most events within any ``minutes`` window (times sorted)."""
    span = dt.timedelta(minutes=minutes)
    best, best_start, start = 0, 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > span:
            start += 1
        if end - start + 1 > best:
            best, best_start = end - start + 1, start
    return best, best_start


def _bursts(rule: FraudRule, since: dt.datetime, agents: QuerySet[Agent]) -> list[Signal]:
    rows = (
        SyncOperation.objects.filter(
            agent__in=agents, kind=OperationKind.REGISTER, received_at__gte=since, result__status="applied"
        )
        .order_by("recorded_at")
        .values_list("agent__code", "device", "location", "recorded_at")
    )
    groups: dict[tuple[str, str], list[tuple[dt.datetime, str]]] = defaultdict(list)
    for code, device, location, recorded_at in rows:
        if device:
            groups[("device", device)].append((recorded_at, code))
        if location:
            groups[("location", location)].append((recorded_at, code))
    signals = []
    for (by, value), events in sorted(groups.items()):
        times = [t for t, _code in events]
        count, start = _densest(times, rule.burst_minutes)
        if count < rule.burst_registrations:
            continue
        window = events[start : start + count]
        codes = tuple(sorted({code for _t, code in window}))
        where = _("one phone") if by == "device" else _("one place (%(cell)s)") % {"cell": value}
        signals.append(
            Signal(
                kind=BURST,
                agents=codes,
                count=count,
                first_at=window[0][0],
                last_at=window[-1][0],
                detail=_("%(count)s registrations from %(where)s within %(minutes)s minutes.")
                % {"count": count, "where": where, "minutes": rule.burst_minutes},
                facts={"by": by, "value": value if by == "location" else value[:8] + "…"},
            )
        )
    return signals


def _late_syncs(rule: FraudRule, since: dt.datetime, agents: QuerySet[Agent]) -> list[Signal]:
    limit = dt.timedelta(hours=rule.late_sync_hours)
    late: dict[str, list[tuple[dt.datetime, dt.timedelta]]] = defaultdict(list)
    rows = Collection.objects.filter(agent__in=agents, operation__received_at__gte=since).values_list(
        "agent__code", "collected_at", "operation__received_at"
    )
    for code, collected_at, received_at in rows:
        if received_at - collected_at > limit:
            late[code].append((collected_at, received_at - collected_at))
    signals = []
    for code, items in sorted(late.items()):
        items.sort()
        longest = max(delay for _t, delay in items)
        signals.append(
            Signal(
                kind=LATE_SYNC,
                agents=(code,),
                count=len(items),
                first_at=items[0][0],
                last_at=items[-1][0],
                detail=_(
                    "%(count)s collections sent more than %(hours)s hours after the cash was taken "
                    "(longest: %(days)s days)."
                )
                % {"count": len(items), "hours": rule.late_sync_hours, "days": longest.days},
                facts={"longest_hours": int(longest.total_seconds() // 3600)},
            )
        )
    return signals


def _oldest_cash_held(agent: Agent, held: int) -> dt.datetime | None:
    """When the oldest cash still held was collected, deposits paying the oldest cash first."""
    remaining = held
    oldest = None
    for amount, collected_at in agent.collections.order_by("-collected_at", "-pk").values_list(
        "amount_idr", "collected_at"
    ):
        if remaining <= 0:
            break
        oldest = collected_at
        remaining -= amount
    return oldest


def _cash(rule: FraudRule, now: dt.datetime, agents: QuerySet[Agent]) -> list[Signal]:
    signals = []
    for agent in agents.filter(status=AgentStatus.ACTIVE).order_by("code"):
        held = agent_cash_held_idr(agent=agent)
        if held <= 0:
            continue
        if held > agent.cash_limit_idr:
            signals.append(
                Signal(
                    kind=CASH_OVER_LIMIT,
                    agents=(agent.code,),
                    count=1,
                    first_at=None,
                    last_at=None,
                    detail=_("Holds %(held)s in cash, above the limit of %(limit)s.")
                    % {"held": format_rupiah(held), "limit": format_rupiah(agent.cash_limit_idr)},
                    facts={"held_idr": held, "limit_idr": agent.cash_limit_idr},
                )
            )
        oldest = _oldest_cash_held(agent, held)
        if oldest is not None and now - oldest > dt.timedelta(days=rule.cash_hold_days):
            days = (now - oldest).days
            signals.append(
                Signal(
                    kind=CASH_HELD_LONG,
                    agents=(agent.code,),
                    count=days,
                    first_at=oldest,
                    last_at=None,
                    detail=_("Cash collected %(days)s days ago is not yet deposited (allowed: %(allowed)s days).")
                    % {"days": days, "allowed": rule.cash_hold_days},
                    facts={"held_idr": held, "days": days},
                )
            )
    return signals


def _receipt_reports(rule: FraudRule, since: dt.datetime, agents: QuerySet[Agent]) -> list[Signal]:
    reports: dict[str, list[dt.datetime]] = defaultdict(list)
    for code, reported_at in ReceiptReport.objects.filter(agent__in=agents, reported_at__gte=since).values_list(
        "agent__code", "reported_at"
    ):
        reports[code].append(reported_at)
    signals = []
    for code, times in sorted(reports.items()):
        if len(times) < rule.receipt_reports:
            continue
        times.sort()
        signals.append(
            Signal(
                kind=RECEIPT_REPORTS,
                agents=(code,),
                count=len(times),
                first_at=times[0],
                last_at=times[-1],
                detail=_("%(count)s members report paying this agent in cash without getting a receipt.")
                % {"count": len(times)},
            )
        )
    return signals


def fraud_signals(*, agents: QuerySet[Agent] | None = None, now: dt.datetime | None = None) -> list[Signal]:
    """Every signal over the rule's look-back window, for the given agents (all by default)."""
    now = now or timezone.now()
    rule = fraud_rule_on(timezone.localdate(now))
    since = now - dt.timedelta(days=rule.window_days)
    agents = agents if agents is not None else Agent.objects.all()
    return [
        *_bursts(rule, since, agents),
        *_late_syncs(rule, since, agents),
        *_cash(rule, now, agents),
        *_receipt_reports(rule, since, agents),
    ]


def agents_supervised_by(user: Any) -> QuerySet[Agent]:
    """A branch officer sees the agents of their branch; one who may see every region, all agents."""
    agents = Agent.objects.select_related("organisation", "user")
    if user.has_perm("accounts.view_all_regions") or not getattr(user, "branch_id", None):
        return agents
    return agents.filter(branch_id=user.branch_id)


def _agent_for_report(worker: Worker, receipt_number: str, agent_code: str) -> Agent | None:
    if receipt_number:
        collection = Collection.objects.filter(worker=worker, receipt_number=receipt_number.strip()).first()
        if collection is not None:
            return collection.agent
    if agent_code:
        agent = Agent.objects.filter(code=agent_code.strip().upper()).first()
        if agent is not None:
            return agent
    # The agent who last collected from this member, or else the one who registered them.
    last = Collection.objects.filter(worker=worker).order_by("-collected_at").select_related("agent").first()
    if last is not None:
        return last.agent
    return Agent.objects.filter(user_id=worker.registered_by_id).first() if worker.registered_by_id else None


@transaction.atomic
def receipt_report_record(
    *,
    actor: Actor,
    worker: Worker,
    channel: str,
    agent_code: str = "",
    receipt_number: str = "",
    paid_on: dt.date | None = None,
    amount_idr: int | None = None,
    note: str = "",
    recorded_by: Any = None,
) -> ReceiptReport:
    """A member reports paying an agent in cash without a receipt; counted in the agent's signals."""
    if amount_idr is not None and amount_idr <= 0:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"amount_idr": [_("Must be more than zero.")]}
        )
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationFailed(_("Please correct the marked fields."), fields={"paid_on": [_("In the future.")]})
    report = ReceiptReport.objects.create(
        worker=worker,
        agent=_agent_for_report(worker, receipt_number, agent_code),
        channel=channel,
        paid_on=paid_on,
        amount_idr=amount_idr,
        note=note.strip()[:500],
        recorded_by=recorded_by,
    )
    audit_record(
        actor=actor,
        action="agents.receipt_reported",
        subject=report,
        after={"agent": report.agent.code if report.agent else "", "channel": channel, "amount_idr": amount_idr},
    )
    return report


def receipt_reports_for(agents: Iterable[Agent]) -> QuerySet[ReceiptReport]:
    return ReceiptReport.objects.filter(agent__in=list(agents)).select_related("agent", "worker")
