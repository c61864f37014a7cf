"""One batch of an import: its rows checked and registered, and its results, memberships,
counters and watermark committed in one transaction (in one session or as one part of several).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import OperationalError
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.core.bulk import atomic_unflushed, insert_rows
from rangkul.core.crypto import mask_nik
from rangkul.core.errors import ApplicationError, Conflict, ValidationFailed
from rangkul.partners.consent import LINKED_PENDING, NOT_THE_SAME_PERSON, consent_needed, linked_notify, same_person
from rangkul.partners.importing.parse import (
    ParsedRow,
    RawRow,
    Source,
    header_key,
    niks_shortened,
    parse_row,
)
from rangkul.partners.importing.places import PlaceIndex
from rangkul.partners.models import (
    ImportJob,
    ImportJobPart,
    ImportRowResult,
    ImportStatus,
    MemberConsent,
    Membership,
    RowOutcome,
)
from rangkul.partners.sql import import_sql
from rangkul.regions.selectors import village_names
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import Channel, Worker
from rangkul.registry.selectors import occupation_list, workers_find_by_niks
from rangkul.registry.services import (
    BatchLookups,
    NewWorker,
    RegistrationInput,
    registration_problems,
    workers_register_many,
)

logger = logging.getLogger("rangkul.partners")

FILE_GONE = _("The uploaded file was deleted after the retention period; upload the same file again to continue.")


class _Stop(Exception):
    """Another runner moved the job on, or it was cancelled: leave the rest to them."""


@dataclass
class _BatchState:
    job: ImportJob
    actor: Actor
    columns: dict[str, str]
    occupations: dict[str, str]
    places: PlaceIndex | None = None
    # Rows of _RESULT_COLUMNS and _MEMBERSHIP_COLUMNS, written without model instances (ADR 0018).
    results: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    # Memberships of workers registered by this batch: none can exist yet, so no conflict check.
    new_memberships: list[tuple[Any, ...]] = field(default_factory=list)
    # Workers first seen in this batch (not yet visible as results in the database).
    seen: dict[int, int] = field(default_factory=dict)
    imported: int = 0
    rejected: int = 0
    duplicates: int = 0
    # Reference rows (villages, NIK regions, branches) read so far, shared from batch to batch.
    lookups: BatchLookups | None = None


# Registry error fields → the import's column names (the file's own headers when present).
_FIELD_COLUMNS = {"occupation_code": "occupation", "second_occupation": "occupation"}


def _field(columns: dict[str, str], name: str) -> str:
    name = _FIELD_COLUMNS.get(name, name)
    if name == "village_code" and name not in columns and "village_name" in columns:
        return "village_name"  # the village was named, not coded
    return name


def _column(state: _BatchState, name: str) -> str:
    name = _field(state.columns, name)
    return state.columns.get(name, name)[:100]


def _shown_value(raw: RawRow, name: str) -> str:
    name = _FIELD_COLUMNS.get(name, name)
    if name == "village_code" and raw.values.get(name) is None and "village_name" in raw.values:
        name = "village_name"
    value = raw.values.get(name)
    if value is None:
        return ""
    text = str(value).strip()
    if name == "nik":
        return mask_nik(text)
    return text[:200]


_RESULT_COLUMNS = ("job_id", "row_number", "outcome", "column", "value", "message", "worker_id")
_MEMBERSHIP_COLUMNS = ("organisation_id", "worker_id", "joined_at", "source_import_id")


def _reject(state: _BatchState, raw: RawRow, problems: Iterable[tuple[str, str]]) -> None:
    for name, message in problems:
        state.results.append(
            (
                state.job.pk,
                raw.number,
                RowOutcome.REJECTED.value,
                _column(state, name) if name else "",
                _shown_value(raw, name) if name else "",
                message,
                None,
            )
        )
    state.rejected += 1


def _duplicate(
    state: _BatchState, raw: RawRow, parsed: ParsedRow, worker: Worker, imported_before: dict[int, int]
) -> None:
    """``imported_before``: worker id → the row of this job, in an earlier batch, that imported them."""
    earlier = state.seen.get(worker.pk, imported_before.get(worker.pk))
    organisation = state.job.organisation
    data = parsed.data
    if earlier is None and not same_person(full_name=data["full_name"], birth_date=data["birth_date"], worker=worker):
        # The NIK alone never attaches a person: nothing about the record is told either.
        _reject(state, raw, [("nik", str(NOT_THE_SAME_PERSON))])
        return
    pending = earlier is None and organisation is not None and consent_needed(organisation=organisation, worker=worker)
    if earlier is not None:
        message = gettext("The same person (same NIK) is already in row %(row)s of this file.") % {"row": earlier}
    elif pending:
        message = str(LINKED_PENDING)
    elif organisation is not None:
        message = gettext(
            "Already registered with Rangkul; added to your organisation's members, not registered again."
        )
    else:
        message = gettext("Already registered with Rangkul; not registered again.")
    state.results.append(
        (
            state.job.pk,
            raw.number,
            RowOutcome.DUPLICATE.value,
            _column(state, "nik"),
            _shown_value(raw, "nik"),
            message,
            worker.pk,
        )
    )
    state.duplicates += 1
    if organisation is not None:
        state.memberships.append(
            Membership(
                organisation=organisation,
                worker=worker,
                source_import=state.job,
                consent=MemberConsent.PENDING if pending else MemberConsent.GIVEN,
                supplied_name=data["full_name"][:150] if pending else "",
            )
        )


def _registration(data: dict[str, Any]) -> RegistrationInput:
    return RegistrationInput(
        nik=data["nik"],
        full_name=data["full_name"],
        birth_date=data["birth_date"],
        sex=data["sex"],
        phone=data["phone"],
        village_code=data["village_code"],
        occupation_code=data["occupation_code"],
        declared_income_idr=data["declared_income_idr"],
        jht=data["jht"],
        email=data["email"],
        address=data["address"],
        postal_code=data["postal_code"],
    )


def _process_rows(state: _BatchState, rows: list[RawRow]) -> None:
    """Every row of the batch through one registry call, then each row's outcome in file order."""
    job = state.job
    occupations, places = state.occupations, state.places
    parsed_rows = [(raw, parse_row(raw, occupations=occupations, places=places)) for raw in rows]
    readable = [(raw, parsed) for raw, parsed in parsed_rows if not parsed.problems]
    registrations = [_registration(parsed.data) for _raw, parsed in readable]
    unreadable = [(raw, parsed, _registration(parsed.data)) for raw, parsed in parsed_rows if parsed.problems]
    state.lookups = BatchLookups(
        registrations + [registration for _raw, _parsed, registration in unreadable], earlier=state.lookups
    )
    # A row the cells already refuse is still checked against every registration rule, so that
    # its report lists all of its problems at once (not one layer per upload).
    more_problems = {
        raw.number: _other_problems(parsed, registration_problems(registration, lookups=state.lookups))
        for raw, parsed, registration in unreadable
    }
    outcomes = workers_register_many(
        actor=state.actor,
        rows=registrations,
        channel=Channel.IMPORT,
        phone_verified=job.skip_phone_verification,
        organisation_code=job.organisation.code if job.organisation else "",
        welcome=True,
        lookups=state.lookups,
    )
    outcome_of = {raw.number: outcome for (raw, _parsed), outcome in zip(readable, outcomes, strict=True)}
    created_in_row = {outcome.pk: number for number, outcome in outcome_of.items() if isinstance(outcome, NewWorker)}
    # Someone already registered is linked even if this row's other data would not pass today
    # (e.g. the person has since turned 65): membership needs only their NIK. One query for the
    # batch finds them, whether registered before or by an earlier row of this batch.
    existing = workers_find_by_niks(
        niks=[parsed.data["nik"] for raw, parsed in readable if _may_be_registered(outcome_of[raw.number])]
    )
    imported_before = (
        dict(
            ImportRowResult.objects.filter(
                job=job,
                outcome=RowOutcome.IMPORTED,
                worker_id__in={w.pk for w in existing.values() if w.pk not in created_in_row},
            )
            .order_by("-row_number")
            .values_list("worker_id", "row_number")
        )
        if existing
        else {}
    )
    imported = RowOutcome.IMPORTED.value
    organisation_id = job.organisation_id
    now = timezone.now()
    for raw, parsed in parsed_rows:
        if parsed.problems:
            problems = [(p.field, str(p.message)) for p in parsed.problems] + more_problems[raw.number]
            _reject(state, raw, sorted(problems, key=lambda problem: _COLUMN_ORDER.get(problem[0], 99)))
            continue
        outcome = outcome_of[raw.number]
        if isinstance(outcome, NewWorker):
            state.seen[outcome.pk] = raw.number
            if parsed.notes:
                note = parsed.notes[0]
                column, message = _column(state, note.field), str(note.message)
                state.results.append((job.pk, raw.number, imported, column, "", message, outcome.pk))
            else:
                state.results.append((job.pk, raw.number, imported, "", "", "", outcome.pk))
            state.imported += 1
            if organisation_id is not None:
                state.new_memberships.append((organisation_id, outcome.pk, now, job.pk))
            continue
        found = existing.get(parsed.data["nik"]) if _may_be_registered(outcome) else None
        if found is not None and created_in_row.get(found.pk, raw.number) > raw.number:
            found = None  # registered by a later row of this batch: not yet when this row was read
        if found is not None:
            _duplicate(state, raw, parsed, found, imported_before)
        elif isinstance(outcome, Conflict):
            _reject(state, raw, [("nik", str(outcome.message))])
        elif isinstance(outcome, ValidationFailed):
            problems = [(name, message) for name, messages in outcome.fields.items() for message in messages]
            _reject(state, raw, problems or [("", str(outcome.message))])
        else:
            raise outcome


