"""Bulk inserts: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

``insert_many`` writes exactly the rows ``bulk_create`` would (same columns,
same defaults, same constraints checked by the database) and leaves every
object with its primary key, as ``bulk_create`` does on PostgreSQL. The keys
are drawn from the table's sequence in one statement, then the rows go in
through one ``COPY … FROM STDIN``, which avoids building and quoting a huge
INSERT statement in Python. A constraint violation (a unique NIK hash taken by
a concurrent registration) raises Django's ``IntegrityError``, as an INSERT
would; call it inside a savepoint to recover.

``atomic_unflushed`` commits import batches without waiting for the disk,
``collector_relaxed`` tunes Python's garbage collector for a long bulk run (ADR 0020),
and ``array_literal`` passes a batch's values to PostgreSQL as one array parameter.
"""

from __future__ import annotations

import datetime as dt
import gc
import ipaddress
import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connections, models, transaction
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=models.Model)

# Field types whose Python value psycopg writes as the column expects, with no Django preparation.
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def insert_many(model: type[M], objs: Sequence[M], *, using: str = "default", batch_size: int = 1000) -> Sequence[M]:
    """Insert new, unsaved ``objs`` of ``model``; the same objects, saved, with their keys."""
    if not objs:
        return objs
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    fields = list(meta.concrete_fields)
    prepared: list[tuple[str, Any]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            prepared.append(("pre_save", f))
        elif f.get_internal_type() in _AS_IS:
            prepared.append(("as_is", f.attname))
        else:
            prepared.append(("prep", f))
    qn = connection.ops.quote_name
    copy_sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    pk = meta.pk
    assert pk is not None  # noqa: S101 — every concrete model has one
    without_key = [obj for obj in objs if obj.pk is None]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if without_key:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(without_key)],
            )
            for obj, (key,) in zip(without_key, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, key)
        started = time.monotonic()
        with cursor.cursor.copy(copy_sql) as copy:
            for obj in objs:
                row = []
                for how, what in prepared:
                    if how == "as_is":
                        row.append(getattr(obj, what))
                    elif how == "prep":
                        row.append(what.get_db_prep_save(getattr(obj, what.attname), connection))
                    else:
                        row.append(what.pre_save(obj, True))
                copy.write_row(row)
        if connection.queries_logged:  # as Django's debug cursor logs an INSERT (tests count statements)
            connection.queries_log.append({"sql": copy_sql, "time": f"{time.monotonic() - started:.3f}"})
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def insert_unless_conflict(obj: models.Model, *, conflict: Sequence[str], using: str = "default") -> bool:
    """``INSERT … ON CONFLICT (<conflict columns>) DO NOTHING RETURNING <pk>`` for one new object.

    True, with the key set and the object marked saved, when this call inserted the row; False
    when a row with the same values in ``conflict`` (a unique constraint) was already there.
    No read before and no savepoint: a conflict is not an error. Under a concurrent insert of
    the same values, PostgreSQL waits for the other transaction and then does nothing if it
    committed (or inserts, if it rolled back), so the constraint alone decides who wins.
    Both databases (SQLite 3.35+ for RETURNING).
    """
    connection = connections[using]
    meta = obj._meta
    pk = meta.pk
    assert pk is not None  # noqa: S101 — every concrete model has one
    fields = [field for field in meta.local_concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    qn = connection.ops.quote_name
    by_name = {field.name: field.column for field in fields}
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(qn(by_name[name]) for name in conflict)}) DO NOTHING "
        f"RETURNING {qn(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    setattr(obj, pk.attname, row[0])
    obj._state.adding = False
    obj._state.db = using
    return True


