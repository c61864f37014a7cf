"""Price a sponsored member-month: the sponsor's programs, at the payer's price.

The payer kind is passed to the contribution rule book as ``sponsor_kind``: the rule
tables decide which payers lose a discount (PP 50/2025 excludes state and regional
budgets), so no rule is repeated here.
"""

from __future__ import annotations

from collections.abc import Iterable

from rangkul.contributions.quotes import price_month
from rangkul.contributions.schedule import RulesFor
from rangkul.core.periods import Period
from rangkul.registry.models import Worker


def member_programs(worker: Worker) -> tuple[str, ...]:
    return tuple(worker.programs)


def sponsored_programs(*, sponsor_programs: Iterable[str], worker: Worker) -> tuple[str, ...]:
    """The member's programs the sponsor pays (a sponsor paying JHT pays it only for members who have it)."""
    paid = set(sponsor_programs)
    return tuple(p for p in member_programs(worker) if p in paid)


def sponsored_month_idr(
    *, worker: Worker, period: Period, programs: Iterable[str], payer_kind: str, rules_for: RulesFor
) -> int:
    quote = price_month(
        rules=rules_for(period),
        declared_income_idr=worker.declared_income_idr,
        programs=member_programs(worker),
        sector=worker.occupation.sector,
        period=period,
        sponsor_kind=payer_kind,
    )
    paid = set(programs)
    return sum(line.amount_idr for line in quote.lines if line.program in paid)
