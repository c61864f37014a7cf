"""Reads for the coverage dashboard: a snapshot's counts, rolled up by province or regency."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.db.models.functions import Left

from rangkul.analytics.models import CoverageCount, CoverageSnapshot
from rangkul.contributions.models import MemberStatusValue
from rangkul.regions.selectors import region_children
from rangkul.registry.selectors import occupation_list

STATUSES = [value for value, _label in MemberStatusValue.choices]


@dataclass
class CoverageRow:
    """One line of a coverage table: members per status, and the share that is protected."""

    code: str
    name: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def active_share(self) -> float:
        """Active members (protected today) as a share of all registered members."""
        return self.counts[MemberStatusValue.ACTIVE] / self.total if self.total else 0.0

    @property
    def active_percent(self) -> float:
        return self.active_share * 100

    @property
    def cells(self) -> list[int]:
        return [self.counts[status] for status in STATUSES]


def snapshot_latest() -> CoverageSnapshot | None:
    return CoverageSnapshot.objects.order_by("-day").first()


def snapshot_list(*, limit: int = 30) -> list[CoverageSnapshot]:
    return list(CoverageSnapshot.objects.order_by("-day")[:limit])


def snapshot_get(*, day: str) -> CoverageSnapshot | None:
    return CoverageSnapshot.objects.filter(day=day).first()


def _rows(grouped: dict[str, CoverageRow], names: dict[str, str]) -> list[CoverageRow]:
    for code, row in grouped.items():
        row.name = names.get(code, code)
    return sorted(grouped.values(), key=lambda row: row.code)


def coverage_by_area(
    *, snapshot: CoverageSnapshot, province: str = "", occupation: str = ""
) -> tuple[list[CoverageRow], CoverageRow]:
    """Rows per province (or per regency of ``province``), optionally one occupation only; and the total."""
    counts = CoverageCount.objects.filter(snapshot=snapshot)
    if occupation:
        counts = counts.filter(occupation_code=occupation)
    if province:
        counts = counts.filter(regency_code__startswith=f"{province}.")
        area = counts.values_list("regency_code", "status").annotate(members=Sum("members")).order_by()
    else:
        area = (
            counts.annotate(province=Left("regency_code", 2))
            .values_list("province", "status")
            .annotate(members=Sum("members"))
            .order_by()
        )
    grouped: dict[str, CoverageRow] = defaultdict(lambda: CoverageRow(code=""))
    total = CoverageRow(code="")
    for code, status, members in area:
        row = grouped[code]
        row.code = code
        row.counts[status] = row.counts.get(status, 0) + int(members)
        total.counts[status] = total.counts.get(status, 0) + int(members)
    return _rows(grouped, _area_names(province=province)), total


def coverage_by_occupation(*, snapshot: CoverageSnapshot, province: str = "") -> list[CoverageRow]:
    counts = CoverageCount.objects.filter(snapshot=snapshot)
    if province:
        counts = counts.filter(regency_code__startswith=f"{province}.")
    grouped: dict[str, CoverageRow] = defaultdict(lambda: CoverageRow(code=""))
    for code, status, members in (
        counts.values_list("occupation_code", "status").annotate(members=Sum("members")).order_by()
    ):
        row = grouped[code]
        row.code = code
        row.counts[status] = row.counts.get(status, 0) + int(members)
    return _rows(grouped, _occupation_names())


def coverage_by_province_occupation(*, snapshot: CoverageSnapshot, status: str) -> dict[tuple[str, str], int]:
    """Members with ``status`` per (province, occupation): the dashboard's cross table."""
    rows = (
        CoverageCount.objects.filter(snapshot=snapshot, status=status)
        .annotate(province=Left("regency_code", 2))
        .values_list("province", "occupation_code")
        .annotate(members=Sum("members"))
        .order_by()
    )
    return {(province, occupation): int(members) for province, occupation, members in rows}


def _area_names(*, province: str) -> dict[str, str]:
    children = region_children(parent=province or None)
    return dict(children.values_list("code", "name")) if children is not None else {}


def _occupation_names() -> dict[str, str]:
    return dict(occupation_list(active_only=False).values_list("code", "name"))
