"""Serving overhead: the regions API (a database read) against /healthz (no database)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection
from django.utils import timezone

from bench.core import Context, Result, latency_summary, scenario
from bench.http_load import json_request, run_load, serve
from rangkul.audit.actors import Actor
from rangkul.contributions.demo import FIRST, LAST, nik_for, phone_for
from rangkul.core.crypto import lookup_hash
from rangkul.registry.models import Worker


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


@scenario("registration_api")
def registration_api(ctx: Context) -> list[Result]:
    """POST /api/v1/workers with a partner key, under concurrent load, against /healthz."""
    from rangkul.accounts.services import api_key_create
    from rangkul.regions.models import Village

    total = 60 if ctx.tiny else 3_000
    rng = random.Random(5 + Worker.objects.count())
    villages = list(Village.objects.values_list("code", flat=True)[:2000])
    key = api_key_create(actor=Actor.system("system"), name="bench registration", organisation_code="BENCH")
    used: set[str] = set()
    today = timezone.localdate()
    bodies: list[dict[str, object]] = []
    while len(bodies) < total:
        batch = []
        for index in range(len(bodies), total):
            sex = "F" if index % 2 else "M"
            birth = dt.date(today.year - rng.randint(20, 60), rng.randint(1, 12), rng.randint(1, 28))
            village = rng.choice(villages)
            batch.append(
                {
                    "nik": nik_for(rng, village, birth, sex, used),
                    "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "birth_date": birth.isoformat(),
                    "sex": sex,
                    "phone": phone_for(rng),
                    "village_code": village,
                    "occupation": "pedagang",
                    "declared_income_idr": 1_000_000,
                    "jht": bool(index % 3 == 0),
                }
            )
        # A population already in the database (a kept 1M run, an earlier run) must not turn
        # the load into 409 answers: leave out people who are members already.
        hashes = {lookup_hash(str(body["nik"])): body for body in batch}
        taken = set(Worker.objects.filter(nik_hash__in=list(hashes)).values_list("nik_hash", flat=True))
        bodies += [body for digest, body in hashes.items() if digest not in taken]
    headers = {"Authorization": f"Bearer {key}"}
    # An in-memory SQLite test database takes table locks rather than waiting: one writer at a time there.
    writers = 1 if ctx.server_mode == "thread" and connection.vendor == "sqlite" else 8
    with serve(ctx.server_mode) as port:
        baseline = run_load(port, lambda i: ("GET", "/healthz", None, {}), total=total, max_seconds=ctx.seconds)
        load = run_load(
            port,
            lambda i: json_request("POST", "/api/v1/workers", bodies[i], headers),
            total=total,
            concurrency=writers,
            max_seconds=ctx.seconds,
        )
    created = load.statuses.get(201, 0)
    return [
        Result(
            scenario="registration API",
            figure=created / load.elapsed if load.elapsed else 0.0,
            unit="reg/s",
            baseline=baseline.throughput,
            baseline_label="/healthz req/s",
            target="≥ 100/s, p99 < 300 ms",
            details={
                **latency_summary(load.latencies),
                "statuses": load.statuses,
                "errors": load.errors,
                "failures": load.failures,
            },
        )
    ]