# Problems are reported in the order of the template's columns.
_COLUMN_ORDER = {
    name: index
    for index, name in enumerate(
        (
            "nik",
            "full_name",
            "birth_date",
            "sex",
            "phone",
            "village_code",
            "village_name",
            "occupation",
            "declared_income_idr",
            "jht",
            "email",
            "address",
            "postal_code",
        )
    )
}
# The registry's field → the cell fields whose own problem already covers it.
_COVERED_BY = {"village_code": {"village_code", "village_name"}, "occupation": {"occupation"}}


def _other_problems(parsed: ParsedRow, fields: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The registry's problems of a row that its cells did not already explain."""
    seen = {problem.field for problem in parsed.problems}
    return [
        (name, message)
        for name, messages in fields.items()
        if not (_COVERED_BY.get(name, {name}) & seen)
        for message in messages
    ]


def _may_be_registered(outcome: NewWorker | ApplicationError) -> bool:
    """A row the registry refused whose NIK itself was fine: its holder may be a member already."""
    if isinstance(outcome, Conflict):
        return outcome.code == RegistryErrorCode.NIK_REGISTERED
    return isinstance(outcome, ValidationFailed) and "nik" not in outcome.fields


# A later batch needs this many NIKs before its share of shortened NIKs refuses the rest of the file.
_NIK_CHECK_LATER_MIN = 100


def _check_niks(rows: list[RawRow], *, first: bool) -> None:
    """Refuse the file (the first batch) or its rest when most NIKs look shortened by a spreadsheet."""
    if not first and len(rows) < _NIK_CHECK_LATER_MIN:
        return  # a short last batch: a few NIKs ending in 0 there may be chance
    error = niks_shortened(rows)
    if error is not None:
        raise error


def _batch_hook(job: ImportJob, rows: list[RawRow]) -> None:
    """Called inside each batch's transaction before it commits (tests use it to simulate a crash)."""


def _commit_batch(state: _BatchState, rows: list[RawRow]) -> None:
    job = state.job
    # The batch is one transaction with its watermark: if the server crashed right after the
    # commit and lost it, the batch and its watermark are lost together and the next run
    # registers those rows again. So the commit need not wait for the disk (ADR 0012).
    with atomic_unflushed():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.RUNNING or locked.last_committed_row != job.last_committed_row:
            raise _Stop
        _check_niks(rows, first=not job.last_committed_row)
        _process_rows(state, rows)
        insert_rows(ImportRowResult, _RESULT_COLUMNS, state.results)
        insert_rows(Membership, _MEMBERSHIP_COLUMNS, state.new_memberships)
        if state.memberships:
            linked_notify(organisation=state.job.organisation, memberships=state.memberships)
            Membership.objects.bulk_create(state.memberships, batch_size=1000, ignore_conflicts=True)
        locked.processed += len(rows)
        locked.imported += state.imported
        locked.rejected += state.rejected
        locked.duplicates += state.duplicates
        locked.last_committed_row = rows[-1].number
        locked.rows = max(locked.rows, locked.processed)
        locked.heartbeat_at = timezone.now()
        locked.save(
            update_fields=[
                "processed",
                "imported",
                "rejected",
                "duplicates",
                "last_committed_row",
                "rows",
                "heartbeat_at",
            ]
        )
        _batch_hook(locked, rows)
    for name in ("processed", "imported", "rejected", "duplicates", "last_committed_row", "rows"):
        setattr(job, name, getattr(locked, name))
    state.results = []
    state.memberships = []
    state.new_memberships = []
    state.seen = {}
    state.imported = state.rejected = state.duplicates = 0


# A batch that loses a deadlock to another part (both inserting the same NIK) is rolled back whole and retried.
_DEADLOCK_RETRIES = 5


def _close(rows: Iterator[RawRow]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _commit_part_batch(state: _BatchState, rows: list[RawRow], *, number: int, index: int, parts: int) -> None:
    """One batch of a part: ``_commit_batch`` with the part's watermark, retried when it loses a deadlock."""
    job = state.job
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            with atomic_unflushed():
                part = ImportJobPart.objects.select_for_update().get(job=job, number=number)
                if part.next_batch != index:
                    raise _Stop  # another run of this part got here first
                if ImportJob.objects.filter(pk=job.pk).values_list("status", flat=True).get() != ImportStatus.RUNNING:
                    raise _Stop  # cancelled or failed meanwhile
                _check_niks(rows, first=index == 0)
                _process_rows(state, rows)
                insert_rows(ImportRowResult, _RESULT_COLUMNS, state.results)
                insert_rows(Membership, _MEMBERSHIP_COLUMNS, state.new_memberships)
                if state.memberships:
                    linked_notify(organisation=state.job.organisation, memberships=state.memberships)
                    Membership.objects.bulk_create(state.memberships, batch_size=1000, ignore_conflicts=True)
                part.next_batch = index + parts
                part.save(update_fields=["next_batch"])
                # Last, so the job row is locked only while this batch commits.
                ImportJob.objects.filter(pk=job.pk).update(
                    processed=F("processed") + len(rows),
                    imported=F("imported") + state.imported,
                    rejected=F("rejected") + state.rejected,
                    duplicates=F("duplicates") + state.duplicates,
                    rows=Greatest(F("rows"), F("processed") + len(rows)),
                    heartbeat_at=timezone.now(),
                )
                _batch_hook(job, rows)
            return
        except OperationalError as exc:
            if not import_sql().is_deadlock(exc) or attempt == _DEADLOCK_RETRIES - 1:
                raise
            logger.warning("Import %s part %s: batch %s lost a deadlock; retrying.", job.pk, number, index)
        finally:
            state.results, state.memberships, state.new_memberships, state.seen = [], [], [], {}
            state.imported = state.rejected = state.duplicates = 0


def _batched(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _occupation_index() -> dict[str, str]:
    """Folded code, Indonesian and English name → catalogue code ("Ojek Online" → "ojek_online").

    The key "" holds the valid Indonesian names, for the message of a row whose occupation is unknown.
    """
    index: dict[str, str] = {}
    names = []
    for occupation in occupation_list():
        names.append(occupation.name)
        for label in (occupation.name_en, occupation.name, occupation.code):
            if label:
                index[header_key(label)] = occupation.code
    index[""] = ", ".join(names)
    return index


def _places(job: ImportJob, source: Source) -> PlaceIndex | None:
    """Village names of the partner's regency (all villages without one), when the file names villages."""
    if "village_name" not in source.columns:
        return None
    region = job.organisation.region if job.organisation is not None else None
    code = region.code if region is not None else None
    return PlaceIndex(lambda: village_names(regency_code=code), region_name=region.name if region else "")
