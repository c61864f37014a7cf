"""The import benchmark's floor writes what the import itself stores for the same people, and takes it out again."""

from __future__ import annotations

import pytest
from django.core.files import File
from django.db import connection

from bench import floor_parts
from bench.import_bench import (
    PARTNER,
    _organisation,
    _villages,
    floor_columns,
    floor_rows,
    generate,
    run_floor,
)
from rangkul.audit.actors import Actor
from rangkul.core.crypto import unseal
from rangkul.partners.models import Membership
from rangkul.partners.services import import_job_create, import_job_run
from rangkul.registry.models import Occupation, Worker
from rangkul.registry.services import occupations_load

pytestmark = pytest.mark.django_db(transaction=True)

# Drawn afresh by each writer (keys, numbers, sealing nonces, the time of writing): compared apart or not at all.
_DRAWN = {"id", "membership_number", "nik_sealed", "registered_at"}


def test_the_floor_writes_the_rows_the_import_stores_and_removes_them(branch, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if not Occupation.objects.exists():
        occupations_load()
    path = tmp_path / "people.csv"
    generate(path, 40, _villages())

    workers, memberships = floor_rows(path)
    assert len(workers) == len(memberships) == 40
    seconds, sessions = run_floor(path, parts=2, in_process=True)
    assert seconds > 0 and sessions == 1
    assert not Worker.objects.exists() and not Membership.objects.exists(), "the floor leaves nothing behind"

    with path.open("rb") as handle:
        job, _created = import_job_create(
            actor=Actor.system("bench"),
            organisation=_organisation(),
            upload=File(handle, name=path.name),
            name=path.name,
        )
    assert import_job_run(job_id=job.pk).imported == 40
    columns = floor_columns()
    compared = [name for name in columns if name not in _DRAWN]
    stored = {row[0]: row[1:] for row in Worker.objects.values_list("nik_hash", *compared, "nik_sealed")}
    position = columns.index
    assert any(row[position("branch_id")] for row in workers), "the file's villages lie in the branch's regency"
    for row in workers:
        *values, sealed = stored[row[position("nik_hash")]]
        assert [row[position(name)] for name in compared] == values
        assert unseal(sealed) == unseal(row[position("nik_sealed")])
    assert set(Membership.objects.values_list("organisation__code", flat=True)) == {PARTNER}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the copies are built from PostgreSQL's catalogue")
def test_the_floor_parts_build_each_copy_and_time_it(branch, tmp_path):
    if not Occupation.objects.exists():
        occupations_load()
    path = tmp_path / "people.csv"
    generate(path, 30, _villages())
    workers, _memberships = floor_rows(path)
    copies = floor_parts.measure(workers)
    assert list(copies) == list(floor_parts._variants([]))
    assert all(copy.seconds > 0 and copy.rows == 30 for copy in copies.values()), "every copy got every row"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'registry_worker'")
        (indexes,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'registry_worker'::regclass AND contype = 'f'"
        )
        (foreign_keys,) = cursor.fetchone()
    full = copies["every index and foreign key"]
    assert (full.indexes, full.foreign_keys) == (indexes, foreign_keys), "the full copy is the worker table's twin"
    assert (copies["no foreign keys"].indexes, copies["no foreign keys"].foreign_keys) == (indexes, 0)
    assert copies["only the unique indexes"].indexes == 3  # key, NIK hash, membership number
    assert (copies["no index at all"].indexes, copies["no index at all"].foreign_keys) == (0, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench_floor_part_%%'")
        assert cursor.fetchone() == (0,), "every copy is dropped again"


def test_the_floor_parts_keep_what_each_copy_names():
    indexes = [
        "CREATE UNIQUE INDEX registry_worker_pkey ON public.registry_worker USING btree (id)",
        "CREATE INDEX registry_worker_phone_idx ON public.registry_worker USING btree (phone)",
        "CREATE INDEX registry_worker_name_trgm ON public.registry_worker USING gin (name_normalized gin_trgm_ops)",
    ]
    variants = floor_parts._variants(indexes)
    assert variants["every index and foreign key"] == (True, indexes)
    assert variants["no foreign keys, no trigram index"] == (False, indexes[:2])
    assert variants["only the unique indexes"] == (False, indexes[:1])
    assert variants["no index at all"] == (False, [])
