"""Scenarios over a synthetic population: coverage lookups, dashboard counts, the daily review."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.core import Context, Result, latency_summary, scenario
from bench.population import generate
from rangkul.analytics.selectors import coverage_by_area, coverage_by_province_occupation
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.selectors import coverage_on
from rangkul.contributions.services import member_statuses_review
from rangkul.registry.models import Worker


def ensure_population(ctx: Context) -> int:
    """Top the database up to ``ctx.members`` members; returns how many exist."""
    existing = Worker.objects.count()
    if existing < ctx.members:
        started = time.perf_counter()
        summary = generate(members=ctx.members - existing, seed=7 + existing)
        elapsed = time.perf_counter() - started
        ctx.notes.append(
            f"population: {summary.members:,} members and {summary.paid_months:,} paid months generated in "
            f"{elapsed:,.1f} s ({summary.members / elapsed:,.0f} members/s)"
        )
    return Worker.objects.count()


def _sample_ids(count: int) -> list[int]:
    rng = random.Random(11)
    low, high = Worker.objects.order_by("pk").values_list("pk", flat=True)[:1].get(), Worker.objects.latest("pk").pk
    return [rng.randint(low, high) for _ in range(count)]


@scenario("coverage_on")
def coverage_lookup(ctx: Context) -> list[Result]:
    ensure_population(ctx)
    ids = _sample_ids(200 if ctx.tiny else 5_000)
    today = timezone.localdate()
    baseline, lookups = [], []
    for worker_id in ids:
        start = time.perf_counter()
        Worker.objects.filter(pk=worker_id).exists()
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        coverage_on(worker_id, today - dt.timedelta(days=worker_id % 300))
        lookups.append(time.perf_counter() - start)
    ours, base = latency_summary(lookups), latency_summary(baseline)
    return [
        Result(
            scenario="coverage_on p99",
            figure=ours["p99_ms"],
            unit="ms",
            baseline=base["p99_ms"],
            baseline_label="member primary-key probe p99 ms",
            higher_is_better=False,
            target="p99 < 5 ms at 1M members",
            details={"p50_ms": ours["p50_ms"], "baseline_p50_ms": base["p50_ms"], "lookups": len(ids)},
        )
    ]


@scenario("dashboard_counts")
def dashboard_counts(ctx: Context) -> list[Result]:
    """The coverage dashboard: province × occupation from the day's snapshot, against a plain count.

    The snapshot itself (one GROUP BY over every member, run nightly) and the same
    counts taken live from the member tables are reported beside it.
    """
    ensure_population(ctx)
    runs = 3 if ctx.tiny else 5
    started = time.perf_counter()
    snapshot = coverage_snapshot_take()
    snapshot_seconds = time.perf_counter() - started
    ours, base, live = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        cross = coverage_by_province_occupation(snapshot=snapshot, status="active")
        coverage_by_area(snapshot=snapshot)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        MemberStatus.objects.filter(status="active").count()
        base.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = list(
            MemberStatus.objects.filter(status="active")
            .values("worker__village__district__regency__province_id", "worker__occupation_id")
            .annotate(members=Count("worker_id"))
        )
        live.append(time.perf_counter() - start)
    return [
        Result(
            scenario="active members by province × occupation",
            figure=min(ours) * 1000,
            unit="ms",
            baseline=min(base) * 1000,
            baseline_label="plain count of active members, ms",
            higher_is_better=False,
            target="< 200 ms at 1M members",
            details={
                "groups": len(cross),
                "runs": runs,
                "snapshot_members": snapshot.members,
                "snapshot_seconds": round(snapshot_seconds, 2),
                "live_group_by_ms": round(min(live) * 1000, 1),
                "live_groups": len(rows),
            },
        )
    ]


@scenario("daily_status_review")
def daily_review(ctx: Context) -> list[Result]:
    members = ensure_population(ctx)
    # Make every member due for review, as on the busiest day of the month.
    MemberStatus.objects.update(next_review_on=timezone.localdate())
    start = time.perf_counter()
    outcome = member_statuses_review()
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_id, status, paid_through FROM contributions_memberstatus")
        scanned = len(cursor.fetchall())
    scan = time.perf_counter() - start
    return [
        Result(
            scenario="daily status review",
            figure=outcome["reviewed"] / elapsed if elapsed else 0.0,
            unit="members/s",
            baseline=scanned / scan if scan else 0.0,
            baseline_label="raw scan of member statuses, rows/s",
            target="1M members ≤ 60 s (≥ 16,667 members/s)",
            details={"members": members, **outcome, "seconds": round(elapsed, 2)},
        )
    ]
