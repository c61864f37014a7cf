"""The local-government incentive view: a regency's informal members, who sponsors them, and how it compares.

What a regent needs to decide a budget line, and what a branch shows when it visits:
the regency's members and active members (the analytics snapshot), its coverage rate
over time (active members ÷ informal workers, ``analytics.rates``), the members
sponsored this month and by whom, and the province's other regencies side by side.
Aggregates only: no member is named.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import Left
from django.utils.translation import gettext as _

from rangkul.analytics.models import CoverageSnapshot
from rangkul.analytics.rates import AreaRate, RatePoint, coverage_rate_series, coverage_rates
from rangkul.analytics.selectors import snapshot_latest
from rangkul.core.errors import NotFound
from rangkul.core.periods import Period
from rangkul.regions.selectors import region_names
from rangkul.sponsorships.errors import SponsorshipErrorCode
from rangkul.sponsorships.models import PayerKind, SponsoredMonth

SERIES_MONTHS = 12


@dataclass(frozen=True)
class SponsorRow:
    organisation: str
    payer_kind: str
    sponsorships: int
    members: int

    @property
    def payer_label(self) -> str:
        return str(PayerKind(self.payer_kind).label) if self.payer_kind in PayerKind.values else self.payer_kind


@dataclass
class RegencyRow:
    rate: AreaRate
    sponsored: int

    @property
    def sponsored_percent(self) -> float | None:
        """Sponsored members as a share of the regency's registered members."""
        return self.sponsored / self.rate.members * 100 if self.rate.members else None


@dataclass
class IncentiveView:
    code: str
    name: str
    province_code: str
    province_name: str
    month: Period
    snapshot: CoverageSnapshot | None
    here: RegencyRow | None
    sponsors: list[SponsorRow] = field(default_factory=list)
    series: list[RatePoint] = field(default_factory=list)
    comparison: list[RegencyRow] = field(default_factory=list)

    @property
    def sponsored(self) -> int:
        return self.here.sponsored if self.here is not None else 0

    @property
    def rank(self) -> int | None:
        """This regency's place among the province's regencies by coverage rate (1 = highest)."""
        for place, row in enumerate(self.comparison, start=1):
            if row.rate.code == self.code:
                return place
        return None


def _sponsored_by_regency(*, province_code: str, month: Period) -> dict[str, int]:
    rows = (
        SponsoredMonth.objects.filter(period=month.first_day, worker__village__code__startswith=f"{province_code}.")
        .annotate(regency=Left("worker__village_id", 5))
        .values_list("regency")
        .annotate(members=Count("worker_id", distinct=True))
        .order_by()
    )
    return {regency: int(members) for regency, members in rows}


def _sponsors(*, regency_code: str, month: Period) -> list[SponsorRow]:
    rows = (
        SponsoredMonth.objects.filter(period=month.first_day, worker__village__code__startswith=f"{regency_code}.")
        .values_list("sponsorship__organisation__name", "sponsorship__payer_kind")
        .annotate(sponsorships=Count("sponsorship_id", distinct=True), members=Count("worker_id", distinct=True))
        .order_by()
    )
    grouped: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for name, kind, sponsorships, members in rows:
        grouped[(name, kind)][0] += int(sponsorships)
        grouped[(name, kind)][1] += int(members)
    return sorted(
        (SponsorRow(name, kind, counts[0], counts[1]) for (name, kind), counts in grouped.items()),
        key=lambda row: (-row.members, row.organisation),
    )


def regency_incentive(*, regency_code: str, today: dt.date) -> IncentiveView:
    """The incentive view of one regency or city (``33.74``) as of ``today``; ``NotFound`` for an unknown code."""
    code = (regency_code or "").strip()
    province_code = code[:2]
    regencies = region_names(level="regency", parent=province_code) if len(code) == 5 else {}
    if code not in regencies:
        raise NotFound(_("No regency or city with this code."), code=SponsorshipErrorCode.REGENCY_NOT_FOUND)
    month = Period.of(today)
    snapshot = snapshot_latest()
    sponsored = _sponsored_by_regency(province_code=province_code, month=month)
    comparison: list[RegencyRow] = []
    if snapshot is not None:
        comparison = [
            RegencyRow(rate=rate, sponsored=sponsored.get(rate.code, 0))
            for rate in coverage_rates(snapshot=snapshot, level="regency", parent=province_code)
        ]
    else:
        comparison = [
            RegencyRow(rate=AreaRate(c, n, 0, 0, None), sponsored=sponsored.get(c, 0)) for c, n in regencies.items()
        ]
    # Highest coverage first; an area without a denominator last.
    comparison.sort(key=lambda row: (row.rate.rate is None, -(row.rate.rate or 0.0), row.rate.code))
    here = next((row for row in comparison if row.rate.code == code), None)
    return IncentiveView(
        code=code,
        name=regencies[code],
        province_code=province_code,
        province_name=region_names(level="province").get(province_code, province_code),
        month=month,
        snapshot=snapshot,
        here=here,
        sponsors=_sponsors(regency_code=code, month=month),
        series=coverage_rate_series(code=code, months=SERIES_MONTHS) if snapshot is not None else [],
        comparison=comparison,
    )
