"""One file imported by several sessions at once (ADR 0019): this process and forked ones,
each part writing every n-th batch with its own watermark.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import translation

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


def _parts_for(job: ImportJob, estimated_rows: int) -> int:
    """How many sessions import this job's file: as a run already split it, else by size (PostgreSQL only)."""
    if job.parts > 1:
        return job.parts
    if job.processed or job.last_committed_row or not import_sql().parallel_parts():
        return 1  # started in one session: finished in one
    if connection.in_atomic_block:
        return 1  # the other sessions could not see what this transaction has not committed
    if estimated_rows < settings.PARTNER_IMPORT_PARALLEL_MIN_ROWS:
        return 1
    return max(1, settings.PARTNER_IMPORT_PARTS)


def _imported_worker_ids(job: ImportJob) -> Any:
    return ImportRowResult.objects.filter(job=job, outcome=RowOutcome.IMPORTED).values("worker_id")


def _run_parts(job: ImportJob, parts: int, size: int) -> bool:
    """Import the file in ``parts`` sessions at once: this process and ``parts - 1`` forked ones.

    Part k writes batches k, k + parts, k + 2·parts, … of the file, each batch one transaction
    with the part's watermark and the job's counters, so a run that stops (crash, kill,
    cancel) resumes every part where it stopped. True when every part has finished.
    """
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(parts=parts, batch_size=size)
        for number in range(parts):
            ImportJobPart.objects.get_or_create(job=job, number=number, defaults={"next_batch": number})
    # Each process opens its own connections: none may cross the fork.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_part_process, args=(job.pk, number, parts, size), name=f"import-{job.pk}-{number}")
        for number in range(1, parts)
    ]
    for child in children:
        child.start()
    try:
        _run_part(job.pk, 0, parts, size)
    except _Stop:
        pass
    finally:
        for child in children:
            child.join()
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        logger.error("Import %s: parts stopped before the end: %s; run the import again to finish.", job.pk, failed)
    return not ImportJobPart.objects.filter(job=job, finished=False).exists()


def _part_process(job_id: int, number: int, parts: int, size: int) -> None:
    """A forked part: its own database connection, its report in the site's language."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _run_part(job_id, number, parts, size)
    except _Stop:
        pass
    except Exception:
        logger.exception("Import %s: part %s stopped.", job_id, number)
        raise SystemExit(1) from None
    finally:
        connections.close_all()


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
        actor=job.created_by or job.created_by_label or "system",
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
