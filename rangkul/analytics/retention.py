"""Reads for retention: cohorts by month of registration × months since, and the lapse funnel.

Both come from the snapshot's rows (``RetentionCohort``, ``LapseFunnel``), never from the
member tables. A member counts as paying in a month when a contribution for that month is paid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from rangkul.analytics.models import CoverageSnapshot, GroupFunnel, LapseFunnel, RetentionCohort, SponsorshipCliff
from rangkul.registry.models import Channel
from rangkul.registry.selectors import occupation_list

DIMENSIONS = ("channel", "partner", "occupation", "sponsorship", "agent")
GROUP_DIMENSIONS = ("sponsorship", "agent")
FUNNEL_STEPS = ("registered", "paid_once", "paid_3", "paid_12")


@dataclass
class CohortRow:
    cohort: dt.date
    members: int
    paying: list[int]

    def share(self, since: int) -> float | None:
        """Share of the cohort paying for month ``since`` after registration; None when not reached yet."""
        if since >= len(self.paying) or not self.members:
            return None
        return self.paying[since] / self.members

    def shares(self, months: int) -> list[float | None]:
        return [self.share(since) for since in range(months)]


@dataclass
class FunnelRow:
    code: str
    label: str
    registered: int = 0
    paid_once: int = 0
    paid_3: int = 0
    paid_12: int = 0

    @property
    def steps(self) -> list[int]:
        return [self.registered, self.paid_once, self.paid_3, self.paid_12]

    @property
    def shares(self) -> list[float | None]:
        return [step / self.registered if self.registered else None for step in self.steps]

    @property
    def pairs(self) -> list[tuple[int, float | None]]:
        return list(zip(self.steps, self.shares, strict=True))


def retention_cohorts(*, snapshot: CoverageSnapshot, cohorts: int = 24) -> list[CohortRow]:
    """The latest ``cohorts`` registration months, oldest first."""
    rows = list(RetentionCohort.objects.filter(snapshot=snapshot).order_by("-cohort")[:cohorts])
    return [CohortRow(cohort=row.cohort, members=row.members, paying=list(row.paying)) for row in reversed(rows)]


def lapse_funnel(*, snapshot: CoverageSnapshot, dimension: str = "") -> tuple[list[FunnelRow], FunnelRow]:
    """Funnel rows per channel, partner, occupation, sponsorship or agent (none: no breakdown), and the total.

    By sponsorship or agent only the members of a sponsorship, or registered by an agent, are counted.
    """
    if dimension in GROUP_DIMENSIONS:
        return _group_funnel(snapshot=snapshot, dimension=dimension)
    field = {"channel": "channel", "partner": "partner", "occupation": "occupation_code"}.get(dimension)
    labels = _labels(dimension)
    grouped: dict[str, FunnelRow] = defaultdict(lambda: FunnelRow(code="", label=""))
    total = FunnelRow(code="", label=_("Total"))
    for row in LapseFunnel.objects.filter(snapshot=snapshot):
        code = getattr(row, field) if field else ""
        target = grouped[code]
        target.code = code
        target.label = labels.get(code, code) if code else (_("No partner") if dimension == "partner" else "")
        for step in FUNNEL_STEPS:
            setattr(target, step, getattr(target, step) + getattr(row, step))
            setattr(total, step, getattr(total, step) + getattr(row, step))
    rows = sorted(grouped.values(), key=lambda row: (-row.registered, row.code)) if field else []
    return rows, total


def _group_funnel(*, snapshot: CoverageSnapshot, dimension: str) -> tuple[list[FunnelRow], FunnelRow]:
    total = FunnelRow(code="", label=_("Total"))
    rows = []
    for group in GroupFunnel.objects.filter(snapshot=snapshot, dimension=dimension).order_by("-registered", "code"):
        row = FunnelRow(code=group.code, label=group.label or group.code)
        for step in FUNNEL_STEPS:
            setattr(row, step, getattr(group, step))
            setattr(total, step, getattr(total, step) + getattr(group, step))
        rows.append(row)
    return rows, total


@dataclass
class CliffRow:
    code: str
    name: str
    last_month: dt.date
    members: int
    paying_last: int
    after: list[int | None]  # paying 1, 3 and 6 months after the last sponsored month; None: not reached

    @property
    def shares(self) -> list[float | None]:
        """Share of the sponsorship's members still paying each month after; None when not reached or empty."""
        return [None if n is None or not self.members else n / self.members for n in self.after]

    @property
    def pairs(self) -> list[tuple[int | None, float | None]]:
        return list(zip(self.after, self.shares, strict=True))


CLIFF_AFTER = (1, 3, 6)


def sponsorship_cliffs(*, snapshot: CoverageSnapshot) -> list[CliffRow]:
    """Ended sponsorships, latest last month first, with how many of their members kept paying."""
    return [
        CliffRow(
            code=row.code,
            name=row.name,
            last_month=row.last_month,
            members=row.members,
            paying_last=row.paying_last,
            after=[row.after_1, row.after_3, row.after_6],
        )
        for row in SponsorshipCliff.objects.filter(snapshot=snapshot).order_by("-last_month", "code")
    ]


def _labels(dimension: str) -> dict[str, str]:
    if dimension == "channel":
        return {value: str(label) for value, label in Channel.choices}
    if dimension == "occupation":
        return dict(occupation_list(active_only=False).values_list("code", "name"))
    return {}
