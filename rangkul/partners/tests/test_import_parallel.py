"""One file imported by several sessions at once (ADR 0019, PostgreSQL): one session's outcome, resumable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from rangkul.partners.models import ImportJob, ImportJobPart, ImportRowResult, ImportStatus, Membership, RowOutcome
from rangkul.partners.services import batches as services
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.partners.tests.test_import import mixed_rows, outcomes, run
from rangkul.registry.models import DuplicateReason, PossibleDuplicate, Worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="imports run in several sessions on PostgreSQL only"),
]


@pytest.fixture
def two_parts(settings):
    settings.PARTNER_IMPORT_PARTS = 2
    settings.PARTNER_IMPORT_PARALLEL_MIN_ROWS = 1


def test_two_parts_end_as_one_session_does(tmp_path, organisation, registered, two_parts) -> None:
    # Data rows 2, 3, 4, 6, …, 11 in batches of two: part 0 writes rows 2-3, 7-8, 11; part 1 rows 4-6, 9-10.
    job = run(write_csv(tmp_path / "mixed.csv", mixed_rows()), organisation, batch_size=2)
    assert (job.status, job.parts, job.batch_size) == (ImportStatus.COMPLETED, 2, 2)
    assert job.summary() == {"rows": 9, "imported": 4, "rejected": 3, "duplicates": 2}
    assert list(ImportJobPart.objects.filter(job=job).values_list("number", "finished")) == [(0, True), (1, True)]
    found = {row: [outcome for outcome, _column, _message in results] for row, results in outcomes(job).items()}
    # Rows 2 and 6 are the same person, written at the same moment by the two parts: whichever committed
    # first is imported, the other is a duplicate of it; never both imported.
    assert sorted([found.pop(2), found.pop(6)]) == [["duplicate"], ["imported"]]
    assert found == {
        3: ["imported"],
        4: ["rejected"],
        7: ["duplicate"],
        8: ["rejected"],
        9: ["imported"],
        10: ["imported"],
        11: ["rejected"],
    }
    assert Worker.objects.count() == 5  # 4 imported + the one registered before
    assert Membership.objects.filter(organisation=organisation).count() == 5
    assert ImportRowResult.objects.filter(job=job, outcome=RowOutcome.IMPORTED).values("worker").distinct().count() == 4


def test_possible_duplicates_between_the_parts_are_queued(tmp_path, organisation, two_parts) -> None:
    # One shared phone in rows 2 and 3: batches of one row, so each part writes one of them at the same moment.
    rows = [good_row(10), good_row(11, **{"Nomor HP": "081200000010"}), good_row(12), good_row(13)]
    job = run(write_csv(tmp_path / "phones.csv", rows), organisation, batch_size=1)
    assert job.summary() == {"rows": 4, "imported": 4, "rejected": 0, "duplicates": 0}
    first, second = (Worker.objects.get(phone="+6281200000010", full_name__endswith=letter) for letter in "KL")
    pair = Q(worker=first, other=second) | Q(worker=second, other=first)
    assert PossibleDuplicate.objects.filter(pair, reason=DuplicateReason.PHONE).count() == 1
    assert PossibleDuplicate.objects.filter(reason=DuplicateReason.PHONE).count() == 1


def test_a_part_that_crashes_resumes_with_the_next_run(tmp_path, organisation, registered, two_parts, monkeypatch):
    path = write_csv(tmp_path / "mixed.csv", mixed_rows())

    def crash_in_part_one(job, batch) -> None:
        if batch[0].number == 4:  # part 1's first batch (rows 4 and 6)
            raise RuntimeError("killed")

    monkeypatch.setattr(services, "_batch_hook", crash_in_part_one)
    job = run(path, organisation, batch_size=2)
    assert job.status == ImportStatus.RUNNING  # not finished: part 1 stopped
    parts = dict(ImportJobPart.objects.filter(job=job).values_list("number", "finished"))
    assert parts == {0: True, 1: False}
    assert sorted(set(ImportRowResult.objects.filter(job=job).values_list("row_number", flat=True))) == [
        2,
        3,
        7,
        8,
        11,
    ]

    monkeypatch.setattr(services, "_batch_hook", lambda job, batch: None)
    resumed = run(path, organisation, batch_size=2)
    assert resumed.pk == job.pk and resumed.status == ImportStatus.COMPLETED
    assert resumed.summary() == {"rows": 9, "imported": 4, "rejected": 3, "duplicates": 2}
    assert Worker.objects.count() == 5
    assert ImportRowResult.objects.filter(job=job).count() == 9


def test_cancel_stops_every_part(tmp_path, organisation, two_parts, monkeypatch) -> None:
    path = write_csv(tmp_path / "many.csv", [good_row(n) for n in range(1, 13)])

    def cancel_after_the_first_batch(job, batch) -> None:
        if batch[0].number == 2:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CANCELLED)

    monkeypatch.setattr(services, "_batch_hook", cancel_after_the_first_batch)
    job = run(path, organisation, batch_size=2)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert 2 <= job.processed < 12
    assert Worker.objects.count() == job.imported


def test_a_batch_that_loses_a_deadlock_is_retried_whole(tmp_path, organisation, two_parts, monkeypatch) -> None:
    import psycopg
    from django.db import OperationalError

    lost: list[int] = []

    def deadlock_once(job, batch) -> None:
        if batch[0].number == 2 and not lost:  # part 0's first batch, in this process
            lost.append(batch[0].number)
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")

    monkeypatch.setattr(services, "_batch_hook", deadlock_once)
    job = run(write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 9)]), organisation, batch_size=2)
    assert lost == [2]
    assert job.status == ImportStatus.COMPLETED
    assert job.summary() == {"rows": 8, "imported": 8, "rejected": 0, "duplicates": 0}
    assert ImportRowResult.objects.filter(job=job).count() == 8  # the lost attempt left nothing behind
    assert Worker.objects.count() == 8


def test_other_database_errors_are_not_retried(tmp_path, organisation, two_parts, monkeypatch) -> None:
    from django.db import OperationalError

    calls: list[int] = []

    def disk_full(job, batch) -> None:
        if batch[0].number == 2:
            calls.append(1)
            raise OperationalError("could not extend file")

    monkeypatch.setattr(services, "_batch_hook", disk_full)
    with pytest.raises(OperationalError):
        run(write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 9)]), organisation, batch_size=2)
    assert calls == [1]
    assert not ImportRowResult.objects.filter(row_number__in=[2, 3]).exists()


def test_shortened_niks_refuse_the_file_before_any_part_starts(tmp_path, organisation, two_parts) -> None:
    # Batches of six: without the check before the split, part 1 would register rows 8-11 while part 0 refuses 2-7.
    rows = [good_row(n, NIK=f"337401170890{n:03d}0") for n in range(1, 11)]
    job = run(write_csv(tmp_path / "short.csv", rows), organisation, batch_size=6)
    assert job.status == ImportStatus.FAILED
    assert "NIK" in job.error
    assert not Worker.objects.exists()
    assert not ImportJobPart.objects.filter(job=job).exists()
