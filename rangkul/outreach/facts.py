"""The amounts outreach prints and publishes, read from the contribution rules in force.

Flyers and education pages never hold an amount of their own: each is taken here, from the
dated rule tables (contribution rates, income levels, benefit rules) and the simulator's quote,
at the moment the flyer is printed or the page is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from rangkul.contributions.benefits import BenefitText, headline_benefits
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.errors import ApplicationError
from rangkul.core.money import round_idr
from rangkul.core.periods import Period


@dataclass(frozen=True)
class Facts:
    month: Period
    lowest_income_idr: int
    # JKK and JKM at the lowest income level: what most informal workers pay.
    price_idr: int
    # The same with JHT (old-age savings).
    price_with_jht_idr: int
    benefits: list[tuple[str, list[BenefitText]]]
    # Named amounts in rupiah for education pages' placeholders ({{ death }}, {{ price }}, …).
    amounts: dict[str, int]

    def benefit(self, code: str) -> str:
        """A benefit's sentence by its rule code (e.g. ``jkm_death``), or empty."""
        for _title, texts in self.benefits:
            for text in texts:
                if text.code == code:
                    return text.text
        return ""


def facts_current(*, today: dt.date | None = None) -> Facts | None:
    """The facts of the month in force, or None when no rule set covers it."""
    month = Period.of(today or timezone.localdate())
    try:
        rules = rulebook_for(month)
        quote = contribution_quote(
            declared_income_idr=rules.lowest_income_idr, jht=True, sector="non_transport", month=month
        )
    except ApplicationError:
        return None
    without_jht = sum(line.amount_idr for line in quote.lines if line.program != "JHT")
    amounts = {
        "price": without_jht,
        "price_jht": quote.total_idr,
        "price_year": without_jht * 12,
        "lowest_income": rules.lowest_income_idr,
    }
    for spec in rules.benefits:
        values = spec.values
        if spec.code == "death":
            amounts |= {"death": int(values["amount_idr"]), "funeral": int(values["funeral_idr"])}
        elif spec.code == "accident_death":
            amounts["accident_death"] = round_idr(
                Decimal(rules.lowest_income_idr) * Decimal(str(values["income_multiple"]))
            )
        elif spec.code == "scholarship":
            amounts["scholarship"] = int(values["amount_idr"])
    return Facts(
        month=month,
        lowest_income_idr=rules.lowest_income_idr,
        price_idr=without_jht,
        price_with_jht_idr=quote.total_idr,
        benefits=headline_benefits(rules=rules, quote=quote),
        amounts=amounts,
    )
