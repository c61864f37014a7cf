"""The coverage-rate, retention and open-data reads at scale: all from the nightly snapshot's rollups."""

from __future__ import annotations

import time

from bench.core import Context, Result, scenario
from bench.scenarios.members import ensure_population
from rangkul.analytics.rates import coverage_national, coverage_rate_series, coverage_rates, open_coverage
from rangkul.analytics.retention import lapse_funnel, retention_cohorts
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.models import MemberStatus
from rangkul.regions.selectors import province_exists
from rangkul.regions.workforce import default_workforce_file, workforce_release_load


@scenario("dashboard_rates")
def dashboard_rates(ctx: Context) -> list[Result]:
    """Rate page (provinces, national, series), retention page (cohorts, funnel) and the open data,
    against a plain count of active members. The snapshot that maintains the rollups is timed beside."""
    ensure_population(ctx)
    # The shipped release; rows of provinces a small region tree lacks are left out (the full list has them all).
    header, *lines = default_workforce_file().read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.startswith("national,") or province_exists(line.split(",")[1])]
    workforce_release_load(actor="bench", text="\n".join([header, *kept]), version=f"bench-shipped-{len(kept)}")
    started = time.perf_counter()
    snapshot = coverage_snapshot_take()
    snapshot_seconds = time.perf_counter() - started
    runs = 3 if ctx.tiny else 5
    ours, base = [], []
    for _ in range(runs):
        start = time.perf_counter()
        coverage_rates(snapshot=snapshot, level="province")
        coverage_national(snapshot=snapshot)
        coverage_rate_series()
        retention_cohorts(snapshot=snapshot)
        lapse_funnel(snapshot=snapshot, dimension="occupation")
        rows = open_coverage(level="regency").open_rows()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        MemberStatus.objects.filter(status="active").count()
        base.append(time.perf_counter() - start)
    return [
        Result(
            scenario="coverage rates, retention and open data from the snapshot",
            figure=min(ours) * 1000,
            unit="ms",
            baseline=min(base) * 1000,
            baseline_label="plain count of active members, ms",
            higher_is_better=False,
            target="< 200 ms at 1M members; snapshot ≤ 60 s",
            details={
                "runs": runs,
                "regencies": len(rows),
                "snapshot_members": snapshot.members,
                "snapshot_seconds": round(snapshot_seconds, 2),
            },
        )
    ]
