"""Reads: agents, their cash held, their portfolio and their day's work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent, Collection, SyncOperation
from rangkul.contributions.ledger import clearing_account
from rangkul.contributions.models import JournalLine, MemberStatus
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.rules import rules_for_memo
from rangkul.contributions.schedule import payable_periods
from rangkul.contributions.selectors import account_balance, member_credit_idr, month_total_idr, paid_months
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
    """The cash the agent holds: the running balance on the agent's row, read fresh."""
    return int(Agent.objects.filter(pk=agent.pk).values_list("cash_held_idr", flat=True).first() or 0)


def agent_cash_ledger_idr(*, agent: Agent) -> int:
    """The same from the ledger: the balance of the agent's account over its whole history."""
    return account_balance(code=clearing_account(f"agent:{agent.code}"))


@dataclass(frozen=True)
class CashMismatch:
    agent_code: str
    held_idr: int
    ledger_idr: int


def agents_cash_mismatched() -> list[CashMismatch]:
    """Agents whose running cash balance differs from their ledger account (none, always)."""
    prefix = clearing_account("agent:")
    ledger = {
        code.removeprefix(prefix): int(debit or 0) - int(credit or 0)
        for code, debit, credit in JournalLine.objects.filter(account__code__startswith=prefix)
        .values("account__code")
        .annotate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
        .values_list("account__code", "debit", "credit")
    }
    return [
        CashMismatch(agent_code=code, held_idr=held, ledger_idr=ledger.get(code, 0))
        for code, held in Agent.objects.order_by("code").values_list("code", "cash_held_idr")
        if held != ledger.get(code, 0)
    ]


def agent_portfolio(*, agent: Agent) -> QuerySet[Worker]:
    """The members the agent registered: the only ones the agent may see."""
    return Worker.objects.select_related("village", "occupation").filter(registered_by_id=agent.user_id)


def agent_portfolio_get(*, agent: Agent, membership_number: str) -> Worker:
    worker = agent_portfolio(agent=agent).filter(membership_number=(membership_number or "").strip()).first()
    if worker is None:
        raise NotFound(_("Member not found in your portfolio."), code=AgentErrorCode.NOT_IN_PORTFOLIO)
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


PORTFOLIO_SNAPSHOT_LIMIT = 5_000


def agent_portfolio_snapshot(*, agent: Agent, today: dt.date | None = None) -> dict[str, Any]:
    """What the phone keeps (sealed) to look members up and collect for them without a connection:
    number, name, masked NIK, village, status, paid-through month and this month's rate-card price.
    Nothing more: no NIK, no phone number, no address."""
    today = today or timezone.localdate()
    current = Period.of(today)
    workers = list(agent_portfolio(agent=agent).order_by("full_name", "pk")[:PORTFOLIO_SNAPSHOT_LIMIT])
    statuses = {
        s.worker_id: s
        for s in MemberStatus.objects.filter(worker_id__in=[w.pk for w in workers]).only(
            "worker_id", "status", "paid_through"
        )
    }
    prices: dict[tuple[int, bool, str, Period], int | None] = {}

    def price(key: tuple[int, bool, str], period: Period) -> int:
        if (*key, period) not in prices:
            prices[(*key, period)] = month_total_idr(
                declared_income_idr=key[0], jht=key[1], sector=key[2], period=period
            )
        return prices[(*key, period)] or 0

    members = []
    for worker in workers:
        key = (worker.declared_income_idr, worker.jht, worker.occupation.sector)
        status = statuses.get(worker.pk)
        paid_through = status.paid_through if status else None
        first = max(current, paid_through + 1) if paid_through else current
        # The rate card: what 1, 2, … 12 months cost from the first unpaid month (arrears and the
        # member's credit are settled by the server when the collection is sent).
        rate_card, total = [], 0
        for i in range(12):
            total += price(key, first + i)
            rate_card.append(total)
        members.append(
            {
                "membership_number": worker.membership_number,
                "full_name": worker.full_name,
                "nik_masked": worker.nik_masked,
                "village": worker.village.name,
                "status": status.status if status else "registered",
                "paid_through": str(paid_through) if paid_through else "",
                "next_month": str(paid_through + 1) if paid_through else "",
                "rate_card_idr": rate_card if total else [],
            }
        )
    return {"agent": agent.code, "as_of": timezone.now().isoformat(), "month": str(current), "members": members}
