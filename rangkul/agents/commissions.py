"""Monthly commissions as a ledger: rates from the dated rule table, one entry per agent and month.

Per agent and month (collections by the time the cash was taken, in local time):

* collection commission: the rule's rate of each collection, rounded half up to the rupiah per
  collection (so a reversed collection takes back exactly what it earned); the first payment an
  agent collects for a member the agent registered earns none when the rule deducts it;
* acquisition bonus: the bonus for each full block of new members the agent registered that month;
* clawback: what reversed collections earned in earlier statements, taken back once;
* split: the agent's share of (commission + bonus − clawback) rounded half up, the host
  organisation the rest.

The entry debits the ``agent_commissions`` expense and credits ``payable:agent:<code>`` and
``payable:organisation:<code>``: what is owed until paid out (a clawback reverses the direction).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent, Collection, CommissionRule, CommissionStatement
from rangkul.agents.selectors import agent_portfolio
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.ledger import Line, journal_post
from rangkul.core.errors import NotFound, ValidationFailed
from rangkul.core.money import apply_rate
from rangkul.core.periods import Period
from rangkul.payments.selectors import payments_reversed_among
from rangkul.registry.models import Channel as RegistrationChannel

logger = logging.getLogger("rangkul.agents")

EXPENSE_ACCOUNT = "agent_commissions"


def agent_payable_account(agent: Agent) -> str:
    return f"payable:agent:{agent.code}"


def organisation_payable_account(agent: Agent) -> str:
    return f"payable:organisation:{agent.organisation.code}"


def commission_rule_for(period: Period) -> CommissionRule:
    rule = CommissionRule.objects.filter(effective_from__lte=period.last_day).order_by("-effective_from").first()
    if rule is None:
        raise NotFound(_("No commission rules are in force for this month."), code=AgentErrorCode.NO_COMMISSION_RULES)
    return rule


@dataclass
class RunSummary:
    month: str
    statements: int = 0
    already: int = 0
    collection_commission_idr: int = 0
    bonus_idr: int = 0
    clawback_idr: int = 0
    agent_idr: int = 0
    organisation_idr: int = 0
    rows: list[CommissionStatement] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "month": self.month,
            "statements": self.statements,
            "already": self.already,
            "collection_commission_idr": self.collection_commission_idr,
            "bonus_idr": self.bonus_idr,
            "clawback_idr": self.clawback_idr,
            "agent_idr": self.agent_idr,
            "organisation_idr": self.organisation_idr,
        }


def commissions_run(*, month: str) -> RunSummary:
    """Compute and post every agent's statement for a month that has ended; a month run again
    keeps its statements (one per agent and month, by the database's unique constraint)."""
    try:
        period = Period.parse(month)
    except (ValueError, TypeError):
        raise ValidationFailed(
            _("Enter the month as YYYY-MM."), fields={"month": [_("Enter the month as YYYY-MM.")]}
        ) from None
    current = Period.of(timezone.localdate())
    if period >= current:
        raise ValidationFailed(
            _("Commissions for a month are computed after it ends."), fields={"month": [_("Choose a past month.")]}
        )
    rule = commission_rule_for(period)
    summary = RunSummary(month=str(period))
    for agent in Agent.objects.select_related("organisation").order_by("code"):
        statement = _statement_post(agent=agent, period=period, rule=rule)
        if statement is None:
            summary.already += 1
            continue
        if not statement.pk:
            continue  # nothing happened this month
        summary.statements += 1
        summary.rows.append(statement)
        summary.collection_commission_idr += statement.collection_commission_idr
        summary.bonus_idr += statement.bonus_idr
        summary.clawback_idr += statement.clawback_idr
        summary.agent_idr += statement.agent_idr
        summary.organisation_idr += statement.organisation_idr
    return summary


@transaction.atomic
def _statement_post(*, agent: Agent, period: Period, rule: CommissionRule) -> CommissionStatement | None:
    """The agent's statement for the month; None when it was posted before; unsaved when empty."""
    Agent.objects.select_for_update().filter(pk=agent.pk).first()
    if CommissionStatement.objects.filter(agent=agent, month=str(period)).exists():
        return None
    in_month = {"collected_at__date__gte": period.first_day, "collected_at__date__lte": period.last_day}
    earlier = Collection.objects.filter(worker_id=OuterRef("worker_id"), collected_at__lt=OuterRef("collected_at"))
    collections = list(
        agent.collections.filter(**in_month)
        .select_related("worker")
        .annotate(has_earlier=Exists(earlier))
        .order_by("collected_at", "pk")
    )
    reversed_now = payments_reversed_among(payment_ids=[c.payment_id for c in collections])
    collected = first_payments = commission = 0
    for collection in collections:
        if collection.payment_id in reversed_now:
            continue  # reversed before the run: never earned anything
        collected += collection.amount_idr
        first = (
            rule.first_payment_deducted
            and not collection.has_earlier
            and (collection.worker.registered_by_id == agent.user_id)
        )
        earned = 0 if first else apply_rate(collection.amount_idr, rule.collection_rate)
        if first:
            first_payments += collection.amount_idr
        commission += earned
        collection.commission_month = str(period)
        collection.commission_idr = earned
    new_members = (
        agent_portfolio(agent=agent)
        .filter(
            channel=RegistrationChannel.AGENT,
            registered_at__date__gte=period.first_day,
            registered_at__date__lte=period.last_day,
        )
        .count()
    )
    bonus = (new_members // rule.acquisition_bonus_members) * rule.acquisition_bonus_idr
    # Collections commissioned in an earlier statement and reversed since: take back what they earned.
    commissioned = list(agent.collections.exclude(commission_month="").filter(clawed_back_in="", commission_idr__gt=0))
    reversed_since = payments_reversed_among(payment_ids=[c.payment_id for c in commissioned])
    clawed = [c for c in commissioned if c.payment_id in reversed_since]
    clawback = sum(c.commission_idr for c in clawed)
    gross = commission + bonus
    if not collections and not new_members and not clawed:
        return CommissionStatement(agent=agent, month=str(period))
    agent_part = (
        apply_rate(gross - clawback, rule.agent_share)
        if gross >= clawback
        else -apply_rate(clawback - gross, rule.agent_share)
    )
    organisation_part = gross - clawback - agent_part
    statement = CommissionStatement.objects.create(
        agent=agent,
        month=str(period),
        rule=rule,
        collected_idr=collected,
        first_payments_idr=first_payments,
        collection_commission_idr=commission,
        new_members=new_members,
        bonus_idr=bonus,
        clawback_idr=clawback,
        agent_idr=agent_part,
        organisation_idr=organisation_part,
    )
    lines = [
        Line(EXPENSE_ACCOUNT, debit_idr=gross) if gross else None,
        Line(EXPENSE_ACCOUNT, credit_idr=clawback) if clawback else None,
        _payable_line(agent_payable_account(agent), agent_part),
        _payable_line(organisation_payable_account(agent), organisation_part),
    ]
    posted = [line for line in lines if line is not None]
    if len(posted) >= 2:
        entry, _created = journal_post(
            actor=Actor.system("system"),
            kind="agent_commission",
            reference=f"{agent.code}:{period}",
            lines=posted,
            memo=f"commission {period} for agent {agent.code} ({rule.version})",
        )
        statement.entry_id = entry.pk
        statement.save(update_fields=["entry_id"])
    for collection in collections:
        if collection.commission_month == str(period):
            Collection.objects.filter(pk=collection.pk).update(
                commission_month=collection.commission_month, commission_idr=collection.commission_idr
            )
    Collection.objects.filter(pk__in=[c.pk for c in clawed]).update(clawed_back_in=str(period))
    audit_record(
        actor=Actor.system("system"),
        action="agents.commission_posted",
        subject=agent,
        after={
            "month": str(period),
            "rule": rule.version,
            "commission_idr": commission,
            "bonus_idr": bonus,
            "clawback_idr": clawback,
            "agent_idr": agent_part,
            "organisation_idr": organisation_part,
        },
    )
    return statement


def _payable_line(account: str, amount: int) -> Line | None:
    if amount > 0:
        return Line(account, credit_idr=amount)
    if amount < 0:
        return Line(account, debit_idr=-amount)
    return None


STATEMENT_COLUMNS = [
    "month",
    "agent_code",
    "organisation",
    "collected_idr",
    "first_payments_idr",
    "collection_commission_idr",
    "new_members",
    "bonus_idr",
    "clawback_idr",
    "agent_idr",
    "organisation_idr",
]


def statements_csv(*, month: str, organisation_code: str = "") -> str:
    """The month's statements, one row per agent (optionally one host organisation's agents)."""
    rows = CommissionStatement.objects.filter(month=month).select_related("agent__organisation").order_by("agent__code")
    if organisation_code:
        rows = rows.filter(agent__organisation__code=organisation_code.strip().lower())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    for s in rows:
        writer.writerow(
            [
                s.month,
                s.agent.code,
                s.agent.organisation.code,
                s.collected_idr,
                s.first_payments_idr,
                s.collection_commission_idr,
                s.new_members,
                s.bonus_idr,
                s.clawback_idr,
                s.agent_idr,
                s.organisation_idr,
            ]
        )
    return out.getvalue()
