"""Scenarios over a synthetic population: coverage lookups, dashboard counts, the daily review."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.core import Context, Result, latency_summary, scenario
from rangkul.analytics.selectors import coverage_by_area, coverage_by_province_occupation
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.demo import generate
from rangkul.contributions.models import MemberStatus, MemberStatusChange
from rangkul.contributions.schedule import due_date
from rangkul.contributions.selectors import coverage_on
from rangkul.contributions.services import member_statuses_review
from rangkul.core.bulk import collector_relaxed
from rangkul.core.periods import Period
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


def _status_scan() -> float:
    """Baseline: a raw scan of the status table, rows/s (best of three: the first may meet cold pages)."""
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT worker_id, status, paid_through FROM contributions_memberstatus")
            scanned = len(cursor.fetchall())
        elapsed = time.perf_counter() - start
        best = max(best, scanned / elapsed if elapsed else 0.0)
    return best


def _timed_review(day: dt.date) -> tuple[dict[str, int], float, dict[str, int]]:
    # Make every member due for review on ``day``, as on the busiest day of the month.
    MemberStatus.objects.update(next_review_on=day)
    if connection.vendor == "postgresql":
        # That rewrote every status row: clear the dead rows and refresh the planner's
        # statistics as autovacuum would on a live system (the population may be minutes old).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {MemberStatus._meta.db_table}")
    start = time.perf_counter()
    with collector_relaxed():  # as the command runs it
        outcome = member_statuses_review(today=day)
    elapsed = time.perf_counter() - start
    statuses = dict(MemberStatus.objects.values_list("status").annotate(members=Count("worker_id")))
    return outcome, elapsed, statuses


@scenario("daily_status_review")
def daily_review(ctx: Context) -> list[Result]:
    members = ensure_population(ctx)
    today = timezone.localdate()
    # A quiet day: for most members only the next review day moves (the population's
    # statuses were stored when it was generated; a first run also applies what time did since).
    quiet, quiet_s, _ = _timed_review(today)
    # The busiest day: the day after next month's due date, when every member who has not
    # paid ahead falls into arrears (and members already behind reach the lapse limit).
    # Run on a copy of the statuses, restored afterwards, so that every run measures the same work.
    busy_day = due_date(Period.of(today) + 1) + dt.timedelta(days=1)
    statuses, changes = MemberStatus._meta.db_table, MemberStatusChange._meta.db_table
    last_change = MemberStatusChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    columns = ["status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on", "updated_at"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_status_copy")
        cursor.execute(f"CREATE TEMPORARY TABLE bench_status_copy AS SELECT * FROM {statuses}")  # noqa: S608
    try:
        busy, busy_s, after = _timed_review(busy_day)
    finally:
        with connection.cursor() as cursor:
            assignments = ", ".join(f"{c} = b.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {statuses} SET {assignments} FROM bench_status_copy b "  # noqa: S608
                f"WHERE b.worker_id = {statuses}.worker_id"
            )
            cursor.execute(f"DELETE FROM {changes} WHERE id > %s", [last_change])  # noqa: S608
            cursor.execute("DROP TABLE bench_status_copy")
    scan = _status_scan()
    target = "1M members ≤ 60 s (≥ 16,667 members/s)"
    return [
        Result(
            scenario="daily status review",
            figure=quiet["reviewed"] / quiet_s if quiet_s else 0.0,
            unit="members/s",
            baseline=scan,
            baseline_label="raw scan of member statuses, rows/s",
            target=target,
            details={"members": members, "day": str(today), **quiet, "seconds": round(quiet_s, 2)},
        ),
        Result(
            scenario="daily status review, day after a due date",
            figure=busy["reviewed"] / busy_s if busy_s else 0.0,
            unit="members/s",
            baseline=scan,
            baseline_label="raw scan of member statuses, rows/s",
            target=target,
            details={
                "members": members,
                "day": str(busy_day),
                **busy,
                "seconds": round(busy_s, 2),
                "statuses_after": after,
            },
        ),
    ]