def insert_many_unless_conflict(objs: Sequence[M], *, conflict: Sequence[str], using: str = "default") -> list[M]:
    """``insert_unless_conflict`` for many new objects of one model in one statement.

    Returns the objects this call inserted (keys set, marked saved); the others met a row with
    the same values in ``conflict`` (a unique constraint). The rows come back with their conflict
    columns, so these must read back as written (integers, text). Both databases.
    """
    if not objs:
        return []
    connection = connections[using]
    meta = objs[0]._meta
    pk = meta.pk
    assert pk is not None  # noqa: S101 — every concrete model has one
    fields = [field for field in meta.local_concrete_fields if not field.primary_key]
    by_name = {field.name: field for field in fields}
    keyed = [by_name[name] for name in conflict]
    qn = connection.ops.quote_name
    values: list[Any] = []
    waiting: dict[tuple[Any, ...], M] = {}
    for obj in objs:
        row = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
        values.extend(row)
        waiting[tuple(row[fields.index(field)] for field in keyed)] = obj
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(objs))} "
        f"ON CONFLICT ({', '.join(qn(f.column) for f in keyed)}) DO NOTHING "
        f"RETURNING {qn(pk.column)}, {', '.join(qn(f.column) for f in keyed)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        returned = cursor.fetchall()
    inserted = []
    for key, *conflict_values in returned:
        obj = waiting[tuple(conflict_values)]
        setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = using
        inserted.append(obj)
    return inserted


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    using: str = "default",
    batch_size: int = 5000,
) -> None:
    """Insert ``rows`` of plain values for the fields ``columns`` (attnames) of ``model``, with no model objects.

    For the bulk paths whose rows are many and simple (an import's results,
    memberships, audit rows): building a model instance per row costs more than
    writing it. Values are what the field holds in Python (ids for foreign keys,
    the list or dict of a JSONField, aware datetimes); columns left out take their
    database default or NULL, so name every column that has a Python-side default.
    PostgreSQL: one ``COPY``, in the binary format when every column's type has a
    binary path (ADR 0021), else in text. Elsewhere: ``executemany`` of one INSERT,
    values prepared as Django prepares them for that database.
    """
    if not rows:
        return
    connection = connections[using]
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        started = time.monotonic()
        if connection.vendor == "postgresql":
            sql = f"COPY {qn(meta.db_table)} ({names}) FROM STDIN"
            types = _binary_copy_types(connection, fields)
            if types is None:
                _copy_text(cursor.cursor, meta.db_table, names, fields, rows, qn)
            else:
                _copy_binary(cursor.cursor, meta.db_table, names, fields, types, rows, qn)
        else:
            sql = f"INSERT INTO {qn(meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            # Only dates, datetimes and the like need the backend's conversion; text and numbers go as they are.
            convert = [
                (index, f)
                for index, f in enumerate(fields)
                if f.get_internal_type() not in _AS_IS or f.get_internal_type() in {"DateField", "DateTimeField"}
            ]
            # A batch repeats its dates and times (one "now" for every row): each converted once.
            timed = {"DateField", "DateTimeField"}
            converted: list[dict[Any, Any] | None] = [
                {} if f.get_internal_type() in timed else None for _i, f in convert
            ]
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                if convert:
                    prepared = []
                    for row in chunk:
                        values = list(row)
                        for (index, f), seen in zip(convert, converted, strict=True):
                            value = values[index]
                            if seen is None:
                                values[index] = f.get_db_prep_save(value, connection)
                            elif value in seen:  # dates and datetimes are equal only to their own kind
                                values[index] = seen[value]
                            else:
                                values[index] = seen[value] = f.get_db_prep_save(value, connection)
                        prepared.append(values)
                    chunk = prepared
                cursor.executemany(sql, chunk)
        if connection.queries_logged:  # as Django's debug cursor logs an INSERT (tests count statements)
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


# PostgreSQL types whose Python values (as the bulk paths hold them) psycopg writes in COPY's binary
# format: the server then stores them without parsing text (ADR 0021). Any other type: text COPY.
_BINARY_COPY_TYPES = {"bool", "date", "inet", "int2", "int4", "int8", "jsonb", "text", "timestamptz", "varchar"}


