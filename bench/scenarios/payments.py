"""Payment callbacks with duplicates, and settlement reconciliation, against their baselines."""

from __future__ import annotations

import csv
import json
import random
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.core import Context, Result, latency_summary, scenario
from bench.http_load import run_load, serve
from bench.scenarios.members import ensure_population
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.selectors import ledger_totals
from rangkul.contributions.services import bill_issue
from rangkul.core.errors import ApplicationError
from rangkul.payments.models import Channel, Payment
from rangkul.payments.sandbox import sandbox_settlement_write
from rangkul.payments.settlement import settlement_reconcile
from rangkul.registry.models import Worker

DUPLICATE_SHARE = 0.20


def _bills(count: int) -> list[tuple[str, int]]:
    """Open one-month bills for members who can be billed; (payment code, amount)."""
    bills: list[tuple[str, int]] = []
    candidates = Worker.objects.filter(contribution_status__status__in=["active", "registered", "in_arrears"]).order_by(
        "?" if connection.vendor == "postgresql" else "pk"
    )[: count * 2]
    for worker in candidates:
        try:
            bill = bill_issue(actor=None, worker=worker, months=1)
        except ApplicationError:
            continue
        bills.append((bill.payment_code, bill.amount_idr))
        if len(bills) == count:
            break
    return bills


@scenario("payment_callbacks")
def payment_callbacks(ctx: Context) -> list[Result]:
    ensure_population(ctx)
    if not MemberStatus.objects.exists():
        ctx.notes.append("payment_callbacks: no member statuses")
    bills = _bills(20 if ctx.tiny else 2_000)
    rng = random.Random(3)
    paid_at = timezone.now().isoformat()
    bodies = [
        json.dumps(
            {
                "external_id": f"BENCH-{code}",
                "payment_code": code,
                "amount_idr": amount,
                "status": "PAID",
                "paid_at": paid_at,
            }
        ).encode()
        for code, amount in bills
    ]
    deliveries = bodies + [rng.choice(bodies) for _ in range(int(len(bodies) * DUPLICATE_SHARE))]
    rng.shuffle(deliveries)
    headers = {"Content-Type": "application/json", "X-Callback-Token": settings.SANDBOX_CALLBACK_TOKEN}
    writers = 1 if ctx.server_mode == "thread" and connection.vendor == "sqlite" else 8
    before = ledger_totals()
    with serve(ctx.server_mode) as port:
        baseline = run_load(
            port, lambda i: ("GET", "/healthz", None, {}), total=len(deliveries), max_seconds=ctx.seconds
        )
        load = run_load(
            port,
            lambda i: ("POST", "/api/v1/payments/callbacks/sandbox", deliveries[i], headers),
            total=len(deliveries),
            concurrency=writers,
            max_seconds=max(ctx.seconds, 60.0),
        )
    recorded = Payment.objects.filter(external_reference__in=[f"BENCH-{code}" for code, _ in bills]).count()
    after = ledger_totals()
    return [
        Result(
            scenario="payment callbacks (20% duplicates)",
            figure=len(load.latencies) / load.elapsed if load.elapsed else 0.0,
            unit="callbacks/s",
            baseline=baseline.throughput,
            baseline_label="/healthz req/s",
            target="≥ 200/s, p99 < 500 ms, zero double counts",
            details={
                **latency_summary(load.latencies),
                "deliveries": len(deliveries),
                "bills": len(bills),
                "payments_recorded": recorded,
                "double_counts": recorded - len(bills) if recorded > len(bills) else 0,
                "ledger_balanced": after["debit_idr"] == after["credit_idr"],
                "ledger_moved_idr": after["debit_idr"] - before["debit_idr"],
                "statuses": load.statuses,
                "errors": load.errors,
                "failures": load.failures,
            },
        )
    ]


@scenario("settlement_reconciliation")
def settlement(ctx: Context) -> list[Result]:
    ensure_population(ctx)
    if not Payment.objects.filter(channel__code="sandbox").exists():
        payment_callbacks(ctx)
    channel = Channel.objects.get(code="sandbox")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sandbox-settlement.csv"
        lines = sandbox_settlement_write(day=timezone.localdate(), out=path)
        start = time.perf_counter()
        with path.open(newline="") as stream:
            parsed = sum(1 for _ in csv.reader(stream))
        parse_seconds = time.perf_counter() - start
        start = time.perf_counter()
        _file, summary = settlement_reconcile(actor=None, channel=channel, path=path)
        seconds = time.perf_counter() - start
    return [
        Result(
            scenario="settlement reconciliation",
            figure=lines / seconds if seconds else 0.0,
            unit="lines/s",
            baseline=parsed / parse_seconds if parse_seconds else 0.0,
            baseline_label="csv.reader of the same file, rows/s",
            target="1M lines ≤ 60 s (≥ 16,667 lines/s)",
            details={"lines": lines, **summary, "seconds": round(seconds, 2)},
        )
    ]
