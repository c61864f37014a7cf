"""Bulk-import benchmark: Rangkul's ``import_workers`` against a raw ``COPY`` of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python -m bench.import_bench --rows 1000000

It uses its own database (``rangkul_import_bench`` on PostgreSQL, or
bench/results/import_bench.sqlite3; ``RANGKUL_IMPORT_BENCH_DB=name`` picks
another), generates an N-row CSV of valid, distinct people, runs
``manage.py import_workers`` in a child process (so that its peak memory is
measured alone), then loads the same file with ``COPY`` into a plain
table. It prints rows/s for both, the ratio and the import's peak memory.
Nothing here asserts a time: the figures are for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HEADER = [
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Kelamin",
    "Nomor HP",
    "Kode Desa",
    "Pekerjaan",
    "Penghasilan",
    "JHT",
]
SYLLABLES = ["ba", "di", "su", "ma", "ni", "ra", "to", "wi", "ya", "ko", "le", "sa", "ti", "nu", "go", "pe"]
PARTNER = "bench-partner"


def _database_url() -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "").strip()
    name = os.environ.get("RANGKUL_IMPORT_BENCH_DB", "").strip() or "rangkul_import_bench"
    if url.startswith(("postgres://", "postgresql://")):
        base, _, _name = url.rpartition("/")
        return f"{base}/{name}", "postgresql"
    RESULTS.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{RESULTS / (name + '.sqlite3')}", "sqlite"


def _name(i: int) -> str:
    parts = []
    for _ in range(2):
        word = ""
        n = i
        for _ in range(3):
            word += SYLLABLES[n % len(SYLLABLES)]
            n //= len(SYLLABLES)
        parts.append(word.capitalize())
        i = i // 4096 + 7 * (i % 4096)
    return " ".join(parts)


def generate(path: Path, rows: int, villages: list[str]) -> None:
    """Valid, distinct people: NIK region 33.74, birth dates spread over 1970-2000."""
    start = dt.date(1970, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            serial = i % 9999 + 1
            birth = start + dt.timedelta(days=(i // 9999) * 3 % 10950)
            female = (i // 9999) % 2 == 1
            day = birth.day + (40 if female else 0)
            nik = f"337401{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
            writer.writerow(
                [
                    nik,
                    _name(i),
                    birth.strftime("%d/%m/%Y"),
                    "P" if female else "L",
                    f"0813{i:08d}",
                    villages[i % len(villages)],
                    "pedagang",
                    1_000_000 + (i % 50) * 100_000,
                    "ya" if i % 3 else "tidak",
                ]
            )


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["RANGKUL_ENV"] = "development"
    # Uploaded copies of the generated file stay with the benchmark's results, not in the working media.
    os.environ["RANGKUL_MEDIA_ROOT"] = str(RESULTS / "media")
    os.environ.setdefault("RANGKUL_DEBUG", "false")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'DROP DATABASE "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", stdout=open(os.devnull, "w"))  # noqa: SIM115


def _villages() -> list[str]:
    from rangkul.regions.models import Village

    return list(Village.objects.filter(code__startswith="33.74.").order_by("code").values_list("code", flat=True)[:200])


def run_import(path: Path, batch_size: int | None) -> tuple[float, float, dict[str, int]]:
    """Seconds, peak memory (MiB) of the child process, and its JSON summary."""
    from rangkul.partners.models import Organisation

    Organisation.objects.get_or_create(code=PARTNER, defaults={"name": "Benchmark partner", "kind": "community"})
    command = [sys.executable, str(ROOT / "manage.py"), "import_workers", str(path), "--partner", PARTNER]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(done.returncode)
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024  # kB → MiB on Linux
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, peak, summary


def run_copy(path: Path) -> float:
    """The floor: the same file into a plain table with no checks (COPY on PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_workers")
        cursor.execute(
            "CREATE TABLE bench_raw_workers (nik text, full_name text, birth_date text, sex text, phone text, "
            "village_code text, occupation text, declared_income_idr bigint, jht text)"
        )
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        sql = "COPY bench_raw_workers FROM STDIN WITH (FORMAT csv, HEADER true)"
        with raw.cursor() as cursor, path.open("rb") as handle, cursor.copy(sql) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        raw.commit()
    else:
        # SQLite has no COPY: the floor is executemany in one transaction.
        from django.db import transaction

        with transaction.atomic(), connection.cursor() as cursor, path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            while rows := list(itertools.islice(reader, 10_000)):
                cursor.executemany("INSERT INTO bench_raw_workers VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="import_bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--file", type=Path, default=None, help="where to write the generated CSV")
    args = parser.parse_args(argv)

    url, database = _database_url()
    _setup(url)
    path = args.file or RESULTS / f"import_bench_{args.rows}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate(path, args.rows, _villages())
    print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")

    seconds, peak_mib, summary = run_import(path, args.batch_size)
    copy_seconds = run_copy(path)
    rangkul_rate = args.rows / seconds
    copy_rate = args.rows / copy_seconds
    result = {
        "database": database,
        "rows": args.rows,
        "summary": summary,
        "rangkul_seconds": round(seconds, 2),
        "rangkul_rows_per_s": round(rangkul_rate, 1),
        "rangkul_peak_mib": round(peak_mib, 1),
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_s": round(copy_rate, 1),
        "ratio_vs_copy": round(rangkul_rate / copy_rate, 5),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    print(f"rangkul import   {rangkul_rate:>12,.0f} rows/s  ({seconds:,.1f} s, peak {peak_mib:,.0f} MiB) {summary}")
    print(
        f"raw {'COPY' if database == 'postgresql' else 'executemany'}  "
        f"{copy_rate:>12,.0f} rows/s  ({copy_seconds:,.2f} s)"
    )
    print(f"ratio            {rangkul_rate / copy_rate:.4f} (target ≥ 0.167 on PostgreSQL, 1M rows ≤ 30 s, < 1 GB)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
