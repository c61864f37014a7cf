"""Reads for coverage rates: active members over the informal workforce, by area and over time.

Numerators come from the snapshot's area rows (``CoverageAreaCount``); denominators from
the current workforce release in ``regions``. Definition: coverage rate = members whose
status is active on the snapshot day ÷ informal workers (BPS Sakernas definition) of the
area in the latest reference month of the current release.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models.functions import Length
from django.utils.translation import gettext as _

from rangkul.analytics.models import CoverageAreaCount, CoverageSnapshot
from rangkul.analytics.selectors import snapshot_latest
from rangkul.analytics.services import NATIONAL
from rangkul.analytics.suppression import SMALL_CELL, hidden_codes, nation_of, province_of
from rangkul.core.errors import ValidationFailed
from rangkul.regions.models import WorkforceDefinition, WorkforceFigure, WorkforceRelease
from rangkul.regions.selectors import province_exists, region_names, workforce_figures, workforce_release_current

# The seed's headline: about 13 % of informal workers covered (2022).
SEED_HEADLINE_PERCENT = Decimal("13")
LEVELS = ("province", "regency")


@dataclass
class AreaRate:
    code: str
    name: str
    members: int
    members_active: int
    figure: WorkforceFigure | None
    # Hidden to protect a small sibling (complementary suppression), though not small itself.
    complement: bool = False

    @property
    def workforce_informal(self) -> int | None:
        return self.figure.informal_workers if self.figure is not None else None

    @property
    def share_percent(self) -> Decimal | None:
        return self.figure.informal_share_percent if self.figure is not None else None

    @property
    def rate(self) -> float | None:
        workforce = self.workforce_informal
        return self.members_active / workforce if workforce else None

    @property
    def rate_percent(self) -> float | None:
        return self.rate * 100 if self.rate is not None else None

    @property
    def suppressed(self) -> bool:
        return self.complement or self.members_active < SMALL_CELL

    def open_row(self, *, as_of: dt.date) -> dict[str, object]:
        """The open-data shape: small cells become null, and with them the rate they would reveal."""
        rate = self.rate
        return {
            "code": self.code,
            "name": self.name,
            "members_active": None if self.suppressed else self.members_active,
            "workforce_informal": self.workforce_informal,
            "coverage_rate": None if self.suppressed or rate is None else round(rate, 6),
            "as_of": as_of.isoformat(),
        }


@dataclass
class NationalRate:
    members_active: int
    bps: WorkforceFigure | None
    target: WorkforceFigure | None

    @staticmethod
    def _rate(active: int, figure: WorkforceFigure | None) -> float | None:
        return active / figure.informal_workers * 100 if figure is not None and figure.informal_workers else None

    @property
    def bps_percent(self) -> float | None:
        return self._rate(self.members_active, self.bps)

    @property
    def target_percent(self) -> float | None:
        return self._rate(self.members_active, self.target)

    @property
    def seed_percent(self) -> Decimal:
        return SEED_HEADLINE_PERCENT


@dataclass
class RatePoint:
    month: dt.date
    day: dt.date
    members_active: int
    workforce_informal: int | None

    @property
    def rate_percent(self) -> float | None:
        return self.members_active / self.workforce_informal * 100 if self.workforce_informal else None


def coverage_rates(
    *, snapshot: CoverageSnapshot, level: str, parent: str = "", release: WorkforceRelease | None = None
) -> list[AreaRate]:
    """Every province (or every regency, of ``parent`` when given) with its active members and denominator."""
    release = release or workforce_release_current()
    names = region_names(level=level, parent=parent)
    figures = workforce_figures(release=release, level=level)
    width = 2 if level == "province" else 5
    counts = (
        CoverageAreaCount.objects.annotate(width=Length("code"))
        .filter(snapshot=snapshot, width=width)
        .exclude(code=NATIONAL)
    )
    if parent:
        counts = counts.filter(code__startswith=f"{parent}.")
    by_code = {row.code: row for row in counts}
    codes = sorted(set(names) | set(by_code))
    return [
        AreaRate(
            code=code,
            name=names.get(code, code),
            members=by_code[code].members if code in by_code else 0,
            members_active=by_code[code].active if code in by_code else 0,
            figure=figures.get(code),
        )
        for code in codes
    ]


def coverage_national(*, snapshot: CoverageSnapshot, release: WorkforceRelease | None = None) -> NationalRate:
    release = release or workforce_release_current()
    row = CoverageAreaCount.objects.filter(snapshot=snapshot, code=NATIONAL).first()
    return NationalRate(
        members_active=row.active if row is not None else 0,
        bps=workforce_figures(release=release, level="national").get(NATIONAL),
        target=workforce_figures(release=release, level="national", definition=WorkforceDefinition.BPU_TARGET).get(
            NATIONAL
        ),
    )


def coverage_rate_series(
    *, code: str = NATIONAL, months: int = 24, release: WorkforceRelease | None = None
) -> list[RatePoint]:
    """One point per month (the month's last snapshot), oldest first, against the current release's denominator."""
    release = release or workforce_release_current()
    last_by_month: dict[dt.date, CoverageSnapshot] = {}
    for snapshot in CoverageSnapshot.objects.order_by("-day").only("id", "day")[: months * 31]:
        month = snapshot.day.replace(day=1)
        if month not in last_by_month and len(last_by_month) < months:
            last_by_month[month] = snapshot
    level = {NATIONAL: "national"}.get(code) or ("province" if len(code) == 2 else "regency")
    figure = workforce_figures(release=release, level=level).get(code)
    active = dict(
        CoverageAreaCount.objects.filter(snapshot_id__in=[s.pk for s in last_by_month.values()], code=code).values_list(
            "snapshot_id", "active"
        )
    )
    return [
        RatePoint(
            month=month,
            day=snapshot.day,
            members_active=active.get(snapshot.pk, 0),
            workforce_informal=figure.informal_workers if figure is not None else None,
        )
        for month, snapshot in sorted(last_by_month.items())
    ]


@dataclass
class OpenCoverage:
    rows: list[AreaRate]
    snapshot: CoverageSnapshot | None
    release: WorkforceRelease | None

    def open_rows(self) -> list[dict[str, object]]:
        if self.snapshot is None:
            return []
        return [row.open_row(as_of=self.snapshot.day) for row in self.rows]


def open_coverage(*, level: str, parent: str = "") -> OpenCoverage:
    """The public table: the latest snapshot against the current release; aggregates only, small cells
    and their complements suppressed (``suppression``).

    Raises ``ValidationFailed`` for a level other than province/regency or an unknown parent province.
    """
    parent = (parent or "").strip()
    if level not in LEVELS:
        raise ValidationFailed(
            _("The level must be province or regency."), fields={"level": [_("Use province or regency.")]}
        )
    if parent and (level != "regency" or not province_exists(parent)):
        raise ValidationFailed(
            _("The parent must be a known province code, with level=regency."),
            fields={"parent": [_("Unknown province code.")]},
        )
    snapshot = snapshot_latest()
    release = workforce_release_current()
    rows = coverage_rates(snapshot=snapshot, level=level, parent=parent, release=release) if snapshot else []
    if level == "province":
        hidden = hidden_codes(rows, parent_of=nation_of)
    else:
        provinces = coverage_rates(snapshot=snapshot, level="province", release=release) if snapshot else []
        hidden = hidden_codes(rows, parent_of=province_of, hidden_parents=hidden_codes(provinces, parent_of=nation_of))
    for row in rows:
        row.complement = row.code in hidden and row.members_active >= SMALL_CELL
    return OpenCoverage(rows=rows, snapshot=snapshot, release=release)
