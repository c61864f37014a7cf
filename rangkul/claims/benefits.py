"""The benefit calculator: pure functions from rules and facts to lines of rupiah.

Every line names its benefit, its amount (rounded once, half up) and the regulation it
comes from; the claim stores the lines as calculated, with the rule versions used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimErrorCode
from rangkul.claims.rules import ClaimRules, ClaimTables
from rangkul.core.errors import ValidationFailed
from rangkul.core.money import apply_rate, round_idr
from rangkul.core.periods import Period


class Program(StrEnum):
    JKK = "JKK"
    JKM = "JKM"
    JHT = "JHT"


class Event(StrEnum):
    DEATH = "death"
    ACCIDENT = "accident"
    DISABILITY = "disability"
    WITHDRAWAL = "withdrawal"
    SCHOLARSHIP = "scholarship"


# Which events each program pays for (DOMAIN.md "Benefits (for claims)").
PROGRAM_EVENTS: dict[Program, frozenset[Event]] = {
    Program.JKK: frozenset({Event.ACCIDENT, Event.DISABILITY, Event.DEATH, Event.SCHOLARSHIP}),
    Program.JKM: frozenset({Event.DEATH, Event.SCHOLARSHIP}),
    Program.JHT: frozenset({Event.WITHDRAWAL, Event.DEATH, Event.DISABILITY}),
}

TOTAL_DISABILITY = "total"


class BenefitInputInvalid(ValidationFailed):
    default_code = ClaimErrorCode.BENEFIT_INPUT_INVALID


@dataclass(frozen=True)
class BenefitLine:
    benefit: str
    amount_idr: int
    citation: str
    instalment: int = 1
    detail: str = ""
    # Made with a rate that is not the declared one (JHT returns): shown as an estimate, never paid.
    estimate: bool = False

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if not self.estimate:
            del values["estimate"]
        return values


@dataclass(frozen=True)
class Child:
    """A child of the member, for the scholarship: the level and year at school now."""

    name: str
    birth_date: dt.date
    level: str
    year_in_level: int = 1


def _multiple(income_idr: int, multiple: object) -> int:
    return apply_rate(income_idr, Decimal(str(multiple)))


def jkm_death_lines(rules: ClaimRules, *, funeral_only: bool = False) -> list[BenefitLine]:
    """JKM: lump sum + periodic (24 monthly amounts paid at once) + funeral; funeral only to a non-heir."""
    spec = rules.headline("JKM", "death")
    v = spec.values
    funeral = BenefitLine("jkm_funeral", int(v["funeral_idr"]), spec.citation)
    instalments = rules.tables.jkm_periodic_instalments
    if funeral_only:
        return [funeral]
    return [
        BenefitLine("jkm_lump_sum", int(v["lump_sum_idr"]), spec.citation),
        BenefitLine(
            "jkm_periodic",
            int(v["periodic_idr"]),
            rules.tables.jkm_citation,
            detail=f"{instalments} × {int(v['periodic_idr']) // instalments}",
        ),
        funeral,
    ]


def jkk_death_lines(rules: ClaimRules, *, declared_income_idr: int, funeral_only: bool = False) -> list[BenefitLine]:
    """JKK death: 48 × income, never less than the whole JKM benefit; plus funeral and periodic parts."""
    spec = rules.headline("JKK", "accident_death")
    t = rules.tables
    funeral = BenefitLine("jkk_funeral", t.jkk_death_funeral_idr, t.jkk_death_citation)
    if funeral_only:
        return [funeral]
    jkm_total = int(rules.headline("JKM", "death").values["amount_idr"])
    death = max(_multiple(declared_income_idr, spec.values["income_multiple"]), jkm_total)
    periodic = t.jkk_death_periodic_instalments * t.jkk_death_periodic_instalment_idr
    return [
        BenefitLine(
            "jkk_death", death, spec.citation, detail=f"{spec.values['income_multiple']} × {declared_income_idr}"
        ),
        BenefitLine(
            "jkk_periodic",
            periodic,
            t.jkk_death_citation,
            detail=f"{t.jkk_death_periodic_instalments} × {t.jkk_death_periodic_instalment_idr}",
        ),
        funeral,
    ]


def stmb_lines(rules: ClaimRules, *, declared_income_idr: int, months: int) -> list[BenefitLine]:
    """Temporary inability to work: the full rate for the first months, then the reduced rate."""
    if months < 1:
        raise BenefitInputInvalid(
            _("The months unable to work must be at least 1."), fields={"months_unable": [_("At least 1 month.")]}
        )
    spec = rules.headline("JKK", "temporary_disability")
    v = spec.values
    first_months = min(months, int(v["first_months"]))
    later_months = months - first_months
    lines = [
        BenefitLine(
            "stmb_full",
            apply_rate(declared_income_idr, Decimal(str(v["first_percent"])) / 100 * first_months),
            spec.citation,
            detail=f"{first_months} × {v['first_percent']}%",
        )
    ]
    if later_months:
        lines.append(
            BenefitLine(
                "stmb_reduced",
                apply_rate(declared_income_idr, Decimal(str(v["after_percent"])) / 100 * later_months),
                spec.citation,
                detail=f"{later_months} × {v['after_percent']}%",
            )
        )
    return lines


def disability_lines(rules: ClaimRules, *, declared_income_idr: int, disability: str) -> list[BenefitLine]:
    """Total permanent disability: 56 × income; partial: the table's percentage of that."""
    spec = rules.headline("JKK", "permanent_disability")
    total = _multiple(declared_income_idr, spec.values["income_multiple"])
    if disability == TOTAL_DISABILITY:
        return [BenefitLine("total_disability", total, spec.citation)]
    percent = rules.tables.partial_disability.get(disability)
    if percent is None:
        raise BenefitInputInvalid(
            _("The disability must be total or one of the partial-disability table's rows."),
            fields={
                "disability": [
                    _("Choose total or a row of the table: %(rows)s.")
                    % {"rows": ", ".join(sorted(rules.tables.partial_disability))}
                ]
            },
        )
    return [
        BenefitLine(
            "partial_disability",
            apply_rate(total, percent / 100),
            rules.tables.disability_citation,
            detail=f"{disability} {percent}%",
        )
    ]


