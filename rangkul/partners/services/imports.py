"""Writes for bulk imports: a job run from its last committed row to the end of its file.

An import never decides who may be registered: every row goes through
``registry.services.workers_register_many`` (the batch form of
``worker_register``), the one implementation of the registration rules.
This package only reads the file, keeps the counters and makes the work
resumable.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.processes import PartsRunner
from rangkul.partners.importing.parse import (
    ImportFileError,
    Source,
    niks_shortened,
    open_source,
)
from rangkul.partners.jobs import (
    import_job_fail,
)
from rangkul.partners.models import (
    ImportJob,
    ImportStatus,
)
from rangkul.partners.retention import import_file_discard
from rangkul.partners.services.batches import (
    FILE_GONE,
    _batched,
    _BatchState,
    _close,
    _commit_batch,
    _occupation_index,
    _places,
    _Stop,
    logger,
)
from rangkul.partners.services.parts import _imported_worker_ids, _parts_for, _run_parts
from rangkul.registry.models import Worker
from rangkul.registry.services import (
    duplicates_queue_among,
)


def import_job_run(*, job_id: int, batch_size: int | None = None, parts_runner: PartsRunner | None = None) -> ImportJob:
    """Process a job from its last committed row to the end of the file (or until cancelled).

    ``parts_runner`` (from ``core.processes``, chosen by the entry point) lets a large file be
    imported in several sessions at once (ADR 0019); without it a fresh job runs in one session.

    Each batch is one transaction holding its workers, memberships, row results
    and the job's counters and watermark: a crash loses at most the batch in
    flight, and the next run starts exactly after the last committed one.
    """
    size = batch_size or settings.PARTNER_IMPORT_BATCH_SIZE
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("organisation", "created_by")
            .get(pk=job_id)
        )
        if job.status in {ImportStatus.COMPLETED, ImportStatus.CANCELLED}:
            return job
        now = timezone.now()
        job.status = ImportStatus.RUNNING
        job.started_at = job.started_at or now
        job.run_started_at = now
        job.run_start_processed = job.processed
        job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "run_started_at", "run_start_processed", "heartbeat_at"])

    # Messages in the report are written in the site's language (Indonesian), whoever runs the task.
    with translation.override(settings.LANGUAGE_CODE):
        try:
            if not job.file:
                raise ImportFileError(FILE_GONE)
            source: Source = open_source(Path(job.file.path), job.original_name)
        except ImportFileError as exc:
            import_job_fail(job_id=job.pk, message=str(exc.message))
            return ImportJob.objects.get(pk=job.pk)
        if source.estimated_rows > job.rows:
            ImportJob.objects.filter(pk=job.pk).update(rows=source.estimated_rows)
            job.rows = source.estimated_rows
        state = _BatchState(
            job=job,
            actor=Actor.of(job.created_by or job.created_by_label or "system"),
            columns=source.columns,
            occupations=_occupation_index(),
            places=_places(job, source),
        )
        if source.sheet != job.sheet_name or source.header_row != job.header_row:
            ImportJob.objects.filter(pk=job.pk).update(sheet_name=source.sheet[:100], header_row=source.header_row)
            job.sheet_name, job.header_row = source.sheet[:100], source.header_row
        parts = _parts_for(job, source.estimated_rows, parts_runner)
        if parts > 1:
            # The parts start together: the file-level NIK check on the first batch runs before any of them.
            shortened = niks_shortened(list(islice(source.rows, job.batch_size or size)))
            _close(source.rows)
            if shortened is not None:
                import_job_fail(job_id=job.pk, message=str(shortened.message))
                return ImportJob.objects.get(pk=job.pk)
            if not _run_parts(job, parts, job.batch_size or size, parts_runner):
                return ImportJob.objects.get(pk=job.pk)
            # Two parts' batches written at the same moment could not see each other's members.
            duplicates_queue_among(Worker.objects.filter(pk__in=_imported_worker_ids(job)))
        else:
            pending = (raw for raw in source.rows if raw.number > job.last_committed_row)
            try:
                for rows in _batched(pending, size):
                    _commit_batch(state, rows)
            except _Stop:
                return ImportJob.objects.get(pk=job.pk)
            except ImportFileError as exc:
                # Batches before the damaged part stay committed; the job says where reading stopped.
                import_job_fail(job_id=job.pk, message=str(exc.message))
                return ImportJob.objects.get(pk=job.pk)
            finally:
                pending.close()

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.RUNNING:
            return job
        job.status = ImportStatus.COMPLETED
        job.rows = job.processed
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "rows", "finished_at"])
        audit_record(actor=state.actor, action="partners.import_completed", subject=job, after=job.summary())
    logger.info("Import %s completed: %s", job.pk, job.summary())
    # Nothing is left to resume: the members' data leaves the disk (docs/security.md).
    import_file_discard(job=job, reason="completed")
    return job
