"""Uploaded files hold personal data: deleted once processed, kept only for the retention period, never served."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.files import File
from django.core.management import call_command
from django.urls import Resolver404, clear_url_caches, resolve, set_urlconf
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.partners.models import ImportJob, ImportStatus
from rangkul.partners.retention import import_files_purge
from rangkul.partners.services import import_job_create, import_job_fail, import_job_run
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.payments.models import Channel, SettlementFile, SettlementStatus
from rangkul.payments.retention import settlement_files_purge
from rangkul.payments.tests.factories import seed_reference_data

pytestmark = pytest.mark.django_db


def _upload(path: Path, organisation) -> ImportJob:
    with path.open("rb") as handle:
        job, _created = import_job_create(
            actor=Actor.system("test"), organisation=organisation, upload=File(handle, name=path.name), name=path.name
        )
    return job


def test_a_completed_imports_file_is_deleted(tmp_path, organisation) -> None:
    job = _upload(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation)
    stored = Path(job.file.path)
    assert stored.exists()
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.COMPLETED
    assert not stored.exists()
    assert not ImportJob.objects.get(pk=job.pk).file
    assert job.results.count() == 1  # the report stays


def test_a_failed_imports_file_is_kept_for_the_retention_period(tmp_path, organisation, settings) -> None:
    settings.UPLOAD_RETENTION_DAYS = 7
    path = write_csv(tmp_path / "a.csv", [good_row(1), good_row(2)])
    job = _upload(path, organisation)
    stored = Path(job.file.path)
    import_job_fail(job_id=job.pk, message="stopped")
    assert import_files_purge() == 0
    assert stored.exists()
    assert import_files_purge(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert not stored.exists()
    # The same file uploaded again brings the file back and the import continues.
    again = _upload(path, organisation)
    assert again.pk == job.pk
    assert Path(ImportJob.objects.get(pk=job.pk).file.path).exists()
    assert import_job_run(job_id=job.pk).imported == 2


def test_a_job_whose_file_was_purged_fails_with_a_clear_message(tmp_path, organisation) -> None:
    job = _upload(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation)
    job.file.delete(save=True)
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert "retensi" in job.error or "retention" in job.error


def test_uploaded_files_are_never_served_from_media(settings) -> None:
    import config.urls

    settings.DEBUG = True
    try:
        importlib.reload(config.urls)
        clear_url_caches()
        set_urlconf(None)
        for path in ("/media/imports/2026/12/a.csv", "/media/settlements/tmp.csv"):
            with pytest.raises(Resolver404):
                resolve(path, urlconf="config.urls")
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
        clear_url_caches()


def test_settlement_files_are_purged_after_the_retention_period(settings, regions) -> None:
    settings.UPLOAD_RETENTION_DAYS = 3
    seed_reference_data()
    channel = Channel.objects.order_by("pk")[0]
    directory = Path(settings.MEDIA_ROOT) / "settlements"
    directory.mkdir(parents=True)
    old, running, recent, orphan = (directory / name for name in ("old.csv", "running.csv", "new.csv", "dup.csv"))
    four_days_ago = (timezone.now() - dt.timedelta(days=4)).timestamp()
    for path in (old, running, recent, orphan):
        path.write_text("order_id,amount\n")
        if path is not recent:
            os.utime(path, (four_days_ago, four_days_ago))
    now = timezone.now()
    done = SettlementFile.objects.create(
        channel=channel, sha256="a" * 64, filename="old.csv", stored_path=str(old), status="done", created_at=now
    )
    SettlementFile.objects.create(
        channel=channel,
        sha256="b" * 64,
        filename="running.csv",
        stored_path=str(running),
        status=SettlementStatus.PROCESSING,
        created_at=now,
    )
    out = StringIO()
    call_command("purge_uploads", stdout=out)
    assert '"settlements": 2' in out.getvalue()
    assert not old.exists() and not orphan.exists()
    assert running.exists() and recent.exists()
    done.refresh_from_db()
    assert done.stored_path == ""
    assert settlement_files_purge() == 0
