from __future__ import annotations

import pytest

from rangkul.contributions.errors import IncomeBelowMinimum, NoRulesForMonth, ProgramNotAvailable, UnknownSector
from rangkul.contributions.quotes import contribution_quote
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sector", "month", "jht", "sponsor_kind", "total"),
    [
        ("non_transport", "2026-03", False, None, 16_800),
        ("transport", "2026-03", False, None, 8_400),
        ("non_transport", "2026-05", False, None, 8_400),
        ("non_transport", "2027-01", False, None, 16_800),
        ("transport", "2026-05", True, None, 28_400),
        ("non_transport", "2026-05", False, "regional_budget", 16_800),
        ("transport", "2026-05", False, "state_budget", 16_800),
        ("non_transport", "2026-03", True, None, 36_800),
        # Edges of the PP 50/2025 ranges.
        ("transport", "2025-12", False, None, 16_800),
        ("transport", "2026-01", False, None, 8_400),
        ("transport", "2027-03", False, None, 8_400),
        ("transport", "2027-04", False, None, 16_800),
        ("non_transport", "2026-04", False, None, 8_400),
        ("non_transport", "2026-12", False, None, 8_400),
        # A non-budget sponsor keeps the discount.
        ("non_transport", "2026-05", False, "csr", 8_400),
    ],
)
def test_issue_examples(sector, month, jht, sponsor_kind, total):
    quote = contribution_quote(
        declared_income_idr=1_000_000, jht=jht, sector=sector, month=Period.parse(month), sponsor_kind=sponsor_kind
    )
    assert quote.total_idr == total


def test_lines_show_each_program_and_its_discount():
    quote = contribution_quote(
        declared_income_idr=1_000_000, programs={"JHT"}, sector="transport", month=Period(2026, 5)
    )
    lines = {line.program: (line.amount_idr, line.discount_idr, line.gross_idr) for line in quote.lines}
    assert lines == {"JKK": (5_000, 5_000, 10_000), "JKM": (3_400, 3_400, 6_800), "JHT": (20_000, 0, 20_000)}
    assert quote.programs == ("JKK", "JKM", "JHT")
    assert quote.rule_version == "BPU-2024-01"


def test_income_is_placed_in_the_level_not_above_it():
    quote = contribution_quote(declared_income_idr=2_400_000, jht=True, sector="non_transport", month=Period(2026, 3))
    assert quote.income_level_idr == 2_000_000
    assert {line.program: line.amount_idr for line in quote.lines} == {"JKK": 20_000, "JKM": 6_800, "JHT": 40_000}


def test_income_below_the_lowest_level_is_refused():
    with pytest.raises(IncomeBelowMinimum) as exc:
        contribution_quote(declared_income_idr=999_999, sector="non_transport", month=Period(2026, 3))
    assert "Rp1.000.000" in str(exc.value.message)
    assert exc.value.status == 422
    assert "declared_income_idr" in exc.value.fields


@pytest.mark.parametrize("program", ["JP", "JKP", "jp"])
def test_pension_and_job_loss_are_never_offered(program):
    with pytest.raises(ProgramNotAvailable):
        contribution_quote(
            declared_income_idr=1_000_000, programs={program}, sector="non_transport", month=Period(2026, 3)
        )


def test_month_without_rules_is_refused():
    with pytest.raises(NoRulesForMonth):
        contribution_quote(declared_income_idr=1_000_000, sector="non_transport", month=Period(2020, 1))


def test_unknown_sector_is_refused():
    with pytest.raises(UnknownSector):
        contribution_quote(declared_income_idr=1_000_000, sector="fishing", month=Period(2026, 3))