def _binary_copy_types(connection: Any, fields: Sequence[models.Field[Any, Any]]) -> list[str] | None:
    """Each field's PostgreSQL type name for a binary ``COPY``, or None if one of them has no binary path here."""
    registry = connection.connection.adapters.types
    names = []
    for field in fields:
        db_type = field.db_type(connection) or ""
        info = registry.get(db_type.split("(", 1)[0].strip())
        if info is None or info.name not in _BINARY_COPY_TYPES:
            return None
        names.append(info.name)
    return names


# One C-accelerated encoder for JSON columns without an encoder of their own; UTF-8 as it is, since
# the database stores the parsed value (jsonb), not the text.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _json_dumps(encoder: type[json.JSONEncoder] | None) -> Any:
    if encoder is None:
        return _JSON_ENCODER.encode
    return lambda value: json.dumps(value, cls=encoder)


def _copy_binary(
    cursor: Any, table: str, names: str, fields: Sequence[models.Field[Any, Any]], types: list[str], rows: Any, qn: Any
) -> None:
    """``COPY … (FORMAT BINARY)``: values typed on the client, nothing for the server to parse."""
    adapt: list[tuple[int, Any]] = []
    for index, (field, kind) in enumerate(zip(fields, types, strict=True)):
        if kind == "jsonb":
            dumps = _json_dumps(getattr(field, "encoder", None))
            adapt.append((index, lambda value, dumps=dumps: Jsonb(value, dumps)))
        elif kind == "inet":  # GenericIPAddressField holds text; the binary format wants an address
            adapt.append((index, lambda value: ipaddress.ip_address(value) if isinstance(value, str) else value))
    with cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        write = copy.write_row
        if not adapt:
            for row in rows:
                write(row)
            return
        for row in rows:
            row = list(row)
            for index, convert in adapt:
                if row[index] is not None:
                    row[index] = convert(row[index])
            write(row)


def _copy_text(
    cursor: Any, table: str, names: str, fields: Sequence[models.Field[Any, Any]], rows: Any, qn: Any
) -> None:
    """``COPY`` in text format, for tables with a column type the binary path does not cover."""
    json_columns = [
        (index, _json_dumps(getattr(f, "encoder", None)))
        for index, f in enumerate(fields)
        if f.get_internal_type() == "JSONField"
    ]
    with cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            if json_columns:
                row = list(row)
                for index, dumps in json_columns:
                    row[index] = None if row[index] is None else dumps(row[index])
            copy.write_row(row)


