"""Writes: recruiting, activating and deactivating agents, their API keys, cash deposits.

An agent's cash is a ledger account of its own, ``clearing:agent:<code>``: each collection moves
the money from the ``agent_cash`` channel's clearing account onto the agent (debit the agent,
credit the channel); a deposit moves it from the agent to the clearing account of the channel the
agent paid it in through (debit that channel, credit the agent). Cash held is that account's balance,
kept as a running balance on the agent's row (``Agent.cash_held_idr``) as each entry is written.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.accounts.models import BranchOffice, User
from rangkul.accounts.roles import Role
from rangkul.accounts.services import api_key_create
from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent, AgentRule, AgentStatus
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.ledger import Line, clearing_account, journal_post
from rangkul.core.errors import Conflict, NotFound, ValidationFailed
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation

AGENT_CODE_ATTEMPTS = 5


def agent_cash_account(agent: Agent) -> str:
    return clearing_account(f"agent:{agent.code}")


def agent_rules_on(day: dt.date) -> AgentRule:
    rule = AgentRule.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if rule is None:
        raise NotFound(_("No agent rules are in force on this date."), code=AgentErrorCode.NO_AGENT_RULES)
    return rule


def _months_before(day: dt.date, months: int) -> dt.date:
    start = Period.of(day) + (-months)
    return start.day(min(day.day, start.last_day.day))


def _code_next() -> str:
    last = Agent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return f"AG{last + 1:06d}"


@transaction.atomic
def agent_create(
    *,
    actor: Actor,
    user: User,
    organisation: Organisation,
    branch: BranchOffice | None = None,
    cash_limit_idr: int | None = None,
) -> Agent:
    """Recruit a person as an agent of a host organisation; they get the agent role."""
    if Agent.objects.filter(user=user).exists():
        raise Conflict(_("This user is already an agent."), code=AgentErrorCode.ALREADY_AGENT)
    if cash_limit_idr is not None and cash_limit_idr < 0:
        raise ValidationFailed(
            _("The cash limit cannot be negative."), fields={"cash_limit_idr": [_("Must be zero or more.")]}
        )
    now = timezone.now()
    limit = (
        cash_limit_idr if cash_limit_idr is not None else agent_rules_on(timezone.localdate(now)).default_cash_limit_idr
    )
    for _attempt in range(AGENT_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                agent = Agent.objects.create(
                    code=_code_next(),
                    user=user,
                    organisation=organisation,
                    branch=branch or user.branch,
                    cash_limit_idr=limit,
                    created_at=now,
                    last_activity_at=now,
                )
            break
        except IntegrityError:
            continue  # another agent took the code at the same moment
    else:
        raise Conflict(_("Could not give the agent a code; try again."), code=AgentErrorCode.AGENT_CODE_TAKEN)
    user.groups.add(*Group.objects.filter(name=Role.AGENT.value))
    audit_record(
        actor=actor,
        action="agents.agent_created",
        subject=agent,
        after={"code": agent.code, "organisation": organisation.code, "cash_limit_idr": limit},
    )
    return agent


def agent_key_create(*, actor: Actor, agent: Agent) -> str:
    """An API key bound to the agent's user: it syncs and reads the agent's own portfolio only."""
    return api_key_create(actor=actor, name=f"agent {agent.code}", user=agent.user)


@transaction.atomic
def agent_deactivate(*, actor: Actor, agent: Agent, reason: str) -> Agent:
    if agent.status == AgentStatus.INACTIVE:
        return agent
    agent.status = AgentStatus.INACTIVE
    agent.deactivated_at = timezone.now()
    agent.save(update_fields=["status", "deactivated_at"])
    audit_record(actor=actor, action="agents.agent_deactivated", subject=agent, after={"reason": reason})
    return agent


@transaction.atomic
def agent_activate(*, actor: Actor, agent: Agent, today: dt.date | None = None) -> Agent:
    """Take an agent back; one deactivated may return only after the rule's waiting months."""
    if agent.status == AgentStatus.ACTIVE:
        return agent
    today = today or timezone.localdate()
    rule = agent_rules_on(today)
    if agent.deactivated_at is not None:
        earliest = Period.of(timezone.localdate(agent.deactivated_at)) + rule.return_after_months
        may_return_on = earliest.day(min(timezone.localdate(agent.deactivated_at).day, earliest.last_day.day))
        if today < may_return_on:
            raise Conflict(
                _("A deactivated agent may return from %(date)s.") % {"date": may_return_on.isoformat()},
                code=AgentErrorCode.AGENT_MAY_NOT_RETURN_YET,
            )
    agent.status = AgentStatus.ACTIVE
    agent.deactivated_at = None
    agent.last_activity_at = timezone.now()
    agent.save(update_fields=["status", "deactivated_at", "last_activity_at"])
    audit_record(actor=actor, action="agents.agent_activated", subject=agent)
    return agent


def agents_deactivate_inactive(*, today: dt.date | None = None) -> int:
    """Deactivate every active agent with no activity for the rule's months; returns how many."""
    today = today or timezone.localdate()
    rule = agent_rules_on(today)
    cutoff = _months_before(today, rule.inactive_after_months)
    count = 0
    stale = Agent.objects.filter(status=AgentStatus.ACTIVE, last_activity_at__date__lt=cutoff)
    for agent in stale:
        agent_deactivate(
            actor=Actor.system("system"),
            agent=agent,
            reason=f"no activity for {rule.inactive_after_months} months ({rule.version})",
        )
        count += 1
    return count


def agent_cash_take(*, actor: Actor, agent: Agent, amount_idr: int, reference: str, channel: str) -> int:
    """Put collected cash on the agent: the channel's clearing account is now owed by the agent.

    The caller holds the agent's row lock (collections are serialised on it); the running
    balance moves with the entry, once, as the entry is written once per reference.
    """
    entry, created = journal_post(
        actor=actor,
        kind="agent_cash_collected",
        reference=reference,
        lines=[
            Line(agent_cash_account(agent), debit_idr=amount_idr),
            Line(clearing_account(channel), credit_idr=amount_idr),
        ],
        memo=f"cash collected by agent {agent.code}",
    )
    if created:
        Agent.objects.filter(pk=agent.pk).update(cash_held_idr=F("cash_held_idr") + amount_idr)
    return entry.pk


@transaction.atomic
def agent_cash_deposit(*, actor: Actor, agent: Agent, amount_idr: int, channel: str, reference: str) -> int:
    """The agent paid cash in (payment code or bank transfer): it leaves the agent's account."""
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if amount_idr <= 0:
        raise ValidationFailed(
            _("A deposit must be more than zero."), fields={"amount_idr": [_("Must be more than zero.")]}
        )
    if amount_idr > locked.cash_held_idr:
        raise ValidationFailed(
            _("The deposit is more than the cash the agent holds."),
            fields={"amount_idr": [_("At most the cash held.")]},
        )
    entry, created = journal_post(
        actor=actor,
        kind="agent_cash_deposit",
        reference=f"{agent.code}:{reference}",
        lines=[
            Line(clearing_account(channel), debit_idr=amount_idr),
            Line(agent_cash_account(agent), credit_idr=amount_idr),
        ],
        memo=f"cash deposited by agent {agent.code} via {channel}",
    )
    if created:
        Agent.objects.filter(pk=agent.pk).update(cash_held_idr=F("cash_held_idr") - amount_idr)
        audit_record(
            actor=actor,
            action="agents.cash_deposited",
            subject=agent,
            after={"amount_idr": amount_idr, "channel": channel, "reference": reference},
        )
    return entry.pk
