"""The registry's database mechanics: one interface, a PostgreSQL and a portable implementation.

The registry's services decide *what* is read and written; the statements that
depend on the database (COPY and drawn keys, array parameters, lateral joins,
SQLite's parameter limits) live here, chosen once for the connection's vendor
by ``registry_sql()``. Each method returns plain values, so both
implementations are checked against each other by the registry's tests.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from rangkul.core.bulk import array_literal, insert_rows, keys_draw
from rangkul.registry.models import DuplicateReason, DuplicateStatus, PossibleDuplicate, Worker, WorkerStatus

# Per key: the (registered_at, id) of the oldest matching active records, oldest first.
Oldest = dict[tuple[Any, ...], list[tuple[dt.datetime, int]]]
# The fields two records share to be possible duplicates, by reason.
DuplicateKeys = Sequence[tuple[DuplicateReason, tuple[str, ...]]]


class RegistrySql(Protocol):
    def workers_insert(
        self, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], nik_hashes: Sequence[str]
    ) -> list[int]:
        """Insert new worker rows (``columns``, without the key) in one statement; their keys, in order."""
        ...

    def registered_already(self, hashes: set[str], numbers: Sequence[str]) -> list[tuple[str, str]]:
        """(nik_hash, membership_number) of every record holding one of these NIK hashes or numbers."""
        ...

    def oldest_per_key(
        self, fields: tuple[str, ...], keys: set[tuple[Any, ...]], batch: Sequence[int], *, limit: int
    ) -> Oldest:
        """The oldest ``limit`` active records per key, leaving out the records of ``batch``."""
        ...

    def duplicates_queue_among(self, workers: QuerySet[Worker], *, keys: DuplicateKeys, limit: int) -> int:
        """Queue the possible duplicates among ``workers`` that their registration could not see."""
        ...


# Values of each column per statement in SQLite's check (two columns: well within its 32,766 parameters).
_CHECK_SLICE = 5000

_PG_KEY_TYPES = {"name_normalized": "varchar", "birth_date": "date", "village_id": "varchar", "phone": "varchar"}


def _column_of() -> dict[str, str]:
    return {f.attname: f.column for f in Worker._meta.concrete_fields}


class PostgresRegistrySql:
    def workers_insert(
        self, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], nik_hashes: Sequence[str]
    ) -> list[int]:
        keys = keys_draw(Worker, len(rows))
        insert_rows(Worker, ("id", *columns), [(key, *row) for key, row in zip(keys, rows, strict=True)])
        return list(keys)

    def registered_already(self, hashes: set[str], numbers: Sequence[str]) -> list[tuple[str, str]]:
        # One array per column: a thousand values bound as two parameters (each one literal, not a
        # list psycopg adapts value by value), each column probed on its index.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nik_hash, membership_number FROM {Worker._meta.db_table} "  # noqa: S608
                "WHERE nik_hash = ANY(%s::varchar[]) OR membership_number = ANY(%s::varchar[])",
                [array_literal(hashes), array_literal(numbers)],
            )
            return cursor.fetchall()

    def oldest_per_key(
        self, fields: tuple[str, ...], keys: set[tuple[Any, ...]], batch: Sequence[int], *, limit: int
    ) -> Oldest:
        """One index probe per key (a lateral join).

        Filtering the table by each column's list of values let the planner scan the whole
        table once the lists were long (a batch's keys), which grows with the registry.
        """
        table = Worker._meta.db_table
        column_of = _column_of()
        columns = [column_of[name] for name in fields]
        key_list = ", ".join(f"%s::{_PG_KEY_TYPES[name]}[]" for name in fields)
        names = ", ".join(f"k{index}" for index in range(len(fields)))
        match = " AND ".join(f"w.{column} = k.k{index}" for index, column in enumerate(columns))
        sql = (
            f"SELECT {', '.join(f'k.k{index}' for index in range(len(fields)))}, o.registered_at, o.id "  # noqa: S608
            f"FROM unnest({key_list}) AS k({names}) "
            f"CROSS JOIN LATERAL (SELECT w.registered_at, w.id FROM {table} w "
            f"WHERE {match} AND w.status = %s AND NOT (w.id = ANY(%s::bigint[])) "
            f"ORDER BY w.registered_at, w.id LIMIT %s) o"
        )
        ordered = list(keys)
        # Each column's keys as one array literal (core.bulk.array_literal), as are the batch's own ids.
        params: list[Any] = [array_literal([key[index] for key in ordered]) for index in range(len(fields))]
        params += [WorkerStatus.ACTIVE.value, array_literal(batch), limit]
        oldest: Oldest = {}
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # The planner prices a thousand probes as one big query and JIT-compiles it, which
                # costs far more than the work (ADR 0018). Off for this transaction only.
                cursor.execute("SET LOCAL jit TO off")
            cursor.execute(sql, params)
            for *key, registered_at, pk in cursor.fetchall():
                oldest.setdefault(tuple(key), []).append((registered_at, pk))
        for candidates in oldest.values():
            candidates.sort()
        return oldest

    def duplicates_queue_among(self, workers: QuerySet[Worker], *, keys: DuplicateKeys, limit: int) -> int:
        table = Worker._meta.db_table
        duplicates = PossibleDuplicate._meta.db_table
        ids_sql, ids_params = workers.order_by().values("pk").query.sql_with_params()
        column_of = _column_of()
        queued = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit TO off")  # one probe per shared key, priced as one big query
            for reason, fields in keys:
                columns = [column_of[name] for name in fields]
                same = " AND ".join(f"o.{column} = m.{column}" for column in columns)
                sql = (
                    # One pass over the given records counts, per key, how many of them share it; only
                    # those records are then probed (one index search each). No join between two sets,
                    # whose sizes the planner cannot know before the tables are analysed.
                    f"WITH mine AS (SELECT w.id, w.registered_at, {', '.join(f'w.{c}' for c in columns)}, "  # noqa: S608
                    f"count(*) OVER (PARTITION BY {', '.join(f'w.{c}' for c in columns)}) AS sharing "
                    f"FROM {table} w WHERE w.status = %s AND w.id IN ({ids_sql})) "
                    f"INSERT INTO {duplicates} (worker_id, other_id, reason, status, created_at, note) "
                    f"SELECT m.id, o.id, %s, %s, now(), '' FROM mine m "
                    f"CROSS JOIN LATERAL (SELECT o.id FROM {table} o WHERE {same} AND o.status = %s "
                    f"AND (o.registered_at, o.id) < (m.registered_at, m.id) ORDER BY o.registered_at, o.id LIMIT %s) o "
                    # Already queued the other way round: the later of two transactions saw the earlier one.
                    f"WHERE m.sharing > 1 AND NOT EXISTS (SELECT 1 FROM {duplicates} d "
                    f"WHERE d.worker_id = o.id AND d.other_id = m.id AND d.reason = %s) "
                    f"ON CONFLICT (worker_id, other_id, reason) DO NOTHING"
                )
                active = WorkerStatus.ACTIVE.value
                cursor.execute(
                    sql,
                    [
                        *(active, *ids_params, reason.value, DuplicateStatus.OPEN.value),
                        *(active, limit, reason.value),
                    ],
                )
                queued += max(cursor.rowcount, 0)
        return queued


class PortableRegistrySql:
    """Any other database Django supports (SQLite in development and tests)."""

    def workers_insert(
        self, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], nik_hashes: Sequence[str]
    ) -> list[int]:
        # The database numbers the rows; the unique NIK hash finds each one's key.
        insert_rows(Worker, columns, rows)
        keys: dict[str, int] = {}
        for start in range(0, len(nik_hashes), 500):
            chunk = nik_hashes[start : start + 500]
            keys.update(Worker.objects.filter(nik_hash__in=chunk).values_list("nik_hash", "pk"))
        return [keys[nik_hash] for nik_hash in nik_hashes]

    def registered_already(self, hashes: set[str], numbers: Sequence[str]) -> list[tuple[str, str]]:
        # In slices, so that a large batch stays within SQLite's limit on a statement's parameters.
        found: list[tuple[str, str]] = []
        ordered = list(hashes)
        for start in range(0, max(len(ordered), len(numbers)), _CHECK_SLICE):
            found += (
                Worker.objects.filter(
                    Q(nik_hash__in=ordered[start : start + _CHECK_SLICE])
                    | Q(membership_number__in=numbers[start : start + _CHECK_SLICE])
                )
                .order_by()
                .values_list("nik_hash", "membership_number")
            )
        return found

    def oldest_per_key(
        self, fields: tuple[str, ...], keys: set[tuple[Any, ...]], batch: Sequence[int], *, limit: int
    ) -> Oldest:
        """The keys as a VALUES list joined on the index.

        Filtering by each column's list of values matched every combination of them;
        joining the exact keys probes the index once per key. The batch's own records
        are left out here, and only the oldest ``limit`` per key kept.
        """
        table = Worker._meta.db_table
        column_of = _column_of()
        own = set(batch)
        oldest: Oldest = {}
        ordered = list(keys)
        names = ", ".join(f"k{index}" for index in range(len(fields)))
        match = " AND ".join(f"w.{column_of[name]} = k.k{index}" for index, name in enumerate(fields))
        chunk_size = 900 // len(fields)  # within every SQLite's limit on parameters
        registered_at = Worker._meta.get_field("registered_at")
        key_fields = [f for name in fields for f in Worker._meta.concrete_fields if f.attname == name]
        with connection.cursor() as cursor:
            for start in range(0, len(ordered), chunk_size):
                chunk = ordered[start : start + chunk_size]
                values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
                sql = (
                    f"WITH k({names}) AS (VALUES {values}) "  # noqa: S608
                    f"SELECT {', '.join(f'k.k{index}' for index in range(len(fields)))}, w.registered_at, w.id "
                    # CROSS JOIN: SQLite then keeps the keys as the outer loop and probes the index per key.
                    f"FROM k CROSS JOIN {table} w ON {match} WHERE w.status = %s"
                )
                params = [
                    field.get_db_prep_value(value, connection)
                    for key in chunk
                    for field, value in zip(key_fields, key, strict=True)
                ]
                cursor.execute(sql, [*params, WorkerStatus.ACTIVE.value])
                for *found_key, at, pk in cursor.fetchall():
                    if pk in own:
                        continue
                    at = registered_at.to_python(at)
                    if timezone.is_naive(at):
                        at = timezone.make_aware(at, dt.UTC)
                    oldest.setdefault(tuple(found_key), []).append((at, pk))
        for candidates in oldest.values():
            candidates.sort()
            del candidates[limit:]
        # The keys come back as the database holds them (a date as text): index by the batch's own keys.
        by_text = {tuple(str(value) for value in key): key for key in keys}
        return {by_text.get(tuple(str(value) for value in key), key): found for key, found in oldest.items()}

    def duplicates_queue_among(self, workers: QuerySet[Worker], *, keys: DuplicateKeys, limit: int) -> int:
        raise NotImplementedError("parallel imports, and this sweep, run on PostgreSQL only")


@functools.cache
def _for_vendor(vendor: str) -> RegistrySql:
    return PostgresRegistrySql() if vendor == "postgresql" else PortableRegistrySql()


def registry_sql() -> RegistrySql:
    """The implementation for the default database, chosen once per vendor."""
    return _for_vendor(connection.vendor)
