"""Reads: agents, their cash held, their portfolio and their day's work."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.agents.models import Agent, Collection, SyncOperation
from rangkul.contributions.ledger import clearing_account
from rangkul.contributions.selectors import account_balance
from rangkul.core.errors import NotFound
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
