from __future__ import annotations

import pytest

from rangkul.contributions.forms import month_parse
from rangkul.core.periods import Period


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12", Period(2026, 12)),
        ("Desember 2026", Period(2026, 12)),
        ("des 2026", Period(2026, 12)),
        ("Agustus 2027", Period(2027, 8)),
        ("Mei 2026", Period(2026, 5)),
        ("12/2026", Period(2026, 12)),
        ("3-2027", Period(2027, 3)),
    ],
)
def test_months_are_read_as_people_write_them(typed, expected):
    assert month_parse(typed) == expected


@pytest.mark.parametrize("typed", ["", "13/2026", "Desembr 2026", "2026", "besok"])
def test_other_text_is_not_a_month(typed):
    assert month_parse(typed) is None


@pytest.mark.django_db
def test_simulator_accepts_an_indonesian_month_name(client):
    response = client.get(
        "/iuran/", {"declared_income_idr": "1000000", "sector": "non_transport", "jht": "no", "month": "Januari 2027"}
    )
    assert response.status_code == 200
    assert response.context["quote"].period == Period(2027, 1)
