"""Complementary suppression: no small cell can be recovered by subtracting its siblings from a published total."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from rangkul.analytics.services import coverage_snapshot_take
from rangkul.analytics.suppression import SMALL_CELL, hidden_codes, nation_of, province_of
from rangkul.analytics.tests.test_rates import DAY, population  # noqa: F401 (a fixture)


@dataclass
class Cell:
    code: str
    members_active: int


def _regencies(tree: dict[str, list[int]]) -> list[Cell]:
    return [Cell(f"{p}.{i + 1:02d}", n) for p, counts in tree.items() for i, n in enumerate(counts)]


def _provinces(tree: dict[str, list[int]]) -> list[Cell]:
    return [Cell(p, sum(counts)) for p, counts in tree.items()]


def test_one_small_regency_hides_its_smallest_sibling_too():
    cells = [Cell("33.22", 1), Cell("33.74", 12), Cell("33.01", 40)]
    assert hidden_codes(cells, parent_of=province_of) == {"33.22", "33.74"}  # 53 − 40 = 13: two cells, not one
    # Two small cells that add up to less than ten: a third is hidden, so the sum recovered is not small either.
    cells = [Cell("33.22", 1), Cell("33.23", 2), Cell("33.74", 12), Cell("33.01", 40)]
    assert hidden_codes(cells, parent_of=province_of) == {"33.22", "33.23", "33.74"}
    assert hidden_codes([Cell("33.22", 10), Cell("33.74", 12)], parent_of=province_of) == set()
    # A hidden province never has all its regencies published.
    assert hidden_codes([Cell("31.71", 10), Cell("31.72", 30)], parent_of=province_of, hidden_parents={"31"}) == {
        "31.71"
    }


trees = st.dictionaries(
    st.sampled_from(["11", "12", "31", "33", "35", "94"]),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6),
    min_size=1,
)


@given(tree=trees)
def test_no_small_cell_is_left_alone_under_a_published_total(tree):
    provinces = _provinces(tree)
    hidden_provinces = hidden_codes(provinces, parent_of=nation_of)
    regencies = _regencies(tree)
    hidden = hidden_codes(regencies, parent_of=province_of, hidden_parents=hidden_provinces)
    for level, cells, secret in (("province", provinces, hidden_provinces), ("regency", regencies, hidden)):
        groups: dict[str, list[Cell]] = {}
        for cell in cells:
            groups.setdefault(nation_of(cell.code) if level == "province" else province_of(cell.code), []).append(cell)
        for siblings in groups.values():
            small = [c for c in siblings if c.members_active < SMALL_CELL]
            assert all(c.code in secret for c in small)
            concealed = [c for c in siblings if c.code in secret]
            if small and len(concealed) < len(siblings):
                # What subtraction from the parent gives is a sum of at least two cells, and not a small one.
                assert len(concealed) >= 2 and sum(c.members_active for c in concealed) >= SMALL_CELL
    for code in hidden_provinces:
        assert any(province_of(c.code) == code and c.code in hidden for c in regencies)
    # One province's regencies alone are hidden exactly as among all regencies.
    for code in tree:
        alone = hidden_codes(
            [c for c in regencies if province_of(c.code) == code],
            parent_of=province_of,
            hidden_parents=hidden_provinces,
        )
        assert alone == {c for c in hidden if province_of(c) == code}


def test_the_open_data_hides_the_sibling_that_would_give_a_small_cell_away(population, client):  # noqa: F811
    """Kab. Semarang has 1 active member and Kota Semarang 12; Jawa Tengah's 13 would give the 1 away."""
    coverage_snapshot_take(day=DAY)
    regencies = client.get("/api/v1/open/coverage", {"level": "regency", "parent": "33"}).json()
    assert [(r["code"], r["members_active"], r["coverage_rate"]) for r in regencies] == [
        ("33.22", None, None),
        ("33.74", None, None),
    ]
    csv = client.get(reverse("open_data:coverage_csv"), {"level": "regency", "parent": "33"}).content.decode()
    assert "33.74,KOTA SEMARANG,,120,," in csv  # the workforce stays: it is not about members
    page = client.get(reverse("open_data:coverage")).content.decode()
    assert 'data-testid="suppression-rule"' in page
