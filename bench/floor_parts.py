"""Where the import floor's database time goes: the same finished member rows into copies of the worker table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python -m bench.floor_parts --rows 300000

Each copy keeps fewer of ``registry_worker``'s parts: every index and foreign key
(as the floor writes), no foreign keys, no trigram index either, only the three
unique indexes, none at all. The rows (``bench.import_bench.floor_rows``) are
prepared before the clock starts and written in two sessions, batches of 1,000
each committed on its own (autocommit, not waiting for the disk), exactly alike for
every copy. It creates its database afresh: ``rangkul_floor_parts`` on the server of
``DATABASE_URL``, or ``RANGKUL_IMPORT_BENCH_DB``. Nothing here asserts a time: the figures are for ADR 0022.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from bench.import_bench import RESULTS, _database_url, _setup, _villages, floor_columns, floor_rows, generate

BATCH = 1000
SESSIONS = 2


def _variants(indexes: list[str]) -> dict[str, tuple[bool, list[str]]]:
    """Copy name → (with the foreign keys, the index definitions to build)."""
    return {
        "every index and foreign key": (True, indexes),
        "no foreign keys": (False, indexes),
        "no foreign keys, no trigram index": (False, [i for i in indexes if " gin " not in i.lower()]),
        "only the unique indexes": (False, [i for i in indexes if i.startswith("CREATE UNIQUE")]),
        "no index at all": (False, []),
    }


def _write(table: str, rows: list[tuple[Any, ...]], part: int) -> None:
    from django.db import connection, connections
    from psycopg.types.json import Jsonb

    columns = floor_columns()
    names = ", ".join(columns)
    json_at = columns.index("identity_warnings")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")  # as the import's batches commit (ADR 0012)
            raw = cursor.cursor
            for start in range(part * BATCH, len(rows), SESSIONS * BATCH):
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows[start : start + BATCH]:
                        values = list(row)
                        values[json_at] = Jsonb(values[json_at])
                        copy.write_row(values)
    finally:
        connections.close_all()


class Copy(NamedTuple):
    seconds: float
    indexes: int  # as the catalogue counts them on the copy, after the rows are in
    foreign_keys: int
    rows: int


def measure(rows: list[tuple[Any, ...]]) -> dict[str, Copy]:
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'registry_worker'")
        indexes = [definition for (definition,) in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'registry_worker'::regclass AND contype = 'f'"
        )
        foreign_keys = [definition for (definition,) in cursor.fetchall()]
    copies: dict[str, Copy] = {}
    for number, (label, (with_keys, kept)) in enumerate(_variants(indexes).items()):
        table = f"bench_floor_part_{number}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} (LIKE registry_worker INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            for position, definition in enumerate(kept):
                _head, _on, rest = definition.partition(" ON public.registry_worker ")
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
                cursor.execute(f"CREATE {unique}INDEX {table}_{position} ON {table} {rest}")
            if with_keys:
                for definition in foreign_keys:
                    cursor.execute(f"ALTER TABLE {table} ADD {definition}")
        connections.close_all()  # none may cross the fork
        context = multiprocessing.get_context("fork")
        started = time.perf_counter()
        children = [context.Process(target=_write, args=(table, rows, part)) for part in range(SESSIONS)]
        for child in children:
            child.start()
        for child in children:
            child.join()
        seconds = time.perf_counter() - started
        if any(child.exitcode for child in children):
            raise SystemExit(f"writing into the copy with {label} failed")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [table])
            (index_count,) = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table]
            )
            (key_count,) = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            (written,) = cursor.fetchone()
            cursor.execute(f"DROP TABLE {table}")
        copies[label] = Copy(seconds, index_count, key_count, written)
    return copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floor_parts", description=__doc__)
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("RANGKUL_IMPORT_BENCH_DB", "rangkul_floor_parts")
    url, database = _database_url()
    if database != "postgresql":
        raise SystemExit("bench.floor_parts needs PostgreSQL (DATABASE_URL=postgres://…)")
    _setup(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = Path(RESULTS / f"floor_parts_{args.rows}.csv")
    generate(path, args.rows, _villages())
    workers, _memberships = floor_rows(path)
    for label, copy in measure(workers).items():
        seconds = copy.seconds
        per_million = 1e6 / args.rows * seconds
        print(f"{label:<36} {seconds:7.2f} s  {args.rows / seconds:>10,.0f} rows/s  (1M: {per_million:,.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
