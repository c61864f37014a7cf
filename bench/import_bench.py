"""Bulk-import benchmark: Rangkul's ``import_workers`` against a raw ``COPY`` of the same rows and django-import-export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python -m bench.import_bench --rows 1000000

It uses its own database (``rangkul_import_bench`` on PostgreSQL, or
bench/results/import_bench.sqlite3; ``RANGKUL_IMPORT_BENCH_DB=name`` picks
another), generates an N-row CSV of valid, distinct people, runs
``manage.py import_workers`` in a child process (so that its peak memory is
measured alone), then loads the same file with ``COPY`` into a plain table, and
finally imports a slice of other people (20,000 rows by default) into the same
Worker table with django-import-export (the resource below: the registry's own
sealing, hashing and normalising helpers, one row at a time as the library
does). It prints rows/s for each, the ratios and the import's peak memory.

Before the import it measures the floor (``run_floor``): the same people's finished
member rows and partner memberships, prepared before the clock starts, written into
the registry's own tables (every index and foreign key) in as many sessions as the
import uses, then removed again. No import that registers these people can write less,
so the floor says what the database alone needs on this machine.
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def generate(path: Path, rows: int, villages: list[str], *, first: int = 0) -> None:
    """Valid, distinct people: NIK region 33.74, birth dates spread over 1970-2000.

    Person ``i`` is the same in every file; ``first`` starts further on (other people).
    """
    start = dt.date(1970, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(first, first + rows):
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


def _organisation() -> Any:
    from rangkul.partners.models import Organisation

    organisation, _created = Organisation.objects.get_or_create(
        code=PARTNER, defaults={"name": "Benchmark partner", "kind": "community"}
    )
    return organisation


def run_import(path: Path, batch_size: int | None) -> tuple[float, float, dict[str, int]]:
    """Seconds, peak memory (MiB) of the child process, and its JSON summary."""
    _organisation()
    command = [sys.executable, str(ROOT / "manage.py"), "import_workers", str(path), "--partner", PARTNER]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=os.environ.copy(), stdout=out, stderr=err)  # noqa: S603
        # This child's own figures (its forked import sessions included), not those of every child
        # this process ever had: the floor's sessions hold the prepared rows and would count too.
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode:
        sys.stderr.write(stderr[-4000:])
        raise SystemExit(child.returncode)
    peak = usage.ru_maxrss / 1024  # kB → MiB on Linux
    summary = json.loads(stdout.strip().splitlines()[-1])
    return seconds, peak, summary


def run_import_here(path: Path, batch_size: int | None) -> tuple[float, dict[str, int]]:
    """The same import in this process (the tiny benchmark in tests); no peak memory of its own."""
    from django.core.files import File

    from rangkul.audit.actors import Actor
    from rangkul.core.bulk import collector_relaxed
    from rangkul.core.processes import forked
    from rangkul.partners.services import import_job_create, import_job_run

    organisation = _organisation()
    started = time.perf_counter()
    with path.open("rb") as handle:
        job, _created = import_job_create(
            actor=Actor.system("bench"), organisation=organisation, upload=File(handle, name=path.name), name=path.name
        )
    with collector_relaxed():
        job = import_job_run(job_id=job.pk, batch_size=batch_size, parts_runner=forked)
    return time.perf_counter() - started, job.summary()


def floor_columns() -> tuple[str, ...]:
    """The member columns the floor writes: the key, then exactly those a bulk registration writes."""
    from rangkul.registry.services import WORKER_COLUMNS

    return ("id", *WORKER_COLUMNS)


FLOOR_MEMBERSHIP_COLUMNS = ("organisation_id", "worker_id", "joined_at")


def floor_rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The file's people as the registry stores them (sealed, hashed, normalised) and their memberships.

    The generated file is clean, so nothing is checked: this is the work left once every
    rule has passed. Keys and membership numbers are drawn here too, distinct, after those in use.
    """
    from django.db.models import Max
    from django.utils import timezone

    from rangkul.accounts.models import BranchOffice
    from rangkul.core.crypto import lookup_hash, seal
    from rangkul.regions.models import Village
    from rangkul.registry import identity
    from rangkul.registry.membership import membership_number_new
    from rangkul.registry.models import Channel, Occupation, Worker, WorkerStatus

    occupation = Occupation.objects.get(code="pedagang").pk
    # The branch registration gives a member: the first active office of the village's regency.
    offices: dict[str, int] = {}
    for office in BranchOffice.objects.filter(is_active=True).order_by("code"):
        offices.setdefault(office.regency_id, office.pk)
    branch_of = {code: offices.get(code[:5]) for code in Village.objects.values_list("code", flat=True)}
    organisation = _organisation().pk
    now = timezone.now()
    taken = set(Worker.objects.values_list("membership_number", flat=True))
    key = Worker.objects.aggregate(top=Max("pk"))["top"] or 0
    columns = floor_columns()
    workers: list[tuple[Any, ...]] = []
    memberships: list[tuple[Any, ...]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for nik, name, birth, sex, phone, village, _occupation, income, jht in reader:
            while (number := membership_number_new()) in taken:
                pass
            taken.add(number)
            key += 1
            day, month, year = (int(part) for part in birth.split("/"))
            full_name = identity.name_normalize(name)
            values: dict[str, Any] = {
                "id": key,
                "membership_number": number,
                "nik_sealed": seal(nik, purpose="nik"),
                "nik_hash": lookup_hash(nik),
                "full_name": full_name,
                "name_normalized": identity.name_search_key(full_name),
                "birth_date": dt.date(year, month, day),
                "sex": "F" if sex == "P" else "M",
                "phone": identity.phone_normalize(phone),
                "phone_verified_at": None,
                "email": "",
                "village_id": village,
                "address": "",
                "postal_code": "",
                "occupation_id": occupation,
                "second_occupation_id": None,
                "declared_income_idr": int(income),
                "jht": jht == "ya",
                "payment_period_months": 1,
                "branch_id": branch_of.get(village),
                "channel": Channel.IMPORT.value,
                "registered_at": now,
                "registered_by_id": None,
                "registered_by_organisation": PARTNER,
                "identity_warnings": [],
                "status": WorkerStatus.ACTIVE.value,
                "referral_code": "",
            }
            workers.append(tuple(values[name] for name in columns))
            memberships.append((organisation, key, now))
    return workers, memberships


def _floor_write(
    workers: list[tuple[Any, ...]], memberships: list[tuple[Any, ...]], part: int, parts: int, size: int
) -> None:
    """Part ``part`` of ``parts``: batches part, part + parts, … of ``size`` rows, each committed as an import batch."""
    from rangkul.core.bulk import atomic_unflushed, insert_rows
    from rangkul.partners.models import Membership
    from rangkul.registry.models import Worker

    for start in range(part * size, len(workers), parts * size):
        with atomic_unflushed():
            insert_rows(Worker, floor_columns(), workers[start : start + size])
            insert_rows(Membership, FLOOR_MEMBERSHIP_COLUMNS, memberships[start : start + size])


def _floor_part(
    workers: list[tuple[Any, ...]], memberships: list[tuple[Any, ...]], part: int, parts: int, size: int
) -> None:
    from django.db import connections

    try:
        _floor_write(workers, memberships, part, parts, size)
    finally:
        connections.close_all()


def _floor_remove(workers: list[tuple[Any, ...]], *, everything: bool) -> None:
    """Take the floor's rows out again, so that the import starts from the same tables."""
    from django.db import connection, transaction

    from rangkul.partners.models import Membership
    from rangkul.registry.models import Worker

    members, memberships = Worker._meta.db_table, Membership._meta.db_table
    with connection.cursor() as cursor:
        if everything and connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {memberships}, {members} CASCADE")
            return
        if everything:  # SQLite: emptied whole, without a foreign-key check per row
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute(f"DELETE FROM {memberships}")  # noqa: S608
            cursor.execute(f"DELETE FROM {members}")  # noqa: S608
            cursor.execute("PRAGMA foreign_keys = ON")
            return
        keys = [row[0] for row in workers]
        with transaction.atomic():
            for start in range(0, len(keys), 5000):
                chunk = keys[start : start + 5000]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {memberships} WHERE worker_id IN ({marks})", chunk)  # noqa: S608
                cursor.execute(f"DELETE FROM {members} WHERE id IN ({marks})", chunk)  # noqa: S608


def _floor_measure(path: Path, parts: int, size: int, *, remove_all: bool) -> float:
    """Prepare the file's finished rows, time their writing in ``parts`` sessions, remove them again."""
    import multiprocessing

    from django.db import connections

    from rangkul.registry.models import Worker

    workers, memberships = floor_rows(path)
    empty_before = not Worker.objects.exists()
    started = time.perf_counter()
    if parts == 1:
        _floor_write(workers, memberships, 0, 1, size)
    else:
        connections.close_all()  # none may cross the fork
        context = multiprocessing.get_context("fork")
        children = [
            context.Process(target=_floor_part, args=(workers, memberships, part, parts, size)) for part in range(parts)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join()
        if any(child.exitcode for child in children):
            raise SystemExit("the floor's sessions failed")
    seconds = time.perf_counter() - started
    _floor_remove(workers, everything=empty_before and remove_all)
    return seconds


def _floor_child(send: Any, path: Path, parts: int, size: int) -> None:
    from django.db import connections

    try:
        send.send(_floor_measure(path, parts, size, remove_all=True))
    finally:
        connections.close_all()


def run_floor(path: Path, *, parts: int, batch_size: int | None = None, in_process: bool = False) -> tuple[float, int]:
    """Seconds to write the file's finished members and memberships in ``parts`` sessions, and the sessions used.

    The rows are prepared before the clock starts, in batches of the import's size, and
    removed afterwards (the whole tables, in the benchmark's own database; row by row in a
    test's). Outside tests this runs in a child process of its own: the prepared rows must
    not enlarge this one, whose peak size a child started later (the import) reports as its own.
    """
    import multiprocessing

    from django.conf import settings
    from django.db import connection, connections

    size = batch_size or settings.PARTNER_IMPORT_BATCH_SIZE
    if connection.vendor != "postgresql" or in_process:
        parts = 1
    if in_process:
        return _floor_measure(path, parts, size, remove_all=False), parts
    connections.close_all()  # none may cross the fork
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_floor_child, args=(send, path, parts, size))
    child.start()
    send.close()
    try:
        seconds: float = receive.recv()
    except EOFError:
        seconds = 0.0
    child.join()
    if child.exitcode or not seconds:
        raise SystemExit("the floor failed")
    return seconds, parts


def run_copy(path: Path) -> float:
    """The raw baseline: the same file's text into a plain table with no checks (COPY on PostgreSQL)."""
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


def worker_resource() -> Any:
    """A django-import-export resource that writes valid Worker rows from the benchmark's file.

    It lives here, not in the app: it is the comparison, not a way in. Each row
    gets what the registry stores for a member (sealed NIK, keyed hash, membership
    number, normalised name and phone, village, occupation, branch-less); the
    checks are the cheap ones a typical resource would do, not Rangkul's rules.
    """
    from django.utils import timezone
    from import_export import fields, resources, widgets

    from rangkul.core.crypto import lookup_hash, seal
    from rangkul.registry import identity
    from rangkul.registry.membership import membership_number_new
    from rangkul.registry.models import Channel, Occupation, Worker

    class WorkerResource(resources.ModelResource):
        occupation = fields.Field(
            attribute="occupation", column_name="occupation", widget=widgets.ForeignKeyWidget(Occupation, field="code")
        )
        village = fields.Field(attribute="village_id", column_name="village_code")

        class Meta:
            model = Worker
            import_id_fields = ("nik_hash",)
            fields = (
                "nik_hash",
                "nik_sealed",
                "membership_number",
                "full_name",
                "name_normalized",
                "birth_date",
                "sex",
                "phone",
                "village",
                "occupation",
                "declared_income_idr",
                "jht",
                "channel",
                "registered_by_organisation",
            )
            use_bulk = True  # the library's fastest documented setting: bulk_create per batch
            batch_size = 1000
            skip_diff = True
            use_transactions = True

        def before_import(self, dataset: Any, **kwargs: Any) -> None:
            # The file has the partner's (Indonesian) headers; the model's columns are filled row by row.
            for name in self._meta.fields:
                if name not in dataset.headers:
                    dataset.append_col([None] * len(dataset), header=name)
            # Membership numbers are random: at 10⁵ members a collision is likely, so draw around those taken.
            self.numbers_taken = set(Worker.objects.values_list("membership_number", flat=True))

        def _membership_number(self) -> str:
            while (number := membership_number_new()) in self.numbers_taken:
                pass
            self.numbers_taken.add(number)
            return number

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            nik = identity.nik_compact(row["NIK"])
            if identity.nik_parse(nik) is None:
                raise ValueError("not a NIK")
            day, month, year = (int(part) for part in row["Tanggal Lahir"].split("/"))
            full_name = identity.name_normalize(row["Nama Lengkap"])
            row.update(
                {
                    "nik_hash": lookup_hash(nik),
                    "nik_sealed": seal(nik, purpose="nik"),
                    "membership_number": self._membership_number(),
                    "full_name": full_name,
                    "name_normalized": identity.name_search_key(full_name),
                    "birth_date": dt.date(year, month, day).isoformat(),
                    "sex": {"L": "M", "P": "F"}[row["Jenis Kelamin"]],
                    "phone": identity.phone_normalize(row["Nomor HP"]),
                    "village_code": row["Kode Desa"],
                    "occupation": row["Pekerjaan"],
                    "declared_income_idr": int(row["Penghasilan"]),
                    "jht": row["JHT"] == "ya",
                    "channel": Channel.IMPORT,
                    "registered_by_organisation": PARTNER,
                }
            )

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.registered_at = timezone.now()

    return WorkerResource()


def run_import_export(path: Path) -> tuple[float, int]:
    """Seconds and rows imported by django-import-export (the file read with tablib, as the library does)."""
    import tablib

    from rangkul.registry.models import Worker

    before = Worker.objects.count()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    started = time.perf_counter()
    result = worker_resource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("django-import-export reported errors")
    return seconds, Worker.objects.count() - before


def measure(
    directory: Path, rows: int, *, slice_rows: int = 20_000, batch_size: int | None = None, in_process: bool = False
) -> dict[str, Any]:
    """Generate the files, then time the floor, Rangkul, COPY and django-import-export against the current database."""
    from django.conf import settings
    from django.db import connection

    directory.mkdir(parents=True, exist_ok=True)
    villages = _villages()
    path = directory / f"import_bench_{rows}.csv"
    generate(path, rows, villages)
    slice_rows = min(slice_rows, rows)
    slice_path = directory / f"import_bench_slice_{slice_rows}.csv"
    generate(slice_path, slice_rows, villages, first=rows)  # other people than the main file's

    # As many sessions as the import gives this file (ADR 0019).
    parts = settings.PARTNER_IMPORT_PARTS if rows >= settings.PARTNER_IMPORT_PARALLEL_MIN_ROWS else 1
    floor_seconds, floor_parts = run_floor(path, parts=parts, batch_size=batch_size, in_process=in_process)
    if in_process:
        seconds, summary = run_import_here(path, batch_size)
        peak_mib = 0.0
    else:
        seconds, peak_mib, summary = run_import(path, batch_size)
    copy_seconds = run_copy(path)
    export_seconds, export_rows = run_import_export(slice_path)
    rangkul_rate = rows / seconds
    copy_rate = rows / copy_seconds
    export_rate = export_rows / export_seconds if export_seconds else 0.0
    floor_rate = rows / floor_seconds
    return {
        "database": connection.vendor,
        "rows": rows,
        "summary": summary,
        "rangkul_seconds": round(seconds, 2),
        "rangkul_rows_per_s": round(rangkul_rate, 1),
        "rangkul_peak_mib": round(peak_mib, 1),
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_s": round(copy_rate, 1),
        "ratio_vs_copy": round(rangkul_rate / copy_rate, 5),
        "floor_seconds": round(floor_seconds, 2),
        "floor_rows_per_s": round(floor_rate, 1),
        "floor_sessions": floor_parts,
        "ratio_vs_floor": round(rangkul_rate / floor_rate, 4),
        "import_export_rows": export_rows,
        "import_export_seconds": round(export_seconds, 2),
        "import_export_rows_per_s": round(export_rate, 1),
        "ratio_vs_import_export": round(rangkul_rate / export_rate, 3) if export_rate else 0.0,
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="import_bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=20_000, help="rows imported with django-import-export")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=RESULTS, help="where to write the generated CSV files")
    args = parser.parse_args(argv)

    url, _database = _database_url()
    _setup(url)
    started = time.perf_counter()
    result = measure(args.dir, args.rows, slice_rows=args.slice, batch_size=args.batch_size)
    print(f"total {time.perf_counter() - started:,.1f} s")
    copy_label = "raw COPY" if result["database"] == "postgresql" else "raw executemany"
    print(
        f"rangkul import         {result['rangkul_rows_per_s']:>12,.0f} rows/s  ({result['rangkul_seconds']:,.1f} s, "
        f"peak {result['rangkul_peak_mib']:,.0f} MiB) {result['summary']}"
    )
    print(
        f"floor                  {result['floor_rows_per_s']:>12,.0f} rows/s  ({result['floor_seconds']:,.1f} s: "
        f"finished members and memberships into the registry's tables, {result['floor_sessions']} session(s))"
    )
    print(f"{copy_label:<22} {result['copy_rows_per_s']:>12,.0f} rows/s  ({result['copy_seconds']:,.2f} s)")
    print(
        f"django-import-export   {result['import_export_rows_per_s']:>12,.0f} rows/s  "
        f"({result['import_export_rows']:,} rows in {result['import_export_seconds']:,.1f} s)"
    )
    print(
        f"ratio vs {copy_label.removeprefix('raw '):<14}{result['ratio_vs_copy']:.4f} "
        "(target ≥ 0.167 of COPY on PostgreSQL, 1M rows ≤ 30 s, < 1 GB; SQLite 1M ≤ 120 s); "
        f"vs django-import-export {result['ratio_vs_import_export']:.1f}×; vs the floor {result['ratio_vs_floor']:.3f}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
