"""Reads: agents, their cash held, their portfolio and their day's work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.agents.models import Agent, Collection, SyncOperation
from rangkul.contributions.ledger import clearing_account
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.rules import rules_for_memo
from rangkul.contributions.schedule import payable_periods
from rangkul.contributions.selectors import account_balance, member_credit_idr, paid_months
from rangkul.core.errors import NotFound, ValidationFailed
from rangkul.core.periods import Period
from rangkul.registry.models import Worker


def agent_for_user(user: Any) -> Agent | None:
    if not getattr(user, "is_authenticated", False) and not getattr(user, "pk", None):
        return None
    return Agent.objects.select_related("organisation", "branch", "user").filter(user_id=user.pk).first()


def agent_for_api_key(api_key: Any) -> Agent | None:
    if api_key is None or not getattr(api_key, "user_id", None):
        return None
    return Agent.objects.select_related("organisation", "branch", "user").filter(user_id=api_key.user_id).first()


def agent_get(*, code: str) -> Agent:
    agent = Agent.objects.select_related("organisation", "user").filter(code=(code or "").strip().upper()).first()
    if agent is None:
        raise NotFound(_("No agent with this code."))
    return agent


def agent_cash_held_idr(*, agent: Agent) -> int:
    return account_balance(code=clearing_account(f"agent:{agent.code}"))


def agent_portfolio(*, agent: Agent) -> QuerySet[Worker]:
    """The members the agent registered: the only ones the agent may see."""
    return Worker.objects.select_related("village", "occupation").filter(registered_by_id=agent.user_id)


def agent_portfolio_get(*, agent: Agent, membership_number: str) -> Worker:
    worker = agent_portfolio(agent=agent).filter(membership_number=(membership_number or "").strip()).first()
    if worker is None:
        raise NotFound(_("Member not found in your portfolio."), code="not_in_portfolio")
    return worker


def agent_collections_today(*, agent: Agent) -> QuerySet[Collection]:
    today = timezone.localdate()
    return agent.collections.filter(collected_at__date=today).select_related("worker")


def agent_operations_today(*, agent: Agent) -> QuerySet[SyncOperation]:
    return agent.operations.filter(received_at__date=timezone.localdate()).order_by("-received_at")


@dataclass(frozen=True)
class CollectionQuote:
    periods: list[Period]
    total_idr: int
    credit_idr: int

    @property
    def amount_idr(self) -> int:
        """Cash to take: the months' price less the member's credit (the allocation uses both)."""
        return self.total_idr - self.credit_idr


def collection_quote(*, worker: Worker, months: int, today: dt.date | None = None) -> CollectionQuote:
    """What the next ``months`` payable months cost the member now (arrears first)."""
    today = today or timezone.localdate()
    rules_for = rules_for_memo()
    periods = payable_periods(
        registered_on=timezone.localdate(worker.registered_at),
        paid=paid_months(worker_id=worker.pk),
        today=today,
        rules_for=rules_for,
        months=months,
    )
    if len(periods) < months:
        raise ValidationFailed(
            _("Only %(count)s more months can be paid now.") % {"count": len(periods)},
            fields={"months": [_("Choose fewer months.")]},
        )
    total = sum(
        contribution_quote(
            declared_income_idr=worker.declared_income_idr, jht=worker.jht, sector=worker.occupation.sector, month=p
        ).total_idr
        for p in periods
    )
    credit = min(member_credit_idr(worker_id=worker.pk), total)
    return CollectionQuote(periods=periods, total_idr=total, credit_idr=credit)


def agent_collection_by_receipt(*, agent: Agent, number: str) -> Collection:
    collection = agent.collections.select_related("worker").filter(receipt_number=(number or "").strip()).first()
    if collection is None:
        raise NotFound(_("No receipt with this number among your collections."))
    return collection
