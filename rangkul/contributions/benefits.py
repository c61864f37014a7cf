"""Headline benefits for the simulator, worded for a worker; every figure comes from the rule file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from rangkul.contributions.quotes import Quote
from rangkul.contributions.rules import BenefitSpec, RuleBook
from rangkul.core.money import apply_rate, format_rupiah


def program_title(code: str) -> str:
    titles = {
        "JKK": _("Work accident (JKK)"),
        "JKM": _("Death (JKM)"),
        "JHT": _("Old-age savings (JHT)"),
    }
    return titles.get(code, code)


@dataclass(frozen=True)
class BenefitText:
    program: str
    code: str
    text: str


def _multiple(spec: BenefitSpec, income_idr: int) -> int:
    return apply_rate(income_idr, Decimal(str(spec.values["income_multiple"])))


def _describe(spec: BenefitSpec, *, income_idr: int, quote: Quote | None) -> str | None:
    v = spec.values
    if spec.code == "medical_care":
        return _("Medical care for a work accident as your condition needs, with no cost ceiling.")
    if spec.code == "temporary_disability":
        first = apply_rate(income_idr, Decimal(v["first_percent"]) / 100)
        return _(
            "While you cannot work: %(first_percent)s%% of your declared income (%(first_amount)s a month) "
            "for the first %(first_months)s months, then %(after_percent)s%% until you recover."
        ) % {
            "first_percent": v["first_percent"],
            "first_amount": format_rupiah(first),
            "first_months": v["first_months"],
            "after_percent": v["after_percent"],
        }
    if spec.code == "accident_death":
        return _("Death from a work accident: %(multiple)s × your declared income, %(amount)s for your heirs.") % {
            "multiple": v["income_multiple"],
            "amount": format_rupiah(_multiple(spec, income_idr)),
        }
    if spec.code == "permanent_disability":
        return _("Total permanent disability: up to %(multiple)s × your declared income, %(amount)s.") % {
            "multiple": v["income_multiple"],
            "amount": format_rupiah(_multiple(spec, income_idr)),
        }
    if spec.code == "death":
        return _(
            "Death not from work: %(amount)s for your heirs (%(lump_sum)s at once, %(periodic)s periodic "
            "benefit and %(funeral)s for the funeral)."
        ) % {
            "amount": format_rupiah(v["amount_idr"]),
            "lump_sum": format_rupiah(v["lump_sum_idr"]),
            "periodic": format_rupiah(v["periodic_idr"]),
            "funeral": format_rupiah(v["funeral_idr"]),
        }
    if spec.code == "scholarship":
        return _(
            "Scholarships for up to %(children)s children, up to %(amount)s in total (for a death not from work, "
            "after %(years)s years of contributions)."
        ) % {
            "children": v["children"],
            "amount": format_rupiah(v["amount_idr"]),
            "years": v["min_contribution_years"],
        }
    if spec.code == "savings":
        monthly = next((line.amount_idr for line in quote.lines if line.program == "JHT"), 0) if quote else 0
        return _(
            "Your own savings: %(monthly)s a month, %(yearly)s a year plus the yearly return, paid out at "
            "age %(age)s, when you stop working, or to your heirs."
        ) % {"monthly": format_rupiah(monthly), "yearly": format_rupiah(monthly * 12), "age": v["payout_age"]}
    return None


def headline_benefits(*, rules: RuleBook, quote: Quote) -> list[tuple[str, list[BenefitText]]]:
    """``[(program title, [benefit texts])]`` for the programs in the quote, in rule-file order."""
    grouped: dict[str, list[BenefitText]] = {}
    for spec in rules.benefits:
        if spec.program not in quote.programs:
            continue
        text = _describe(spec, income_idr=quote.income_level_idr, quote=quote)
        if text:
            grouped.setdefault(spec.program, []).append(BenefitText(spec.program, spec.code, text))
    return [(program_title(p), texts) for p, texts in grouped.items()]
