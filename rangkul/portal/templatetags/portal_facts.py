"""Figures the public pages quote, read from the contribution rules in force (never typed into a template)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.errors import ApplicationError
from rangkul.core.periods import Period

register = template.Library()


@register.simple_tag
def headline_figures() -> dict[str, Any]:
    """``{"from_idr", "death_idr"}``: the cheapest monthly price (JKK + JKM at the lowest income level)
    and the JKM death benefit; empty when no rule version covers this month."""
    current = Period.of(timezone.localdate())
    try:
        rules = rulebook_for(current)
        quote = contribution_quote(
            declared_income_idr=rules.lowest_income_idr, jht=False, sector="non_transport", month=current
        )
    except ApplicationError:
        return {}
    death = next((b for b in rules.benefits if b.program == "JKM" and b.code == "death"), None)
    return {"from_idr": quote.total_idr, "death_idr": death.values.get("amount_idr") if death else None}
