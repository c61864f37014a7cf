"""Serving overhead: the regions API (a database read) against /healthz (no database)."""

from __future__ import annotations

from bench.core import Context, Result, latency_summary, scenario
from bench.http_load import run_load, serve


@scenario("http_read")
def http_read(ctx: Context) -> list[Result]:
    total = 200 if ctx.tiny else 5_000
    with serve(ctx.server_mode) as port:
        baseline = run_load(port, lambda i: ("GET", "/healthz", None, {}), total=total, max_seconds=ctx.seconds)
        reads = run_load(
            port, lambda i: ("GET", "/api/v1/regions?parent=33", None, {}), total=total, max_seconds=ctx.seconds
        )
    return [
        Result(
            scenario="regions API read",
            figure=reads.throughput,
            unit="req/s",
            baseline=baseline.throughput,
            baseline_label="/healthz req/s",
            details={**latency_summary(reads.latencies), "statuses": reads.statuses, "errors": reads.errors},
        )
    ]