# --- scholarship -----------------------------------------------------------------------------


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def scholarship_lines(rules: ClaimRules, *, children: Sequence[Child], first_year: int) -> list[BenefitLine]:
    """The yearly schedule for at most two children, from each one's level now to the end.

    A school year ``first_year + n`` is instalment ``n + 1``. A child's schedule ends when
    the child reaches the end age at the start of the school year (the rule table's month),
    or when the levels run out;
    the total for all children stops at the ceiling (marriage or work end it too: recorded
    on the claim when they happen).
    """
    spec = rules.headline("JKM", "scholarship")
    max_children = int(spec.values["children"])
    ceiling = int(spec.values["amount_idr"])
    if len(children) > max_children:
        raise BenefitInputInvalid(
            _("A scholarship is paid for at most %(count)s children.") % {"count": max_children},
            fields={"children": [_("At most %(count)s children.") % {"count": max_children}]},
        )
    levels = list(rules.tables.scholarship_levels)
    codes = [lv.level for lv in levels]
    lines: list[BenefitLine] = []
    paid = 0
    for number, child in enumerate(children, start=1):
        if child.level not in codes:
            raise BenefitInputInvalid(
                _("Unknown school level %(level)s.") % {"level": child.level},
                fields={"children": [_("Choose a level: %(levels)s.") % {"levels": ", ".join(codes)}]},
            )
        start = codes.index(child.level)
        offset = 0
        for position, level in enumerate(levels[start:]):
            first_in_level = child.year_in_level if position == 0 else 1
            for year_in_level in range(first_in_level, level.years + 1):
                school_year = first_year + offset
                offset += 1
                start_of_year = dt.date(school_year, rules.tables.scholarship_school_year_month, 1)
                if _age_on(child.birth_date, start_of_year) >= rules.tables.scholarship_end_age:
                    break
                amount = min(level.amount_idr, ceiling - paid)
                if amount <= 0:
                    break
                paid += amount
                lines.append(
                    BenefitLine(
                        "scholarship",
                        amount,
                        rules.tables.scholarship_citation,
                        instalment=school_year - first_year + 1,
                        detail=f"child {number} {level.level} year {year_in_level} ({school_year}/{school_year + 1})",
                    )
                )
            else:
                continue
            break
    return lines


# --- JHT -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredRate:
    rate: Decimal
    citation: str


@dataclass(frozen=True)
class JhtRates:
    """The JHT returns the agency declared, by year, and the estimate rate for the other years."""

    declared: Mapping[int, DeclaredRate]
    estimate_rate: Decimal

    def for_year(self, year: int) -> tuple[Decimal, bool]:
        """(rate, declared?) for ``year``."""
        found = self.declared.get(year)
        return (found.rate, True) if found is not None else (self.estimate_rate, False)


class JhtRateNotDeclared(ValidationFailed):
    default_code = ClaimErrorCode.JHT_RATE_NOT_DECLARED


@dataclass(frozen=True)
class JhtYear:
    year: int
    opening_idr: int
    contributions_idr: int
    rate: Decimal
    return_idr: int
    closing_idr: int
    estimate: bool = False


