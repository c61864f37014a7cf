"""An import job's life outside the runner: upload (the same file resumes), queue, stop, resume, fail."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.partners.errors import PartnerErrorCode
from rangkul.partners.importing.parse import (
    ImportFileError,
    clean_text,
    sniff_format,
)
from rangkul.partners.models import (
    ImportJob,
    ImportStatus,
    Organisation,
)

logger = logging.getLogger("rangkul.partners")

HASH_CHUNK = 1 << 20


def file_sha256(handle: IO[bytes] | File) -> str:
    digest = hashlib.sha256()
    chunks: Iterable[bytes]
    if isinstance(handle, File):
        handle.seek(0)
        chunks = handle.chunks(HASH_CHUNK)
    else:
        handle.seek(0)
        chunks = iter(lambda: handle.read(HASH_CHUNK), b"")
    for chunk in chunks:
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


@transaction.atomic
def import_job_create(
    *,
    actor: Actor,
    organisation: Organisation | None,
    upload: File,
    name: str,
    skip_phone_verification: bool = False,
    sponsorship_code: str = "",
) -> tuple[ImportJob, bool]:
    """Store an uploaded file and queue its import; the same file again resumes the earlier job.

    Returns ``(job, created)``. "The same file" is the same organisation and the
    same SHA-256 of the content: whatever the earlier job committed stays, and
    processing continues after its last committed row, so nothing is imported twice.
    """
    if skip_phone_verification and (organisation is None or not organisation.attests_phone_verification):
        raise PermissionDenied(
            _("Only an organisation that attests to verifying its members' mobile numbers may skip verification.")
        )
    name = clean_text(Path(name or getattr(upload, "name", "") or "import.csv").name)[0][:255] or "import.csv"
    digest = file_sha256(upload)
    existing = (
        ImportJob.objects.select_for_update()
        .filter(organisation=organisation, file_sha256=digest)
        .order_by("-created_at", "-pk")
        .first()
    )
    if existing is not None:
        if existing.status != ImportStatus.COMPLETED and not existing.file:
            # Its file was purged after the retention period: this upload brings it back.
            existing.file.save(name, upload, save=False)
            ImportJob.objects.filter(pk=existing.pk).update(file=existing.file.name)
        if existing.status in {ImportStatus.FAILED, ImportStatus.CANCELLED} or existing.is_stale:
            existing.status = ImportStatus.QUEUED
            existing.error = ""
            existing.finished_at = None
            existing.heartbeat_at = timezone.now()
            existing.save(update_fields=["status", "error", "finished_at", "heartbeat_at"])
            audit_record(actor=actor, action="partners.import_resumed", subject=existing)
        return existing, False

    job = ImportJob(
        organisation=organisation,
        original_name=name,
        file_sha256=digest,
        skip_phone_verification=skip_phone_verification,
        sponsorship_code=(sponsorship_code or "").strip()[:40],
        created_by=actor.user,
        created_by_label=actor.username[:150],
    )
    job.file.save(name, upload, save=False)
    try:
        job.file_format = sniff_format(Path(job.file.path), name)
    except ImportFileError as exc:
        job.file.delete(save=False)
        raise ValidationFailed(exc.message, fields={"file": [exc.message]}) from exc
    job.save()
    audit_record(
        actor=actor,
        action="partners.import_created",
        subject=job,
        after={
            "organisation": organisation.code if organisation else "",
            "file": name,
            "sha256": digest,
            "skip_phone_verification": skip_phone_verification,
            "sponsorship": job.sponsorship_code,
        },
    )
    return job, True


def import_job_enqueue(*, job: ImportJob) -> None:
    """Run the import as a background task once the job row is committed."""
    from rangkul.partners.tasks import import_job_process

    job_id = job.pk
    transaction.on_commit(lambda: import_job_process.enqueue(job_id))


@transaction.atomic
def import_job_cancel(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Stop after the batch in progress; committed rows stay (running the file again continues)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise Conflict(_("This import has already finished."), code=PartnerErrorCode.IMPORT_FINISHED)
    job.status = ImportStatus.CANCELLED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    audit_record(actor=actor, action="partners.import_cancelled", subject=job, after=job.summary())
    return job


@transaction.atomic
def import_job_resume(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Queue again a job that failed, was stopped, or whose process died (stale lease).

    Committed batches stay; the run continues after the last one (the same as uploading
    the same file again). A job still running in a live process cannot be resumed twice.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == ImportStatus.COMPLETED:
        raise Conflict(_("This import has already finished."), code=PartnerErrorCode.IMPORT_FINISHED)
    if job.status == ImportStatus.RUNNING and not job.is_stale:
        raise Conflict(_("This import is still running."), code=PartnerErrorCode.IMPORT_RUNNING)
    if job.status == ImportStatus.QUEUED and not job.is_stale:
        return job
    before = {"status": job.status}
    job.status = ImportStatus.QUEUED
    job.error = ""
    job.finished_at = None
    job.heartbeat_at = timezone.now()  # a new lease: the queued run has this long to start
    job.save(update_fields=["status", "error", "finished_at", "heartbeat_at"])
    audit_record(actor=actor, action="partners.import_resumed", subject=job, before=before, after=job.summary())
    import_job_enqueue(job=job)
    return job


def import_jobs_stale() -> list[ImportJob]:
    """Running jobs whose process stopped renewing its lease."""
    running = ImportJob.objects.filter(status__in=[ImportStatus.RUNNING, ImportStatus.QUEUED])
    return [job for job in running.select_related("organisation") if job.is_stale]


def import_job_fail(*, job_id: int, message: str) -> None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return
        job.status = ImportStatus.FAILED
        job.error = message
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            actor=Actor.system("system"),
            action="partners.import_failed",
            subject=job,
            after=job.summary(),
            reason=message,
        )
