"""A batch is registered with one registry call, yet each row ends as if the rows were read one by one."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rangkul.partners.models import ImportJob, Membership
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.partners.tests.test_import import msg, outcomes, run
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db

UNDER_THE_FLOOR = {"Penghasilan": "500000"}


def test_a_bad_row_before_a_good_row_with_the_same_nik_is_rejected(tmp_path, organisation) -> None:
    # Nobody held the NIK when the bad row was read: it is rejected, not linked to the later row's worker.
    job = run(write_csv(tmp_path / "a.csv", [good_row(1, **UNDER_THE_FLOOR), good_row(1)]), organisation)
    assert job.summary() == {"rows": 2, "imported": 1, "rejected": 1, "duplicates": 0}
    found = outcomes(job)
    assert [kind for kind, _column, _message in found[2]] == ["rejected"]
    assert found[3] == [("imported", "", "")]


def test_a_bad_row_after_a_good_row_with_the_same_nik_is_a_duplicate(tmp_path, organisation) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(1), good_row(1, **UNDER_THE_FLOOR)]), organisation)
    assert job.summary() == {"rows": 2, "imported": 1, "rejected": 0, "duplicates": 1}
    assert outcomes(job)[3] == [
        ("duplicate", "NIK", msg("The same person (same NIK) is already in row %(row)s of this file.") % {"row": 2})
    ]
    assert Membership.objects.filter(organisation=organisation).count() == 1


def _statements(tmp_path: Path, organisation, rows: int) -> tuple[int, ImportJob]:
    lines = [good_row(n) for n in range(1, rows + 1)]
    lines += [good_row(1), good_row(rows + 1, **UNDER_THE_FLOOR), good_row(rows + 2, NIK="123")]
    lines.append(good_row(rows + 3, **{"Nama Lengkap": "Budi Santoso B"}))  # a possible duplicate of row 2
    path = write_csv(tmp_path / f"rows{rows}.csv", lines)
    with CaptureQueriesContext(connection) as captured:
        job = run(path, organisation, batch_size=1000)
    return len(captured.captured_queries), job


def test_statements_per_batch_do_not_grow_with_its_rows(tmp_path, organisation) -> None:
    small, small_job = _statements(tmp_path, organisation, 5)
    Worker.objects.all().delete()
    large, large_job = _statements(tmp_path, organisation, 60)
    assert large_job.summary() == {"rows": 64, "imported": 61, "rejected": 2, "duplicates": 1}
    assert small_job.summary() == {"rows": 9, "imported": 6, "rejected": 2, "duplicates": 1}
    # SQLite splits bulk INSERTs into chunks of 999 parameters; PostgreSQL sends each in one statement.
    assert large - small <= (6 if connection.vendor == "sqlite" else 0)
    assert small <= 47  # two of them delete the uploaded file once the import completes (and audit it)