def jht_statement(
    rates: JhtRates, *, contributions: Mapping[Period, int], until: dt.date, allow_estimate: bool = False
) -> list[JhtYear]:
    """Year by year: opening balance, contributions, the declared rate, the return, closing balance.

    The opening balance earns the year's rate for the months held (12, or up to ``until``'s
    month in the last year); a contribution earns it from its month to the year's end. One
    rounding per year. A year without a declared rate is refused, unless ``allow_estimate``:
    then it uses the estimate rate and its row says ``estimate``.
    """
    if not contributions:
        return []
    years = range(min(contributions).year, until.year + 1)
    missing = [year for year in years if year not in rates.declared]
    if missing and not allow_estimate:
        raise JhtRateNotDeclared(
            _("The agency has not declared the JHT return for %(years)s yet; the balance cannot be computed.")
            % {"years": ", ".join(str(y) for y in missing)},
            fields={"jht_rates": [", ".join(str(y) for y in missing)]},
        )
    rows: list[JhtYear] = []
    balance = 0
    for year in years:
        end_month = 12 if year < until.year else until.month
        rate, declared = rates.for_year(year)
        paid = {p: a for p, a in contributions.items() if p.year == year and p.month <= end_month}
        exact = Decimal(balance) * rate * end_month / 12
        exact += sum((Decimal(a) * rate * (end_month - p.month + 1) / 12 for p, a in paid.items()), Decimal(0))
        earned = round_idr(exact)
        added = sum(paid.values())
        rows.append(JhtYear(year, balance, added, rate, earned, balance + added + earned, estimate=not declared))
        balance += added + earned
    return rows


def jht_lines(
    tables: ClaimTables,
    rates: JhtRates,
    *,
    contributions: Mapping[Period, int],
    until: dt.date,
    allow_estimate: bool = False,
) -> list[BenefitLine]:
    rows = jht_statement(rates, contributions=contributions, until=until, allow_estimate=allow_estimate)
    estimated = [r.year for r in rows if r.estimate]
    cited = sorted({rates.declared[r.year].citation for r in rows if not r.estimate})
    detail = ""
    if estimated:
        detail = _("estimate: no declared return yet for %(years)s (estimate rate %(rate)s)") % {
            "years": ", ".join(str(y) for y in estimated),
            "rate": rates.estimate_rate,
        }
    return [
        BenefitLine("jht_contributions", sum(r.contributions_idr for r in rows), tables.jht_citation),
        BenefitLine(
            "jht_returns",
            sum(r.return_idr for r in rows),
            "; ".join([tables.jht_citation, *cited]),
            detail=detail,
            estimate=bool(estimated),
        ),
    ]


def jht_projection(rules: ClaimRules, *, declared_income_idr: int, years: int, first_year: int) -> dict[Period, int]:
    """Monthly JHT contributions at a declared income for whole years (for the public simulator)."""
    program = rules.book.programs.get("JHT")
    level = rules.book.level_for(declared_income_idr)
    if program is None or program.rate is None or level is None:
        raise BenefitInputInvalid(
            _("The declared income is below the lowest level."),
            fields={"declared_income_idr": [_("Below the lowest income level.")]},
        )
    monthly = apply_rate(level[0], program.rate)
    start = Period(first_year, 1)
    return {start + i: monthly for i in range(12 * years)}


# --- one entry point ---------------------------------------------------------------------------


def benefit_lines(
    rules: ClaimRules,
    *,
    program: Program,
    event: Event,
    declared_income_idr: int,
    event_date: dt.date,
    months_unable: int = 1,
    disability: str = TOTAL_DISABILITY,
    funeral_only: bool = False,
    children: Sequence[Child] = (),
    jht_contributions: Mapping[Period, int] | None = None,
    jht_rates: JhtRates | None = None,
    allow_estimate: bool = False,
) -> list[BenefitLine]:
    """The lines a claim for ``program``/``event`` pays, from the rules for its event date.

    JHT returns use the declared rates in ``jht_rates`` (none when not given); a year without
    one is refused, or with ``allow_estimate`` computed at the estimate rate and marked so.
    """
    if event not in PROGRAM_EVENTS[program]:
        raise BenefitInputInvalid(
            _("%(program)s does not pay for the event %(event)s.") % {"program": program, "event": event},
            fields={"event": [_("Not an event this program pays for.")]},
        )
    if program is Program.JHT:
        rates = jht_rates or JhtRates(declared={}, estimate_rate=rules.tables.jht_estimate_rate)
        return jht_lines(
            rules.tables, rates, contributions=jht_contributions or {}, until=event_date, allow_estimate=allow_estimate
        )
    if event is Event.SCHOLARSHIP:
        return scholarship_lines(rules, children=children, first_year=event_date.year)
    if program is Program.JKM:
        return jkm_death_lines(rules, funeral_only=funeral_only)
    if event is Event.DEATH:
        return jkk_death_lines(rules, declared_income_idr=declared_income_idr, funeral_only=funeral_only)
    if event is Event.ACCIDENT:
        return stmb_lines(rules, declared_income_idr=declared_income_idr, months=months_unable)
    return disability_lines(rules, declared_income_idr=declared_income_idr, disability=disability)
