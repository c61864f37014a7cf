"""Every benefit amount against DOMAIN.md "Benefits (for claims)"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rangkul.claims.benefits import (
    BenefitInputInvalid,
    Child,
    DeclaredRate,
    Event,
    JhtRates,
    Program,
    benefit_lines,
    jht_statement,
    scholarship_lines,
    stmb_lines,
)
from rangkul.claims.rules import claim_rules_for
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 10)


def _amounts(lines):
    return {line.benefit: line.amount_idr for line in lines}


def test_jkm_death_is_42_million_in_three_parts():
    lines = benefit_lines(
        claim_rules_for(DAY), program=Program.JKM, event=Event.DEATH, declared_income_idr=1_000_000, event_date=DAY
    )
    assert _amounts(lines) == {"jkm_lump_sum": 20_000_000, "jkm_periodic": 12_000_000, "jkm_funeral": 10_000_000}
    assert sum(line.amount_idr for line in lines) == 42_000_000
    assert lines[1].detail == "24 × 500000"
    assert all(line.citation for line in lines)


def test_jkm_funeral_only_for_whoever_arranged_it_without_heirs():
    lines = benefit_lines(
        claim_rules_for(DAY),
        program=Program.JKM,
        event=Event.DEATH,
        declared_income_idr=1_000_000,
        event_date=DAY,
        funeral_only=True,
    )
    assert _amounts(lines) == {"jkm_funeral": 10_000_000}


@pytest.mark.parametrize(
    ("income", "death"),
    [(1_000_000, 48_000_000), (2_500_000, 120_000_000), (5_000_000, 240_000_000), (12_345_678, 592_592_544)],
)
def test_jkk_death_is_48_times_income_plus_funeral_and_periodic(income, death):
    lines = benefit_lines(
        claim_rules_for(DAY), program=Program.JKK, event=Event.DEATH, declared_income_idr=income, event_date=DAY
    )
    assert _amounts(lines) == {"jkk_death": death, "jkk_periodic": 12_000_000, "jkk_funeral": 10_000_000}


@given(income=st.integers(min_value=0, max_value=50_000_000))
def test_jkk_death_never_below_the_jkm_benefit(income):
    lines = benefit_lines(
        claim_rules_for(DAY), program=Program.JKK, event=Event.DEATH, declared_income_idr=income, event_date=DAY
    )
    assert _amounts(lines)["jkk_death"] >= 42_000_000
    assert _amounts(lines)["jkk_death"] == max(48 * income, 42_000_000)


def test_stmb_over_fifteen_months_is_twelve_full_then_three_half():
    lines = stmb_lines(claim_rules_for(DAY), declared_income_idr=2_000_000, months=15)
    assert _amounts(lines) == {"stmb_full": 24_000_000, "stmb_reduced": 3_000_000}
    short = stmb_lines(claim_rules_for(DAY), declared_income_idr=2_000_000, months=3)
    assert _amounts(short) == {"stmb_full": 6_000_000}


def test_stmb_needs_at_least_one_month():
    with pytest.raises(BenefitInputInvalid) as error:
        stmb_lines(claim_rules_for(DAY), declared_income_idr=2_000_000, months=0)
    assert "months_unable" in error.value.fields


def test_total_and_partial_disability():
    rules = claim_rules_for(DAY)
    total = benefit_lines(
        rules, program=Program.JKK, event=Event.DISABILITY, declared_income_idr=3_000_000, event_date=DAY
    )
    assert _amounts(total) == {"total_disability": 168_000_000}
    hand = benefit_lines(
        rules,
        program=Program.JKK,
        event=Event.DISABILITY,
        declared_income_idr=3_000_000,
        event_date=DAY,
        disability="hand",
    )
    percent = rules.tables.partial_disability["hand"]
    assert _amounts(hand) == {"partial_disability": int(168_000_000 * percent / 100)}
    with pytest.raises(BenefitInputInvalid):
        benefit_lines(
            rules, program=Program.JKK, event=Event.DISABILITY, declared_income_idr=1, event_date=DAY, disability="x"
        )


def test_program_refuses_an_event_it_does_not_pay():
    with pytest.raises(BenefitInputInvalid) as error:
        benefit_lines(
            claim_rules_for(DAY), program=Program.JKM, event=Event.ACCIDENT, declared_income_idr=1, event_date=DAY
        )
    assert error.value.status == 422


def test_scholarship_schedules_for_two_children_at_different_levels():
    children = [
        # In the last year of SMA, then five years of university; 23 on 1 July 2032 ends it.
        Child("Ani", dt.date(2009, 3, 1), "sma", 3),
        # Starting SD: 8 years of TK/SD, 3 of SMP, 3 of SMA, then university.
        Child("Budi", dt.date(2021, 8, 1), "tk_sd", 1),
    ]
    lines = scholarship_lines(claim_rules_for(DAY), children=children, first_year=2026)
    ani = [line for line in lines if line.detail.startswith("child 1")]
    budi = [line for line in lines if line.detail.startswith("child 2")]
    assert [line.amount_idr for line in ani] == [3_000_000] + [12_000_000] * 5
    assert [line.instalment for line in ani] == [1, 2, 3, 4, 5, 6]
    assert [line.amount_idr for line in budi] == [1_500_000] * 8 + [2_000_000] * 3 + [3_000_000] * 3 + [12_000_000] * 5
    assert budi[-1].instalment == 19
    assert sum(line.amount_idr for line in lines) == 63_000_000 + 87_000_000


def test_scholarship_ends_at_23_and_stops_at_the_ceiling():
    old = scholarship_lines(
        claim_rules_for(DAY), children=[Child("Cici", dt.date(2004, 1, 1), "university", 2)], first_year=2026
    )
    assert [line.amount_idr for line in old] == [12_000_000]  # 22 on 1 July 2026, 23 a year later
    two_full = [Child("A", dt.date(2022, 1, 1), "tk_sd", 1), Child("B", dt.date(2022, 1, 1), "tk_sd", 1)]
    total = sum(line.amount_idr for line in scholarship_lines(claim_rules_for(DAY), children=two_full, first_year=2026))
    assert total == 174_000_000


def test_scholarship_for_at_most_two_children():
    kids = [Child(str(i), dt.date(2015, 1, 1), "smp", 1) for i in range(3)]
    with pytest.raises(BenefitInputInvalid):
        scholarship_lines(claim_rules_for(DAY), children=kids, first_year=2026)


def test_jht_balance_over_several_years_with_declared_returns():
    contributions = {Period(2024, 1) + i: 20_000 for i in range(30)}  # Jan 2024 .. Jun 2026
    rates = JhtRates(
        declared={year: DeclaredRate(Decimal("0.05"), f"declared {year}") for year in (2024, 2025, 2026)},
        estimate_rate=Decimal("0.09"),
    )
    rows = jht_statement(rates, contributions=contributions, until=dt.date(2026, 6, 30))
    assert not any(row.estimate for row in rows)
    assert [row.year for row in rows] == [2024, 2025, 2026]
    rate = Decimal("0.05")
    # 2024: each month earns from its month to December: 20,000 × 5% × (12+11+…+1)/12.
    assert rows[0].return_idr == round(20_000 * rate * 78 / 12)
    assert rows[0].closing_idr == 240_000 + 6_500
    # 2025: the opening balance earns the whole year.
    assert rows[1].return_idr == round(rows[1].opening_idr * rate + 20_000 * rate * 78 / 12)
    # 2026, to June: six months on the opening balance, June's contribution one month.
    assert rows[2].contributions_idr == 120_000
    exact = Decimal(rows[2].opening_idr) * rate * 6 / 12 + Decimal(20_000) * rate * 21 / 12
    assert rows[2].return_idr == int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    lines = benefit_lines(
        claim_rules_for(DAY),
        program=Program.JHT,
        event=Event.WITHDRAWAL,
        declared_income_idr=1_000_000,
        event_date=dt.date(2026, 6, 30),
        jht_contributions=contributions,
        jht_rates=rates,
    )
    assert _amounts(lines) == {"jht_contributions": 600_000, "jht_returns": sum(r.return_idr for r in rows)}
    assert "declared 2025" in lines[1].citation and not lines[1].estimate
    assert rows[-1].closing_idr == 600_000 + sum(r.return_idr for r in rows)
