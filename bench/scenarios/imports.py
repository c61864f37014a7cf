"""Bulk import of a partner's file: Rangkul's import against a raw COPY, the floor and django-import-export.

The floor is the same people's finished member rows and memberships written into the
registry's own tables (``bench.import_bench.run_floor``): what the database alone needs.

At the tiny size (tests) the import runs in this process against the current
database. At every other size it runs ``bench/import_bench.py`` in a child
process with a database of its own (the bench database's name + ``_import``),
so that the benchmark population is not changed and the import's peak memory is
its own: 20,000 rows at 10k, 100,000 at 100k, 1,000,000 at 1m.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import override_settings

from bench.core import Context, Result, scenario
from bench.import_bench import ROOT, measure
from rangkul.registry.models import Occupation
from rangkul.registry.services import occupations_load

ROWS = {"tiny": 200, "10k": 20_000, "100k": 100_000, "1m": 1_000_000}
SLICE = 20_000  # rows imported with django-import-export (fewer at the tiny size)
TARGET = "1M rows ≤ 30 s on PostgreSQL (≥ 1/6 of COPY), peak < 1 GB; SQLite ≤ 120 s"


def _in_child(rows: int, slice_rows: int) -> dict[str, Any]:
    name = str(connection.settings_dict["NAME"])
    env = os.environ.copy()
    env["RANGKUL_IMPORT_BENCH_DB"] = f"{Path(name).stem}_import"
    directory = ROOT / "bench" / "results" / "imports"
    command = [sys.executable, "-m", "bench.import_bench", "--rows", str(rows), "--slice", str(slice_rows)]
    command += ["--dir", str(directory)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"import benchmark failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _here(rows: int, slice_rows: int) -> dict[str, Any]:
    if not Occupation.objects.exists():
        occupations_load()  # transactional tests start with empty tables
    with tempfile.TemporaryDirectory() as directory, override_settings(MEDIA_ROOT=directory):
        return measure(Path(directory) / "files", rows, slice_rows=slice_rows, in_process=True)


@scenario("bulk_import")
def bulk_import(ctx: Context) -> list[Result]:
    rows = ROWS.get(ctx.size_name, ctx.members)
    slice_rows = min(SLICE, rows // 2 if ctx.tiny else rows)
    measured = _here(rows, slice_rows) if ctx.tiny else _in_child(rows, slice_rows)
    copy_label = "raw COPY" if measured["database"] == "postgresql" else "raw executemany"
    summary = measured["summary"]
    details = {
        "rows": rows,
        "imported": summary["imported"],
        "rejected": summary["rejected"],
        "seconds": measured["rangkul_seconds"],
        "peak_mib": measured["rangkul_peak_mib"],
        "import_export_rows": measured["import_export_rows"],
        "import_export_seconds": measured["import_export_seconds"],
        "floor_seconds": measured["floor_seconds"],
        "floor_sessions": measured["floor_sessions"],
    }
    return [
        Result(
            scenario="bulk import",
            figure=measured["rangkul_rows_per_s"],
            unit="rows/s",
            baseline=measured["copy_rows_per_s"],
            baseline_label=f"{copy_label} of the same file, rows/s",
            target=TARGET,
            details=details,
        ),
        Result(
            scenario="bulk import vs the floor",
            figure=measured["rangkul_rows_per_s"],
            unit="rows/s",
            baseline=measured["floor_rows_per_s"],
            baseline_label=(
                f"the same people's finished members and memberships into the registry's tables "
                f"({measured['floor_sessions']} session(s)), rows/s"
            ),
            target=TARGET,
            details=details,
        ),
        Result(
            scenario="bulk import vs django-import-export",
            figure=measured["rangkul_rows_per_s"],
            unit="rows/s",
            baseline=measured["import_export_rows_per_s"],
            baseline_label=f"django-import-export, {measured['import_export_rows']:,} other rows, rows/s",
            target="faster than the usual Django import library",
            details=details,
        ),
    ]
