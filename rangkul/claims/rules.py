"""The claims' benefit tables: dated rule files joined with the contribution rule book.

A claim reads two kinds of rule data for the day of its event:

- the headline figures (``[[benefits]]`` of the contribution rule version covering the
  event's month): multiples of declared income, the JKM amounts, scholarship totals;
- the claims' own tables (``rules/*.toml`` here): JKK death funeral and periodic parts,
  the partial-disability table, scholarship levels, the JHT estimate rate, the NPWP threshold.

The JHT return the agency declares for each year is not here but in the database, loaded
with its citation by ``manage.py load_jht_rates`` (rangkul/claims/jht_rates.py).

Both are versioned data with an effective date; nothing here is a constant of regulation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimErrorCode
from rangkul.contributions.rules import BenefitSpec, RuleBook, rulebook_for
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period

RULES_DIR = Path(__file__).resolve().parent / "rules"


class ClaimRulesMissing(ValidationFailed):
    default_code = ClaimErrorCode.NO_CLAIM_RULES


@dataclass(frozen=True)
class ScholarshipLevel:
    level: str
    amount_idr: int
    years: int


@dataclass(frozen=True)
class ClaimTables:
    """One version of the claims' own tables (one rule file)."""

    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    citation: str
    jkk_death_funeral_idr: int
    jkk_death_periodic_instalments: int
    jkk_death_periodic_instalment_idr: int
    jkk_death_citation: str
    jkm_periodic_instalments: int
    jkm_citation: str
    partial_disability: dict[str, Decimal]
    disability_citation: str
    scholarship_end_age: int
    scholarship_school_year_month: int
    scholarship_levels: tuple[ScholarshipLevel, ...]
    scholarship_citation: str
    jht_estimate_rate: Decimal
    jht_partial_min_years: int
    jht_partial_percent: int
    jht_partial_housing_percent: int
    jht_citation: str
    npwp_required_above_idr: int
    payout_citation: str
    documents: dict[str, tuple[str, ...]]

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def documents_required(self, *, event: str, relationship: str) -> tuple[str, ...]:
        extra = self.documents.get("spouse_extra", ()) if relationship == "spouse" else ()
        return (*self.documents.get(event, ()), *extra)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ClaimRulesMissing(_("Claim rule file %(where)s has an invalid number.") % {"where": where}) from exc


def parse_claim_rules(path: Path) -> ClaimTables:
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        death, jkm, disability = data["jkk_death"], data["jkm_death"], data["disability"]
        scholarship, jht, payout = data["scholarship"], data["jht"], data["payout"]
        return ClaimTables(
            version=str(data["version"]),
            effective_from=data["effective_from"],
            effective_to=data.get("effective_to"),
            citation=str(data["citation"]),
            jkk_death_funeral_idr=int(death["funeral_idr"]),
            jkk_death_periodic_instalments=int(death["periodic_instalments"]),
            jkk_death_periodic_instalment_idr=int(death["periodic_instalment_idr"]),
            jkk_death_citation=str(death["citation"]),
            jkm_periodic_instalments=int(jkm["periodic_instalments"]),
            jkm_citation=str(jkm["citation"]),
            partial_disability={str(row["code"]): _decimal(row["percent"], name) for row in disability["partial"]},
            disability_citation=str(disability["citation"]),
            scholarship_end_age=int(scholarship["end_age"]),
            scholarship_school_year_month=int(scholarship["school_year_starts_month"]),
            scholarship_levels=tuple(
                ScholarshipLevel(str(row["level"]), int(row["amount_idr"]), int(row["years"]))
                for row in scholarship["levels"]
            ),
            scholarship_citation=str(scholarship["citation"]),
            jht_estimate_rate=_decimal(jht["estimate_rate"], name),
            jht_partial_min_years=int(jht["partial_min_years"]),
            jht_partial_percent=int(jht["partial_percent"]),
            jht_partial_housing_percent=int(jht["partial_housing_percent"]),
            jht_citation=str(jht["citation"]),
            npwp_required_above_idr=int(payout["npwp_required_above_idr"]),
            payout_citation=str(payout["citation"]),
            documents={
                str(key): tuple(str(kind) for kind in value)
                for key, value in data["documents"].items()
                if isinstance(value, list)
            },
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ClaimRulesMissing(_("Claim rule file %(where)s cannot be read.") % {"where": name}) from exc


@cache
def claim_tables_all(directory: Path = RULES_DIR) -> tuple[ClaimTables, ...]:
    """Every version, latest first (files are read once per process)."""
    tables = [parse_claim_rules(p) for p in sorted(directory.glob("*.toml"))]
    return tuple(sorted(tables, key=lambda t: t.effective_from, reverse=True))


def claim_tables_for(day: dt.date) -> ClaimTables:
    for tables in claim_tables_all():
        if tables.covers(day):
            return tables
    raise ClaimRulesMissing(
        _("There are no claim rules for events on %(day)s.") % {"day": day.isoformat()},
        fields={"event_date": [_("No claim rules cover this date.")]},
    )


@dataclass(frozen=True)
class ClaimRules:
    """Everything a benefit calculation reads for one event date."""

    book: RuleBook
    tables: ClaimTables

    @property
    def version(self) -> str:
        return f"{self.book.version}+{self.tables.version}"

    def headline(self, program: str, code: str) -> BenefitSpec:
        for spec in self.book.benefits:
            if spec.program == program and spec.code == code:
                return spec
        raise ClaimRulesMissing(
            _("The contribution rules %(version)s lack the benefit %(code)s.")
            % {"version": self.book.version, "code": f"{program}:{code}"}
        )


def claim_rules_for(day: dt.date) -> ClaimRules:
    """The rules for an event on ``day``: the contribution version of its month and the claim tables."""
    return ClaimRules(book=rulebook_for(Period.of(day)), tables=claim_tables_for(day))
