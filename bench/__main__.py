"""``python -m bench [--size tiny|10k|100k|1m] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _prepare_database() -> str:
    """Benchmarks never touch the working database: they get their own."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url.startswith(("postgres://", "postgresql://")):
        base, _, _name = url.rpartition("/")
        bench_url = f"{base}/{os.environ.get('RANGKUL_BENCH_DB', 'rangkul_bench')}"
        os.environ["DATABASE_URL"] = bench_url
        return "postgresql"
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = os.environ.get("RANGKUL_BENCH_DB", "bench")
    os.environ["DATABASE_URL"] = f"sqlite:///{results / f'{name}.sqlite3'}"
    return "sqlite"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--size", choices=["tiny", "10k", "100k", "1m"], default="10k")
    parser.add_argument("--only", nargs="*", default=[], help="scenario names to run (default: all)")
    parser.add_argument("--seconds", type=float, default=20.0, help="upper bound of each load phase")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["RANGKUL_ENV"] = "development"
    os.environ.setdefault("RANGKUL_DEBUG", "false")
    database = _prepare_database()
    if database == "postgresql":
        _create_pg_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    from bench import scenarios  # noqa: F401  (registers scenarios)
    from bench.core import REGISTRY, SIZES, Context, write_report

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", stdout=open(os.devnull, "w"))  # noqa: SIM115
    ctx = Context(size_name=args.size, members=SIZES[args.size], seconds=args.seconds)
    names = args.only or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    results = []
    for name in names:
        print(f"… {name}", flush=True)
        for result in REGISTRY[name](ctx):
            print(result.line(), flush=True)
            results.append(result)
    md_path, json_path = write_report(results, ctx=ctx, database=database, out_dir=args.out)
    print(f"report: {md_path} and {json_path}")
    return 0


def _create_pg_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
