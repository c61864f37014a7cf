"""Taking coverage snapshots (the only writes of the analytics app)."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone

from rangkul.analytics.models import (
    CoverageAreaCount,
    CoverageCount,
    CoverageSnapshot,
    FunnelDimension,
    GroupFunnel,
    LapseFunnel,
    RetentionCohort,
    SponsorshipCliff,
)
from rangkul.analytics.sql import (
    cohort_paying,
    funnel_by_agent,
    funnel_by_sponsorship,
    funnel_groups,
    paid_months,
    snapshot_session_tune,
    sponsorship_paying,
)
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.models import MemberStatusValue
from rangkul.contributions.retention import cohort_sizes
from rangkul.contributions.selectors import member_counts_by_regency_occupation_status
from rangkul.core.periods import Period

INSERT_BATCH = 5_000

SYSTEM = Actor.system("system")


NATIONAL = "ID"


def area_counts(*, snapshot: CoverageSnapshot, rows: list[tuple[str, str, str, int]]) -> list[CoverageAreaCount]:
    """Roll (regency, occupation, status, members) groups up to the nation, provinces and regencies."""
    totals: dict[str, list[int]] = {NATIONAL: [0, 0]}
    for regency, _occupation, status, members in rows:
        active = members if status == MemberStatusValue.ACTIVE else 0
        for code in (NATIONAL, regency[:2], regency):
            pair = totals.setdefault(code, [0, 0])
            pair[0] += members
            pair[1] += active
    return [
        CoverageAreaCount(snapshot=snapshot, code=code, members=members, active=active)
        for code, (members, active) in sorted(totals.items())
    ]


def retention_cohorts(*, snapshot: CoverageSnapshot) -> list[RetentionCohort]:
    """Each registration month's size and, per month since, how many of it paid for that month.

    Months after the snapshot's month (paid ahead) and before registration are left out.
    """
    last = Period.of(snapshot.day)
    sizes = cohort_sizes()
    paying: dict[dt.date, list[int]] = {cohort: [0] * max(0, last - Period.of(cohort) + 1) for cohort in sizes}
    for cohort, period, members in cohort_paying():
        since = period - Period.of(cohort)
        row = paying.get(cohort)
        if row is not None and 0 <= since < len(row):
            row[since] += members
    return [
        RetentionCohort(snapshot=snapshot, cohort=cohort, members=sizes[cohort], paying=paying[cohort])
        for cohort in sorted(sizes)
        if Period.of(cohort) <= last
    ]


CLIFF_MONTHS = (1, 3, 6)


def group_funnels(*, snapshot: CoverageSnapshot) -> list[GroupFunnel]:
    """The funnel per sponsorship and per field agent."""
    groups = [(FunnelDimension.SPONSORSHIP, row) for row in funnel_by_sponsorship()]
    groups += [(FunnelDimension.AGENT, row) for row in funnel_by_agent()]
    return [
        GroupFunnel(
            snapshot=snapshot,
            dimension=dimension,
            code=row.code,
            label=row.label,
            registered=row.registered,
            paid_once=row.paid_once,
            paid_3=row.paid_3,
            paid_12=row.paid_12,
        )
        for dimension, row in groups
    ]


def sponsorship_cliffs(*, snapshot: CoverageSnapshot) -> list[SponsorshipCliff]:
    """Each sponsorship whose last month is before the snapshot's month, with its members still paying
    1, 3 and 6 months later (whoever paid: the member, or another sponsor)."""
    month = Period.of(snapshot.day)
    cliffs = []
    for row in sponsorship_paying():
        last = Period.of(row.start_month) + (row.months - 1)
        if last >= month:
            continue
        after = {k: row.paying.get(last + k, 0) if last + k <= month else None for k in CLIFF_MONTHS}
        cliffs.append(
            SponsorshipCliff(
                snapshot=snapshot,
                code=row.code,
                name=row.name,
                last_month=last.first_day,
                members=row.members,
                paying_last=row.paying.get(last, 0),
                after_1=after[1],
                after_3=after[3],
                after_6=after[6],
            )
        )
    return cliffs


@transaction.atomic
def coverage_snapshot_take(*, actor: Actor = SYSTEM, day: dt.date | None = None) -> CoverageSnapshot:
    """Count every member by regency, occupation and status as of now, filed under ``day``.

    Taking a day's snapshot again replaces it. One GROUP BY over the members, one pass over the
    paid months (shared by the cohorts and the funnels), then bulk inserts; readers see the old
    snapshot or the whole new one.
    """
    day = day or timezone.localdate()
    started = time.perf_counter()
    snapshot_session_tune()
    rows = member_counts_by_regency_occupation_status()
    CoverageSnapshot.objects.filter(day=day).delete()
    snapshot = CoverageSnapshot.objects.create(
        day=day, taken_at=timezone.now(), members=sum(row[3] for row in rows), seconds=0.0
    )
    CoverageCount.objects.bulk_create(
        (
            CoverageCount(
                snapshot=snapshot, regency_code=regency, occupation_code=occupation, status=status, members=members
            )
            for regency, occupation, status, members in rows
        ),
        batch_size=INSERT_BATCH,
    )
    CoverageAreaCount.objects.bulk_create(area_counts(snapshot=snapshot, rows=rows), batch_size=INSERT_BATCH)
    with paid_months():
        RetentionCohort.objects.bulk_create(retention_cohorts(snapshot=snapshot), batch_size=INSERT_BATCH)
        LapseFunnel.objects.bulk_create(
            (
                LapseFunnel(
                    snapshot=snapshot,
                    channel=group.channel,
                    partner=group.partner,
                    occupation_code=group.occupation,
                    registered=group.registered,
                    paid_once=group.paid_once,
                    paid_3=group.paid_3,
                    paid_12=group.paid_12,
                )
                for group in funnel_groups()
            ),
            batch_size=INSERT_BATCH,
        )
        GroupFunnel.objects.bulk_create(group_funnels(snapshot=snapshot), batch_size=INSERT_BATCH)
        SponsorshipCliff.objects.bulk_create(sponsorship_cliffs(snapshot=snapshot), batch_size=INSERT_BATCH)
    snapshot.seconds = round(time.perf_counter() - started, 3)
    snapshot.save(update_fields=["seconds"])
    audit_record(
        actor=actor,
        action="analytics.coverage_snapshot_taken",
        subject=snapshot,
        after={"day": day.isoformat(), "members": snapshot.members, "groups": len(rows)},
    )
    return snapshot
