"""Small-cell suppression for the open data, primary and complementary.

Primary: an area with fewer than ``SMALL_CELL`` active members is published as null.
Complementary: areas are published beside their siblings and the parent total can be added up
(provinces to the nation, regencies to their province), so one hidden cell could be recovered by
subtraction. Under each parent that has a hidden cell, the next smallest siblings are hidden too,
until at least two are hidden and the hidden cells hold at least ``SMALL_CELL`` members together:
subtraction then gives only a sum that is not itself a small cell, never one area's count.
Across levels: a province that is hidden never has all its regencies published (their sum would
give it back), so its smallest regency is hidden with it. The choice depends only on counts, so
every query (one province's regencies, or all regencies) hides the same cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol

# Fewer active members than this in an area is published as null (re-identification risk of small counts).
SMALL_CELL = 10


class Cell(Protocol):
    code: str
    members_active: int


def hidden_codes(
    cells: Iterable[Cell], *, parent_of: Callable[[str], str], hidden_parents: Collection[str] = ()
) -> set[str]:
    """The codes to publish as null: small cells and their complements, sibling group by sibling group;
    under a hidden parent, at least one child."""
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[parent_of(cell.code)].append(cell)
    hidden: set[str] = set()
    for parent, siblings in groups.items():
        hidden |= _hide_in_group(siblings, parent_hidden=parent in hidden_parents)
    return hidden


def _hide_in_group(siblings: Sequence[Cell], *, parent_hidden: bool = False) -> set[str]:
    primary = {cell.code for cell in siblings if cell.members_active < SMALL_CELL}
    if not primary:
        if parent_hidden and siblings:
            return {min(siblings, key=lambda c: (c.members_active, c.code)).code}
        return set()
    hidden = set(primary)
    hidden_sum = sum(cell.members_active for cell in siblings if cell.code in hidden)
    # Smallest first; equal counts by code, so the choice is the same whatever the query.
    for cell in sorted(siblings, key=lambda c: (c.members_active, c.code)):
        if len(hidden) >= 2 and hidden_sum >= SMALL_CELL:
            break
        if cell.code not in hidden:
            hidden.add(cell.code)
            hidden_sum += cell.members_active
    return hidden


def province_of(code: str) -> str:
    return code[:2]


def nation_of(_code: str) -> str:
    return "ID"
