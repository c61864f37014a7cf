from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rangkul.core.money import apply_rate, format_rupiah, round_idr
from rangkul.core.periods import Period, period_range


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("0.5"), 1), (Decimal("1.49"), 1), (Decimal("2.5"), 3), (Decimal("-2.5"), -3), (10, 10)],
)
def test_round_idr_rounds_halves_away_from_zero(amount, expected):
    assert round_idr(amount) == expected


def test_apply_rate_rounds_once():
    assert apply_rate(1_000_000, Decimal("0.02")) == 20_000
    assert apply_rate(16_800, Decimal("0.5")) == 8_400
    assert apply_rate(1_333_333, Decimal("0.01")) == 13_333


@pytest.mark.parametrize(
    ("amount", "text"),
    [(16800, "Rp16.800"), (0, "Rp0"), (42_000_000, "Rp42.000.000"), (-8400, "-Rp8.400"), (None, "")],
)
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


def test_rupiah_filter_in_templates():
    from django.template import engines

    template = engines["django"].from_string("{{ amount|rupiah }}|{{ missing|rupiah }}")
    assert template.render({"amount": 36800}) == "Rp36.800|"


def test_period_parse_and_format():
    assert Period.parse("2026-03") == Period(2026, 3)
    assert str(Period(2026, 3)) == "2026-03"
    assert Period(2026, 12) + 1 == Period(2027, 1)
    assert Period(2026, 1) - 1 == Period(2025, 12)
    assert Period(2027, 3) - Period(2026, 1) == 14
    assert Period(2026, 2).last_day == dt.date(2026, 2, 28)
    assert Period(2028, 2).last_day == dt.date(2028, 2, 29)
    assert [str(p) for p in period_range(Period(2026, 11), 3)] == ["2026-11", "2026-12", "2027-01"]


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-03", "2026/03", "", "abcd-ef", None])
def test_period_parse_rejects_bad_input(bad):
    with pytest.raises(ValueError):  # noqa: PT011
        Period.parse(bad)


@given(st.integers(min_value=1900 * 12, max_value=9998 * 12), st.integers(min_value=-600, max_value=600))
def test_period_arithmetic_round_trips(index, months):
    period = Period.from_index(index)
    if not 1900 * 12 <= index + months < 9999 * 12:
        return
    moved = period + months
    assert moved - months == period
    assert moved - period == months
    assert moved.first_day.day == 1
    assert Period.of(moved.last_day) == moved


@pytest.mark.parametrize(
    "value",
    [Period(2026, 2), dt.date(2026, 2, 15), dt.datetime(2026, 2, 27, 10, 0, tzinfo=dt.UTC), "2026-02", "2026-02-09"],
)
def test_period_field_stores_and_filters_by_the_first_day_of_the_month(value):
    from rangkul.core.periods import PeriodField

    assert PeriodField().get_prep_value(value) == dt.date(2026, 2, 1)
    assert PeriodField().get_prep_value(None) is None


def test_period_field_filters_by_a_date(db):
    from rangkul.contributions.models import MemberStatus

    sql = str(MemberStatus.objects.filter(paid_through=dt.date(2026, 2, 15)).query)
    assert "2026-02-01" in sql
