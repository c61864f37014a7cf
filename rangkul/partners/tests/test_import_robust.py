"""Hostile and broken files: NUL bytes, UTF-16, control characters, XLSX bombs, jobs whose process died."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.core.errors import Conflict
from rangkul.partners.importing.parse import CONTROL_REMOVED, ImportFileError, open_source
from rangkul.partners.importing.parse import NIK_HIDDEN as NIK_HIDDEN_MESSAGE
from rangkul.partners.models import ImportJob, ImportStatus
from rangkul.partners.services import import_job_create, import_job_resume, import_job_run
from rangkul.partners.tests.conftest import HEADER, good_row, write_csv
from rangkul.partners.tests.test_import import msg, outcomes, run
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- cells


def test_nul_bytes_and_control_characters_are_handled_per_cell(tmp_path, organisation) -> None:
    rows = [
        good_row(1, **{"Nama Lengkap": "Budi\x00 Santoso"}),
        good_row(2, **{"NIK": "33740117089\x000002"}),
        good_row(3, **{"Nama Lengkap": "Siti\x1b\x07 Aminah", "Pekerjaan": "peda\x7fgang"}),
        good_row(4),
    ]
    job = run(write_csv(tmp_path / "nul.csv", rows), organisation)
    assert job.status == ImportStatus.COMPLETED
    assert job.summary() == {"rows": 4, "imported": 3, "rejected": 1, "duplicates": 0}
    found = outcomes(job)
    assert found[2] == [("imported", "Nama Lengkap", msg(str(CONTROL_REMOVED)))]
    assert found[3] == [("rejected", "NIK", msg(str(NIK_HIDDEN_MESSAGE)))]
    assert found[4][0][:2] == ("imported", "Nama Lengkap")
    assert Worker.objects.filter(full_name="Budi Santoso").exists()
    assert Worker.objects.filter(full_name="Siti Aminah", occupation__code="pedagang").exists()


def test_a_rejected_rows_value_with_nul_is_stored_without_it(tmp_path, organisation) -> None:
    # PostgreSQL refuses NUL in text: a value shown in the report must never carry one.
    job = run(write_csv(tmp_path / "a.csv", [good_row(1, **{"Nomor HP": "12\x00"}), good_row(2)]), organisation)
    assert job.status == ImportStatus.COMPLETED
    assert job.results.get(row_number=2).value == "12"
    assert job.imported == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read(tmp_path, organisation, encoding) -> None:
    path = write_csv(
        tmp_path / "u16.csv",
        [good_row(1, **{"Nama Lengkap": "Budi Santoso Ñ"}), good_row(2)],
        delimiter="\t",
        encoding=encoding,
    )
    if encoding == "utf-16":
        assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    job = run(path, organisation)
    assert job.status == ImportStatus.COMPLETED
    assert job.summary() == {"rows": 2, "imported": 2, "rejected": 0, "duplicates": 0}


# ---------------------------------------------------------------- XLSX bombs


def _xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _with_member(path: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return path


def _refused(path: Path) -> str:
    started = time.monotonic()
    with pytest.raises(ImportFileError) as caught:
        open_source(path)
    assert time.monotonic() - started < 5
    return str(caught.value.message)


def test_an_xlsx_that_unpacks_too_large_is_refused_quickly(tmp_path, settings) -> None:
    settings.PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    path = _with_member(_xlsx(tmp_path / "bomb.xlsx", [good_row(1)]), "xl/media/zeros.bin", b"\0" * (8 << 20))
    assert path.stat().st_size < 100_000  # 8 MB of zeros pack into a few kilobytes
    assert "XLSX" in _refused(path)


def test_the_unpacked_size_limit_has_a_safe_default(tmp_path, settings) -> None:
    assert settings.PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES <= 2 * 1024**3
    assert settings.PARTNER_IMPORT_XLSX_MAX_SHARED_STRINGS <= 10_000_000
    assert settings.PARTNER_IMPORT_XLSX_MAX_COLUMNS <= 1000
    # A normal file passes the checks.
    assert len(list(open_source(_xlsx(tmp_path / "ok.xlsx", [good_row(1)])).rows)) == 1


def test_too_many_shared_strings_are_refused_before_loading(tmp_path, settings) -> None:
    settings.PARTNER_IMPORT_XLSX_MAX_SHARED_STRINGS = 1000
    path = _xlsx(tmp_path / "strings.xlsx", [good_row(n, **{"Nama Lengkap": f"Nama {n}"}) for n in range(1, 5)])
    # Replace the shared strings with 5,000 entries (a real file would hold millions), count attribute lying.
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    # A part under another name, declared as the shared strings in the manifest (openpyxl reads it from there).
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/strings2.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    body = b"".join(b"<si><t>x%d</t></si>" % n for n in range(5000))
    parts["xl/strings2.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        b'main" count="1" uniqueCount="1">' + body + b"</sst>"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert "shared strings" in _refused(path)


def test_a_row_wider_than_the_limit_is_refused(tmp_path, organisation, settings) -> None:
    settings.PARTNER_IMPORT_XLSX_MAX_COLUMNS = 20
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(good_row(1))
    sheet.cell(row=3, column=16000, value="far away")
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    started = time.monotonic()
    job = run(path, organisation)
    assert time.monotonic() - started < 10
    assert job.status == ImportStatus.FAILED
    assert "20" in job.error


def test_a_bomb_uploaded_as_an_import_fails_with_the_message(tmp_path, organisation, settings) -> None:
    settings.PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    path = _with_member(_xlsx(tmp_path / "bomb.xlsx", [good_row(1)]), "xl/x.bin", b"\0" * (4 << 20))
    job = run(path, organisation)
    assert job.status == ImportStatus.FAILED
    assert "XLSX" in job.error
    assert not Worker.objects.exists()


# ---------------------------------------------------------------- stale jobs


def _upload(path: Path, organisation) -> ImportJob:
    with path.open("rb") as handle:
        from django.core.files import File

        job, _created = import_job_create(
            actor=Actor.system("test"), organisation=organisation, upload=File(handle, name=path.name), name=path.name
        )
    return job


def _died_while_running(job: ImportJob, *, minutes_ago: int) -> ImportJob:
    """The state a killed process leaves: RUNNING, its lease never renewed again."""
    then = timezone.now() - dt.timedelta(minutes=minutes_ago)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=then, run_started_at=then)
    return ImportJob.objects.get(pk=job.pk)


def test_a_job_whose_process_died_is_stale_and_resumes(
    tmp_path, organisation, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PARTNER_IMPORT_STALE_SECONDS = 600
    job = _upload(write_csv(tmp_path / "a.csv", [good_row(1), good_row(2)]), organisation)
    assert not _died_while_running(job, minutes_ago=1).is_stale  # the lease still holds
    with pytest.raises(Conflict):
        import_job_resume(actor=Actor.system("test"), job=job)
    job = _died_while_running(job, minutes_ago=11)
    assert job.is_stale
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resumed = import_job_resume(actor=Actor.system("test"), job=job)
    assert resumed.status == ImportStatus.QUEUED
    assert not resumed.is_stale
    assert callbacks  # the run is queued with the commit
    finished = import_job_run(job_id=job.pk)
    assert finished.status == ImportStatus.COMPLETED
    assert finished.imported == 2
    assert finished.heartbeat_at is not None


def test_the_same_file_again_resumes_a_stale_job(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    job = _died_while_running(_upload(path, organisation), minutes_ago=60)
    again = _upload(path, organisation)
    assert again.pk == job.pk
    assert again.status == ImportStatus.QUEUED


def test_each_batch_renews_the_lease(tmp_path, organisation) -> None:
    seen = []
    from rangkul.partners.services import batches as services

    original = services._batch_hook

    def hook(job, rows):
        seen.append(ImportJob.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk))
        original(job, rows)

    services._batch_hook = hook
    try:
        run(write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 7)]), organisation, batch_size=2)
    finally:
        services._batch_hook = original
    assert len(seen) == 3
    assert all(seen) and seen == sorted(seen)


def test_the_import_page_offers_to_resume_a_stale_job(client, partner, tmp_path, organisation) -> None:
    job = _died_while_running(_upload(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation), minutes_ago=60)
    client.force_login(partner)
    page = client.get(reverse("partners:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-stale"' in page
    assert reverse("partners:import_resume", args=[job.pk]) in page
    response = client.post(reverse("partners:import_resume", args=[job.pk]))
    assert response.status_code == 302
    assert ImportJob.objects.get(pk=job.pk).status in {ImportStatus.QUEUED, ImportStatus.COMPLETED}


def test_a_file_name_with_control_characters_is_stored_clean(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    from django.core.files import File

    with path.open("rb") as handle:
        job, _created = import_job_create(
            actor=Actor.system("test"),
            organisation=organisation,
            upload=File(handle, name="a.csv"),
            name="da\x00ta\x1b.csv",
        )
    assert job.original_name == "data.csv"


def test_utf16_bytes_start_with_a_bom_in_the_fixture() -> None:
    # The writer used above: "utf-16" puts a BOM first, "utf-16-le" does not.
    assert io.BytesIO("a".encode("utf-16")).read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    assert "a".encode("utf-16-le") == b"a\x00"


def test_a_command_resumes_every_stale_job(tmp_path, organisation, django_capture_on_commit_callbacks) -> None:
    from io import StringIO

    from django.core.management import call_command

    stale = _died_while_running(_upload(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation), minutes_ago=60)
    alive = _died_while_running(_upload(write_csv(tmp_path / "b.csv", [good_row(2)]), organisation), minutes_ago=1)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("imports_resume_stale", stdout=out)
    assert out.getvalue().strip() == '{"resumed": 1}'
    assert (
        ImportJob.objects.get(pk=stale.pk).status == ImportStatus.COMPLETED
    )  # the queued task ran (immediate backend)
    assert ImportJob.objects.get(pk=alive.pk).status == ImportStatus.RUNNING
