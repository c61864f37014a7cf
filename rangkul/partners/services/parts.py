"""One file imported by several sessions at once (ADR 0019), each part writing every n-th batch
with its own watermark. How the parts run (forked processes, or one after the other) is the
entry point's choice: it hands the import a runner from ``core.processes``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

from rangkul.audit.actors import Actor
from rangkul.core.processes import PartsRunner, in_turn
from rangkul.partners.importing.parse import (
    ImportFileError,
    open_source,
)
from rangkul.partners.jobs import (
    import_job_fail,
)
from rangkul.partners.models import (
    ImportJob,
    ImportJobPart,
    ImportRowResult,
    RowOutcome,
)
from rangkul.partners.services.batches import (
    FILE_GONE,
    _batched,
    _BatchState,
    _close,
    _commit_part_batch,
    _occupation_index,
    _places,
    _Stop,
    logger,
)
from rangkul.partners.sql import import_sql


def _parts_for(job: ImportJob, estimated_rows: int, runner: PartsRunner | None) -> int:
    """How many sessions import this job's file: as a run already split it, else by size (PostgreSQL only).

    A fresh job is split only when the entry point gave a runner that runs the parts at once.
    """
    if job.parts > 1:
        return job.parts
    if runner is None:
        return 1
    if job.processed or job.last_committed_row or not import_sql().parallel_parts():
        return 1  # started in one session: finished in one
    if connection.in_atomic_block:
        return 1  # the other sessions could not see what this transaction has not committed
    if estimated_rows < settings.PARTNER_IMPORT_PARALLEL_MIN_ROWS:
        return 1
    return max(1, settings.PARTNER_IMPORT_PARTS)


def _imported_worker_ids(job: ImportJob) -> Any:
    return ImportRowResult.objects.filter(job=job, outcome=RowOutcome.IMPORTED).values("worker_id")


def _run_parts(job: ImportJob, parts: int, size: int, runner: PartsRunner | None) -> bool:
    """Import the file in ``parts`` sessions, run by ``runner`` (one after the other without one).

    Part k writes batches k, k + parts, k + 2·parts, … of the file, each batch one transaction
    with the part's watermark and the job's counters, so a run that stops (crash, kill,
    cancel) resumes every part where it stopped. True when every part has finished.
    """
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(parts=parts, batch_size=size)
        for number in range(parts):
            ImportJobPart.objects.get_or_create(job=job, number=number, defaults={"next_batch": number})
    failed = (runner or in_turn)(partial(_part_work, job.pk, parts, size), parts, name=f"import-{job.pk}")
    if failed:
        logger.error("Import %s: parts stopped before the end: %s; run the import again to finish.", job.pk, failed)
    return not ImportJobPart.objects.filter(job=job, finished=False).exists()


def _part_work(job_id: int, parts: int, size: int, number: int) -> None:
    """One part, in whatever process the runner chose; its report in the site's language."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _run_part(job_id, number, parts, size)
    except _Stop:
        pass


def _run_part(job_id: int, number: int, parts: int, size: int) -> None:
    job = ImportJob.objects.select_related("organisation", "created_by").get(pk=job_id)
    part = ImportJobPart.objects.get(job=job, number=number)
    if part.finished:
        return
    try:
        if not job.file:
            raise ImportFileError(FILE_GONE)
        source = open_source(Path(job.file.path), job.original_name)
    except ImportFileError as exc:
        import_job_fail(job_id=job.pk, message=str(exc.message))
        raise _Stop from None
    state = _BatchState(
        job=job,
        actor=Actor.of(job.created_by or job.created_by_label or "system"),
        columns=source.columns,
        occupations=_occupation_index(),
        places=_places(job, source),
    )
    try:
        for index, rows in enumerate(_batched(source.rows, size)):
            if index % parts == number and index >= part.next_batch:
                _commit_part_batch(state, rows, number=number, index=index, parts=parts)
    except ImportFileError as exc:
        import_job_fail(job_id=job.pk, message=str(exc.message))
        raise _Stop from None
    finally:
        _close(source.rows)
    ImportJobPart.objects.filter(pk=part.pk).update(finished=True)
