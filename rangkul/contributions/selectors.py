"""Reads: the rule version for a month or a day, benefits, ledger balances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from rangkul.contributions.errors import NoRulesForMonth
from rangkul.contributions.models import JournalLine, RuleSet
from rangkul.contributions.rules import RuleBook, rulebook_from_row
from rangkul.core.periods import Period


def rulesets_covering(day: dt.date) -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
    ).order_by("-effective_from")


def rulebook_for(period: Period) -> RuleBook:
    """The rule version effective for a contribution month (the latest one that covers it)."""
    ruleset = rulesets_covering(period.first_day).first()
    if ruleset is None:
        raise NoRulesForMonth(
            _("There are no contribution rules for %(month)s.") % {"month": str(period)},
            fields={"month": [_("No contribution rules cover this month.")]},
        )
    return rulebook_from_row(ruleset)


def rules_for_memo() -> Callable[[Period], RuleBook]:
    """A ``rulebook_for`` that remembers each month's answer (for loops over many months)."""
    memo: dict[Period, RuleBook] = {}

    def rules_for(period: Period) -> RuleBook:
        if period not in memo:
            memo[period] = rulebook_for(period)
        return memo[period]

    return rules_for


def ledger_totals() -> dict[str, int]:
    """Total debits and credits over the whole ledger: equal, always."""
    totals = JournalLine.objects.aggregate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
    return {"debit_idr": int(totals["debit"] or 0), "credit_idr": int(totals["credit"] or 0)}


def account_balance(*, code: str, worker_id: int | None = None) -> int:
    """Debits minus credits on one account (optionally one member's lines)."""
    lines = JournalLine.objects.filter(account__code=code)
    if worker_id is not None:
        lines = lines.filter(**{"worker_id": worker_id})
    totals = lines.aggregate(debit=Sum("debit_idr"), credit=Sum("credit_idr"))
    return int(totals["debit"] or 0) - int(totals["credit"] or 0)
