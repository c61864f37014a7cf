"""Parquet for analysts: the open coverage rows written by DuckDB (typed columns, nulls kept as nulls)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

# Column → DuckDB type, in the order of the CSV's columns.
OPEN_COVERAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "VARCHAR"),
    ("name", "VARCHAR"),
    ("members_active", "BIGINT"),
    ("workforce_informal", "BIGINT"),
    ("coverage_rate", "DOUBLE"),
    ("as_of", "DATE"),
    ("workforce_release", "VARCHAR"),
)


def parquet_bytes(*, columns: Sequence[tuple[str, str]], records: Sequence[Sequence[object]]) -> bytes:
    """One Parquet file (zstd) of ``records`` under ``columns``; an in-memory DuckDB, a private temporary file."""
    definition = ", ".join(f'"{name}" {kind}' for name, kind in columns)
    marks = ", ".join("?" for _ in columns)
    with tempfile.TemporaryDirectory(prefix="rangkul-parquet-") as folder, duckdb.connect(":memory:") as con:
        target = Path(folder) / "data.parquet"
        con.execute(f"CREATE TABLE rows ({definition})")
        if records:
            con.executemany(f"INSERT INTO rows VALUES ({marks})", [_typed(columns, record) for record in records])  # noqa: S608
        con.execute(f"COPY rows TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        return target.read_bytes()


def _typed(columns: Sequence[tuple[str, str]], record: Sequence[object]) -> list[object]:
    """ISO days (as the open rows carry them) become dates for DATE columns."""
    return [
        dt.date.fromisoformat(value) if kind == "DATE" and isinstance(value, str) else value
        for (_name, kind), value in zip(columns, record, strict=True)
    ]
