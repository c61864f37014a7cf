"""An agent's phone sends 10,000 operations (registrations and collections, 10 % replays) through the
sync, beside the floor of one committed transaction per operation in the same run."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.core import Context, Result, scenario
from rangkul.accounts.models import User
from rangkul.agents.models import Collection, SyncOperation
from rangkul.agents.services import agent_create
from rangkul.agents.sync import MAX_OPERATIONS, agent_sync
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import ledger_totals, month_total_idr
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation
from rangkul.registry.identity import nik_compose

OPERATIONS = {"tiny": 200, "10k": 10_000, "100k": 10_000, "1m": 10_000}
REPLAY_SHARE = 0.10
INCOME_IDR = 1_000_000


def _name(number: int) -> str:
    word = ""
    while number:
        number, rest = divmod(number, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[rest]
    return "Bench " + word.capitalize()


def operations(*, total: int, tag: int, now: dt.datetime, amount_idr: int) -> tuple[list[dict[str, Any]], int]:
    """``total`` operations: registrations each followed later by a collection for the same worker
    (referring to the registration, as a phone that worked offline sends it), and 10 % replays of
    earlier operations. Returns the operations and how many are distinct."""
    rng = random.Random(tag)
    distinct = total - int(total * REPLAY_SHARE)
    registrations = distinct // 2
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=tag % 9000)
    ops: list[dict[str, Any]] = []
    recorded = now.isoformat()
    for i in range(registrations):
        op_id = f"b{tag}-r{i}"
        ops.append(
            {
                "id": op_id,
                "kind": "register",
                "recorded_at": recorded,
                "data": {
                    "nik": nik_compose(
                        district_code="33.74.01",
                        birth_date=birth + dt.timedelta(days=i // 9000),
                        sex="M" if i % 2 else "F",
                        serial=i % 9000 + 1,
                    ),
                    "full_name": _name(tag * 100_000 + i),
                    "birth_date": (birth + dt.timedelta(days=i // 9000)).isoformat(),
                    "sex": "M" if i % 2 else "F",
                    "phone": f"+62813{(tag * 10_000 + i) % 10_000_000:07d}",
                    "village_code": "33.74.01.1001",
                    "occupation": "pedagang",
                    "declared_income_idr": INCOME_IDR,
                    "jht": False,
                },
            }
        )
    # Collections come after their registration (the same phone's queue order).
    collections = [
        {
            "id": f"b{tag}-c{i}",
            "kind": "collect",
            "recorded_at": recorded,
            "data": {"registration": f"b{tag}-r{i}", "months": 1, "amount_idr": amount_idr},
        }
        for i in range(distinct - registrations)
    ]
    mixed: list[dict[str, Any]] = []
    for i, register in enumerate(ops):
        mixed.append(register)
        if i < len(collections):
            mixed.append(collections[i])
    for _ in range(total - distinct):
        # A replay: the phone resends something it already sent (a lost answer).
        position = rng.randrange(len(mixed))
        mixed.insert(rng.randrange(position + 1, len(mixed) + 1), mixed[position])
    return mixed, distinct


def _floor(total: int) -> float:
    """One tiny committed transaction per operation: what any exactly-once write costs at least."""
    table = "bench_agent_floor"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, op varchar(64) UNIQUE)")
    start = time.perf_counter()
    for i in range(total):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (id, op) VALUES (%s, %s)", [i, f"op-{i}"])  # noqa: S608
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return total / elapsed if elapsed else 0.0


@scenario("agent_sync")
def agent_sync_scenario(ctx: Context) -> list[Result]:
    total = OPERATIONS[ctx.size_name]
    tag = int(time.time()) % 100_000
    organisation, _created = Organisation.objects.get_or_create(
        code="bench-wadah", defaults={"name": "Koperasi Bench", "kind": "cooperative"}
    )
    user = User.objects.create(username=f"bench-agent-{tag}")
    agent = agent_create(actor=Actor.system("bench"), user=user, organisation=organisation, cash_limit_idr=10**15)
    now = timezone.now()
    amount = month_total_idr(
        declared_income_idr=INCOME_IDR, jht=False, sector="non_transport", period=Period.of(timezone.localdate())
    )
    ops, distinct = operations(total=total, tag=tag, now=now, amount_idr=amount or 1)
    before = ledger_totals()
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    for first in range(0, len(ops), MAX_OPERATIONS):
        for result in agent_sync(agent=agent, operations=ops[first : first + MAX_OPERATIONS]):
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    elapsed = time.perf_counter() - start
    after = ledger_totals()
    floor = _floor(total)
    stored = SyncOperation.objects.filter(agent=agent).count()
    collections = Collection.objects.filter(agent=agent).count()
    return [
        Result(
            scenario=f"agent sync ({total:,} ops, 10% replays)",
            figure=total / elapsed if elapsed else 0.0,
            unit="ops/s",
            baseline=floor,
            baseline_label="one committed insert per op, ops/s",
            target="10,000 operations ≤ 20 s (≥ 500 ops/s)",
            details={
                "operations": total,
                "distinct": distinct,
                "seconds": round(elapsed, 2),
                "results": statuses,
                "operations_stored": stored,
                "collections": collections,
                "double_counts": max(0, stored - distinct),
                "ledger_balanced": after["debit_idr"] == after["credit_idr"],
                "ledger_moved_idr": after["debit_idr"] - before["debit_idr"],
            },
        )
    ]
