"""What a member owes for one contribution month, per program, discounts included.

Rounding: each line's gross amount and its discount are rounded once to whole
rupiah (``round_idr``, half up); the line's amount is gross minus discount and
the total is the sum of the lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from rangkul.contributions.errors import IncomeBelowMinimum, ProgramNotAvailable, UnknownSector
from rangkul.contributions.rules import SECTORS, RuleBook, rulebook_for
from rangkul.core.money import apply_rate, format_rupiah
from rangkul.core.periods import Period
from rangkul.registry.models import programs_for

PROGRAM_ORDER = tuple(programs_for(jht=True))


@dataclass(frozen=True)
class QuoteLine:
    program: str
    amount_idr: int  # payable, after the discount
    discount_idr: int
    gross_idr: int
    discount_code: str = ""


@dataclass(frozen=True)
class Quote:
    period: Period
    rule_version: str
    declared_income_idr: int
    income_level_idr: int
    sector: str
    sponsor_kind: str | None
    lines: tuple[QuoteLine, ...]

    @property
    def total_idr(self) -> int:
        return sum(line.amount_idr for line in self.lines)

    @property
    def discount_idr(self) -> int:
        return sum(line.discount_idr for line in self.lines)

    @property
    def gross_idr(self) -> int:
        return sum(line.gross_idr for line in self.lines)

    @property
    def programs(self) -> tuple[str, ...]:
        return tuple(line.program for line in self.lines)


def resolve_programs(*, rules: RuleBook, programs: Iterable[str] | None, jht: bool | None) -> list[str]:
    """The programs to price: the mandatory ones always, JHT when asked; JP/JKP refused."""
    wanted = {p.strip().upper() for p in programs or ()}
    if jht:
        wanted.add("JHT")
    refused = sorted(p for p in wanted if p not in rules.programs or not rules.programs[p].available)
    if refused:
        raise ProgramNotAvailable(
            _("%(programs)s cannot be chosen by workers outside a wage relationship (BPU).")
            % {"programs": ", ".join(refused)},
            fields={"programs": [_("Only JKK, JKM and JHT are available.")]},
        )
    wanted |= {code for code, spec in rules.programs.items() if spec.mandatory and spec.available}
    order = {code: i for i, code in enumerate(PROGRAM_ORDER)}
    return sorted(wanted, key=lambda code: (order.get(code, len(order)), code))


def price_month(
    *,
    rules: RuleBook,
    declared_income_idr: int,
    programs: Iterable[str] | None = None,
    jht: bool | None = None,
    sector: str,
    period: Period,
    sponsor_kind: str | None = None,
) -> Quote:
    """Pure pricing of one month under one rule version."""
    if sector not in SECTORS:
        raise UnknownSector(
            _("The sector must be transport or non-transport."),
            fields={"sector": [_("Choose transport or non-transport.")]},
        )
    level = rules.level_for(declared_income_idr)
    if level is None:
        raise IncomeBelowMinimum(
            _("The declared income must be at least %(minimum)s a month.")
            % {"minimum": format_rupiah(rules.lowest_income_idr)},
            fields={"declared_income_idr": [_("Below the lowest income level.")]},
        )
    level_income_idr, jkk_idr = level
    lines = []
    for code in resolve_programs(rules=rules, programs=programs, jht=jht):
        spec = rules.programs[code]
        if spec.basis == "income_level":
            gross = jkk_idr
        elif spec.basis == "flat":
            gross = int(spec.flat_idr or 0)
        elif spec.basis == "rate":
            gross = apply_rate(level_income_idr, spec.rate or Decimal(0))
        else:  # pragma: no cover - "none" programs are refused by resolve_programs
            continue
        rule = rules.discount_for(program=code, sector=sector, period=period, sponsor_kind=sponsor_kind)
        discount = rule.amount_on(gross) if rule else 0
        discount_code = rule.code if rule else ""
        lines.append(QuoteLine(code, gross - discount, discount, gross, discount_code))
    return Quote(
        period=period,
        rule_version=rules.version,
        declared_income_idr=declared_income_idr,
        income_level_idr=level_income_idr,
        sector=sector,
        sponsor_kind=sponsor_kind,
        lines=tuple(lines),
    )


def contribution_quote(
    *,
    declared_income_idr: int,
    programs: Iterable[str] | None = None,
    jht: bool | None = None,
    sector: str,
    month: Period,
    sponsor_kind: str | None = None,
) -> Quote:
    """Price one contribution month with the rule version effective for that month.

    JKK and JKM are always included (mandatory for BPU); pass ``jht=True`` or
    ``programs={"JHT"}`` for old-age savings. Raises ``NoRulesForMonth``,
    ``IncomeBelowMinimum``, ``ProgramNotAvailable`` (JP, JKP) or ``UnknownSector``.
    """
    return price_month(
        rules=rulebook_for(month),
        declared_income_idr=declared_income_idr,
        programs=programs,
        jht=jht,
        sector=sector,
        period=month,
        sponsor_kind=sponsor_kind,
    )
