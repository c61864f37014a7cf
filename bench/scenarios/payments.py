"""Payment callbacks with duplicates, and settlement reconciliation, against their baselines."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.core import Context, Result, latency_summary, scenario
from bench.http_load import run_load, serve
from bench.scenarios.members import ensure_population
from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.selectors import ledger_totals
from rangkul.contributions.services import bill_issue
from rangkul.core.bulk import collector_relaxed, insert_rows
from rangkul.core.errors import ApplicationError
from rangkul.payments.models import Channel, Payment, PaymentSource, PaymentStatus
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
            bill = bill_issue(actor=Actor.system("system"), worker=worker, months=1)
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


# Lines in the settlement file per population size: 1M lines at the 1m size (the target).
SETTLEMENT_LINES = {"tiny": 200, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def _settlement_world(*, total: int, tag: str) -> tuple[list[list[Any]], dict[str, int]]:
    """Payments as callbacks recorded them today, and the channel's file for them.

    Most lines match a callback by reference; a few list a callback under another reference
    (matched by code and amount), repeat an earlier line, differ in amount, or have no
    callback at all (real open bills: recorded and allocated from the file). The callbacks
    are bulk-loaded (``COPY`` on PostgreSQL): the scenario times reconciliation, not them.
    """
    channel = Channel.objects.get(code="sandbox")
    missing = _bills(max(2, total // 2000))
    small = max(1, total // 200)
    repeated, mismatched, by_code = small, small, small
    recorded = total - len(missing) - repeated
    now = timezone.now()
    paid_at = now - dt.timedelta(minutes=5)
    amounts = (16_800, 20_300, 36_800, 50_400)
    payments = [
        (
            channel.pk,
            f"SETL-{tag}-{i}",
            f"S{tag}{i}"[:32],
            amounts[i % len(amounts)],
            paid_at,
            now,
            PaymentSource.CALLBACK,
            PaymentStatus.ALLOCATED,
        )
        for i in range(recorded)
    ]
    insert_rows(
        Payment,
        [
            "channel_id",
            "external_reference",
            "payment_code",
            "amount_idr",
            "paid_at",
            "recorded_at",
            "source",
            "status",
        ],
        payments,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum would after a day of callbacks: the planner sees the table as it is.
            cursor.execute(f"ANALYZE {Payment._meta.db_table}")
    rows: list[list[Any]] = []
    for i, (_channel, reference, code, amount, paid, *_rest) in enumerate(payments):
        if i < mismatched:
            amount += 1
        elif i < mismatched + by_code:
            reference = f"SETL-{tag}-bank-{i}"
        rows.append([reference, code, amount, paid.isoformat()])
    rows += [[f"SETL-{tag}-missing-{i}", code, amount, paid_at.isoformat()] for i, (code, amount) in enumerate(missing)]
    rng = random.Random(5)
    plain = range(mismatched + by_code, recorded)  # lines that match by reference and amount
    # Lines repeated further down the file: duplicates of the payments they settled.
    repeats = []
    for _ in range(repeated):
        original = rng.choice(plain)
        repeats.append((rng.randrange(original + 1, len(rows) + 1), rows[original]))
    for position, row in sorted(repeats, key=lambda item: item[0], reverse=True):
        rows.insert(position, row)
    expected = {
        "lines": total,
        "matched": recorded - mismatched,
        "duplicates": repeated,
        "unmatched": len(missing),
        "mismatched": mismatched,
    }
    return rows, expected


@scenario("settlement_reconciliation")
def settlement(ctx: Context) -> list[Result]:
    ensure_population(ctx)
    channel = Channel.objects.get(code="sandbox")
    columns = channel.settlement_layout["columns"]
    total = SETTLEMENT_LINES.get(ctx.size_name, ctx.members)
    rows, expected = _settlement_world(total=total, tag=f"{time.time_ns() % 10**12}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sandbox-settlement.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=channel.settlement_layout.get("delimiter", ","))
            writer.writerow(
                [columns["external_reference"], columns["payment_code"], columns["amount_idr"], columns["paid_at"]]
            )
            writer.writerows(rows)
        start = time.perf_counter()
        with path.open(newline="") as stream:
            parsed = sum(1 for _ in csv.reader(stream)) - 1
        parse_seconds = time.perf_counter() - start
        start = time.perf_counter()
        with collector_relaxed():  # as the command runs it
            _file, summary = settlement_reconcile(actor=Actor.system("system"), channel=channel, path=path)
        seconds = time.perf_counter() - start
    lines = len(rows)
    return [
        Result(
            scenario="settlement reconciliation",
            figure=lines / seconds if seconds else 0.0,
            unit="lines/s",
            baseline=parsed / parse_seconds if parse_seconds else 0.0,
            baseline_label="csv.reader of the same file, rows/s",
            target="1M lines ≤ 60 s (≥ 16,667 lines/s)",
            details={
                "lines": lines,
                **summary,
                "as_expected": all(summary.get(key) == value for key, value in expected.items()),
                "seconds": round(seconds, 2),
            },
        )
    ]