def array_literal(values: Iterable[str | int | dt.date | None]) -> str:
    """``values`` as one PostgreSQL array literal, for a parameter cast to an array (``%s::varchar[]``).

    psycopg adapts a Python list for a query one element at a time in Python (ADR 0023);
    a batch's checks send several arrays of a thousand values each. The literal is one
    string, which psycopg quotes at once. Text is double-quoted with its backslashes and
    double quotes escaped (the array syntax's own rules), so commas, braces, spaces and
    any other character arrive as they are;
    ``None`` is NULL. Integers and dates only otherwise (never a bool).
    """
    values = values if isinstance(values, list | tuple) else list(values)
    # The common arrays (keys, amounts, months, codes) are of one plain type: joined in one call.
    kinds = {type(value) for value in values}
    if kinds <= {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds <= {dt.date, type(None)}:
        return "{" + ",".join("NULL" if value is None else value.isoformat() for value in values) + "}"
    if kinds == {str} and not any('"' in value or "\\" in value for value in values):
        return '{"' + '","'.join(values) + '"}'
    parts = []
    for value in values:
        if isinstance(value, str):
            if "\\" in value or '"' in value:
                value = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{value}"')
        elif value is None:
            parts.append("NULL")
        elif isinstance(value, int) and not isinstance(value, bool):
            parts.append(str(value))
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            parts.append(value.isoformat())
        else:
            raise TypeError(f"no array literal for {type(value).__name__}")
    return "{" + ",".join(parts) + "}"


def keys_draw(model: type[models.Model], count: int, *, using: str = "default") -> list[int]:
    """``count`` new primary keys from ``model``'s sequence (PostgreSQL), for rows written by ``insert_rows``."""
    meta = model._meta
    assert meta.pk is not None  # noqa: S101 — every concrete model has one
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [key for (key,) in cursor.fetchall()]


def insert_rows_keyed(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, using: str = "default"
) -> list[int]:
    """As ``insert_rows``, returning the new rows' primary keys in the rows' order.

    PostgreSQL: the keys are drawn from the sequence first (``keys_draw``) and written with the
    rows in one ``COPY``. Elsewhere the rows go through ``bulk_create``, which returns their keys.
    """
    if not rows:
        return []
    meta = model._meta
    assert meta.pk is not None  # noqa: S101 — every concrete model has one
    if connections[using].vendor == "postgresql":
        keys = keys_draw(model, len(rows), using=using)
        keyed = [(key, *row) for key, row in zip(keys, rows, strict=True)]
        insert_rows(model, [meta.pk.attname, *columns], keyed, using=using)
        return keys
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    return [obj.pk for obj in model._default_manager.using(using).bulk_create(objs)]


@contextmanager
def atomic_unflushed(using: str = "default") -> Iterator[None]:
    """``transaction.atomic()`` whose commit does not wait for the disk.

    For work that is redone when lost, such as an import batch committed with its
    watermark (ADR 0012): after a power cut the last such commits may be missing,
    whole, never half-written. PostgreSQL: ``synchronous_commit`` off for this
    transaction. SQLite (WAL): ``synchronous = NORMAL`` and a larger log before the
    next checkpoint, for this transaction. Only when this is the outermost transaction
    (SQLite allows the change only between transactions, and PostgreSQL's would hold
    for the whole enclosing one): nested, it is a plain savepoint. Every other write
    keeps the database's full durability.
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    restore: list[str] = []
    if connection.vendor == "sqlite" and outermost:
        with connection.cursor() as cursor:
            for pragma, value in _SQLITE_UNFLUSHED.items():
                cursor.execute(f"PRAGMA {pragma}")
                restore.append(f"PRAGMA {pragma} = {int(cursor.fetchone()[0])}")
                cursor.execute(f"PRAGMA {pragma} = {value}")
    try:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            yield
    finally:
        if restore:
            with connection.cursor() as cursor:
                for statement in restore:
                    cursor.execute(statement)


# A batch of a thousand members fills SQLite's default write-ahead log (1,000 pages), so each
# commit also copied the log back into the database file and waited for the disk. With a
# larger log, pages written by several batches (index pages above all) are copied once.
_SQLITE_UNFLUSHED = {"synchronous": 1, "wal_autocheckpoint": 16384}  # NORMAL; 64 MiB of 4 KiB pages


# Net new container objects before Python's youngest generation is collected during bulk work
# (Python's default is 700). Measured on a 50,000-row import: the default ran about 2,000
# collections, a fifth of the import process's CPU, for garbage that plain reference counting
# already frees; memory stays flat with this threshold (ADR 0020).
BULK_GC_THRESHOLD = 50_000


_collector_lock = threading.Lock()
_collector_runs: list[tuple[int, int, int]] = []  # the thresholds to restore, one entry per run in progress


@contextmanager
def collector_relaxed(threshold: int = BULK_GC_THRESHOLD) -> Iterator[None]:
    """Python's cyclic garbage collector tuned for long bulk work, while the block runs.

    Objects alive when the first such block starts (modules, settings, reference rows, Django's
    caches) are frozen out of collection (``gc.freeze``), so a collection no longer walks them
    again and again; the youngest generation waits for ``threshold`` net new objects instead of
    Python's 700. Garbage in reference cycles is still collected, only less often. The collector
    is process-wide: blocks nested or running at once in several threads share one relaxed
    collector (the first one's threshold), and Python's settings come back when the last one
    ends, whatever happens in it.
    """
    with _collector_lock:
        if not _collector_runs:
            before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(threshold, *before[1:])
        else:
            before = _collector_runs[0]
        _collector_runs.append(before)
    try:
        yield
    finally:
        with _collector_lock:
            _collector_runs.pop()
            if not _collector_runs:
                gc.set_threshold(*before)
                gc.unfreeze()
