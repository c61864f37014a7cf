"""Registering a batch of workers (bulk imports): the same rules, the database work per batch."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record_subjects
from rangkul.core.crypto import lookup_hash, seal
from rangkul.core.errors import ApplicationError, Conflict, ValidationFailed
from rangkul.core.tasks import enqueue_on_commit
from rangkul.regions.models import Village
from rangkul.registry import sql
from rangkul.registry.dukcapil import dukcapil_backend
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.membership import membership_number_new
from rangkul.registry.models import (
    Channel,
    Heir,
    Occupation,
    PossibleDuplicate,
    Worker,
    WorkerStatus,
)
from rangkul.registry.services.duplicates import _duplicates_detect_new
from rangkul.registry.services.heirs import _heir_new
from rangkul.registry.services.registration import _registered_audit, _worker_insert, _worker_new
from rangkul.registry.services.validation import (
    MEMBERSHIP_NUMBER_ATTEMPTS,
    BatchLookups,
    RegistrationInput,
    _clean,
    _Cleaned,
    _identity_not_verified,
    _nik_conflict,
)
from rangkul.registry.tasks import welcomes_seal, workers_send_welcome


@dataclass(slots=True, kw_only=True)
class NewWorker:
    """A member registered by ``workers_register_many``: the stored values, without a ``Worker`` instance.

    A batch writes its rows straight from these (ADR 0018): building a model
    instance per row cost more than writing it. The attribute names are
    ``Worker``'s, so the audit, welcome and duplicate helpers read either;
    ``nik`` is the plaintext the batch already holds (never unsealed again).
    """

    nik: str
    nik_sealed: str
    nik_hash: str
    full_name: str
    name_normalized: str
    birth_date: dt.date
    sex: str
    phone: str
    phone_verified_at: dt.datetime | None
    email: str
    village: Village
    address: str
    postal_code: str
    occupation: Occupation
    second_occupation: Occupation | None
    declared_income_idr: int
    jht: bool
    payment_period_months: int
    branch: BranchOffice | None
    channel: str
    registered_at: dt.datetime
    registered_by: Any
    registered_by_organisation: str
    identity_warnings: list[str]
    referral_code: str = ""
    pk: int = 0
    membership_number: str = ""

    @property
    def village_id(self) -> str:
        return self.village.code

    def row(self) -> tuple[Any, ...]:
        """The values of ``WORKER_COLUMNS``, in order."""
        return (
            self.membership_number,
            self.nik_sealed,
            self.nik_hash,
            self.full_name,
            self.name_normalized,
            self.birth_date,
            self.sex,
            self.phone,
            self.phone_verified_at,
            self.email,
            self.village.code,
            self.address,
            self.postal_code,
            self.occupation.pk,
            self.second_occupation.pk if self.second_occupation else None,
            self.declared_income_idr,
            self.jht,
            self.payment_period_months,
            self.branch.pk if self.branch else None,
            self.channel,
            self.registered_at,
            self.registered_by.pk if self.registered_by else None,
            self.registered_by_organisation,
            self.identity_warnings,
            WorkerStatus.ACTIVE.value,
            self.referral_code,
        )

    def as_model(self) -> Worker:
        """The unsaved ``Worker`` with these values (the row-by-row fallback saves it)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in {"pk", "nik"}}
        return Worker(**values)


# The columns a bulk registration writes for a member, in the order of ``NewWorker.row()``.
WORKER_COLUMNS = (
    "membership_number",
    "nik_sealed",
    "nik_hash",
    "full_name",
    "name_normalized",
    "birth_date",
    "sex",
    "phone",
    "phone_verified_at",
    "email",
    "village_id",
    "address",
    "postal_code",
    "occupation_id",
    "second_occupation_id",
    "declared_income_idr",
    "jht",
    "payment_period_months",
    "branch_id",
    "channel",
    "registered_at",
    "registered_by_id",
    "registered_by_organisation",
    "identity_warnings",
    "status",
    "referral_code",
)


@dataclass
class _Pending:
    """A row of a batch that passed every check and waits for its insert."""

    index: int
    cleaned: _Cleaned
    worker: NewWorker
    dukcapil_reference: str


@transaction.atomic
def workers_register_many(
    *,
    actor: Actor,
    rows: Sequence[RegistrationInput],
    channel: str,
    phone_verified: bool = False,
    organisation_code: str = "",
    welcome: bool = False,
    lookups: BatchLookups | None = None,
) -> list[NewWorker | ApplicationError]:
    """Register a batch of workers (bulk imports): the outcome of ``worker_register`` for each row, in order.

    The rules are the same code (``_clean``, the identity helpers, the Dukcapil
    adapter once per row); only the database work is per batch: reference rows
    loaded once, one query for NIKs already registered, one INSERT for the
    workers (row by row only if a concurrent registration takes a NIK or a
    number meanwhile), heirs, possible duplicates and audit rows in bulk. A NIK
    that appears twice in the batch is a Conflict for the later row, exactly as
    registering the rows one after the other. Errors are returned, not raised,
    so that one bad row never undoes the others; everything is written in the
    caller's transaction. ``welcome=True`` queues one task for the batch's welcome
    messages with that transaction (ADR 0012). ``lookups``: the batch's reference
    rows, already read (an import shares them from batch to batch).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown registration channel {channel!r}")
    lookups = lookups or BatchLookups(rows)
    outcomes: list[NewWorker | ApplicationError | None] = [None] * len(rows)
    accepted: list[tuple[int, _Cleaned, str, str]] = []
    for index, data in enumerate(rows):
        try:
            cleaned = _clean(data, lookups=lookups)
        except ValidationFailed as exc:
            outcomes[index] = exc
            continue
        accepted.append((index, cleaned, lookup_hash(cleaned.nik), seal(cleaned.nik, purpose="nik")))

    hashes = {nik_hash for _index, _cleaned, nik_hash, _sealed in accepted}
    # A fresh membership number for every accepted row, checked with the NIKs in one query.
    issued: set[str] = set()
    numbers = [_number_not_in(issued) for _row in accepted]
    taken, used = _registered_already(hashes, numbers)
    backend = dukcapil_backend()
    now = timezone.now()
    pending: list[_Pending] = []
    for (index, cleaned, nik_hash, nik_sealed), number in zip(accepted, numbers, strict=True):
        if nik_hash in taken:  # a member already, or an earlier row of this batch
            outcomes[index] = _nik_conflict()
            continue
        result = backend.verify(
            nik=cleaned.nik, full_name=cleaned.full_name, birth_date=cleaned.birth_date, sex=cleaned.sex
        )
        if not result.verified:
            outcomes[index] = _identity_not_verified()
            continue
        taken.add(nik_hash)
        worker = NewWorker(
            nik=cleaned.nik,
            membership_number="" if number in used else number,  # "": drawn again before the insert
            **_worker_new(
                cleaned=cleaned,
                nik_sealed=nik_sealed,
                nik_hash=nik_hash,
                actor=actor,
                channel=channel,
                phone_verified=phone_verified,
                organisation_code=organisation_code,
                branch=lookups.default_branch(cleaned.village),
                now=now,
            ),
        )
        pending.append(_Pending(index, cleaned, worker, result.reference))

    created = _workers_insert_many(pending, outcomes)
    Heir.objects.bulk_create(
        [_heir_new(worker_id=item.worker.pk, cleaned=heir) for item in created for heir in item.cleaned.heirs]
    )
    duplicates = _duplicates_detect_new([item.worker for item in created])
    PossibleDuplicate.objects.bulk_create([found for per_worker in duplicates for found in per_worker])
    audit_record_subjects(
        actor=actor,
        action="registry.worker_registered",
        subject_type=Worker._meta.label_lower,
        subjects=(
            (
                item.worker.pk,
                item.worker.membership_number,
                _registered_audit(
                    item.worker,
                    item.cleaned,
                    channel=channel,
                    phone_verified=phone_verified,
                    duplicates=len(found),
                    reference=item.dukcapil_reference,
                ),
            )
            for item, found in zip(created, duplicates, strict=True)
        ),
    )
    for item in created:
        outcomes[item.index] = item.worker
    if welcome and created:
        # One task for the batch, carrying its welcome messages sealed, queued with the batch's
        # transaction (in it when tasks live in the database, else after the commit): a rolled-back
        # batch texts nobody, and a committed batch always has its task.
        sealed = welcomes_seal([item.worker for item in created])
        enqueue_on_commit(workers_send_welcome, sealed=sealed, count=len(created))
    assert all(outcome is not None for outcome in outcomes)  # noqa: S101 — every row was decided above
    return [outcome for outcome in outcomes if outcome is not None]


def _workers_insert_many(
    pending: list[_Pending], outcomes: list[NewWorker | ApplicationError | None]
) -> list[_Pending]:
    """Insert the batch's new records with one statement; the rows that were saved, in order."""
    if not pending:
        return []
    workers = [item.worker for item in pending]
    try:
        _membership_numbers_assign(
            [worker for worker in workers if not worker.membership_number],
            issued={worker.membership_number for worker in workers if worker.membership_number},
        )
        # A savepoint: if a concurrent registration took one of these NIKs or numbers since the
        # checks, the unique constraints stop the whole insert and the batch falls back to
        # worker_register's row-by-row insert and retry. COPY on PostgreSQL (ADR 0012, 0018).
        with transaction.atomic():
            _workers_write(workers)
        return pending
    except IntegrityError:
        pass
    except Conflict as exc:
        for item in pending:
            outcomes[item.index] = exc
        return []
    saved = []
    for item in pending:
        model = item.worker.as_model()
        try:
            _worker_insert(model)
        except Conflict as exc:
            outcomes[item.index] = exc
            continue
        item.worker.pk, item.worker.membership_number = model.pk, model.membership_number
        saved.append(item)
    return saved


def _workers_write(workers: Sequence[NewWorker]) -> None:
    """Insert new records from their values and give each its key."""
    keys = sql.registry_sql().workers_insert(
        WORKER_COLUMNS, [worker.row() for worker in workers], [worker.nik_hash for worker in workers]
    )
    for worker, key in zip(workers, keys, strict=True):
        worker.pk = key


def _registered_already(hashes: set[str], numbers: Sequence[str]) -> tuple[set[str], set[str]]:
    """Which of these NIK hashes are registered and which membership numbers are in use: one query."""
    if not hashes:
        return set(), set()
    found = sql.registry_sql().registered_already(hashes, numbers)
    wanted = set(numbers)
    return {h for h, _n in found if h in hashes}, {n for _h, n in found if n in wanted}


def _membership_numbers_assign(workers: Sequence[NewWorker], *, issued: set[str] | None = None) -> None:
    """Distinct new membership numbers, checked against the database with one query per attempt.

    ``issued``: numbers the batch already gave its other members (never drawn again).
    """
    if not workers:
        return
    numbers: set[str] = set(issued or ())
    for worker in workers:
        worker.membership_number = _number_not_in(numbers)
    for _attempt in range(MEMBERSHIP_NUMBER_ATTEMPTS):
        used = set(
            Worker.objects.filter(membership_number__in=[w.membership_number for w in workers]).values_list(
                "membership_number", flat=True
            )
        )
        if not used:
            return
        for worker in workers:
            if worker.membership_number in used:
                worker.membership_number = _number_not_in(numbers)
    # pragma: no cover — 8 collisions in a row in a space of 9×10⁹ numbers
    raise Conflict(
        _("Could not allocate a membership number; please try again."), code=RegistryErrorCode.NUMBER_EXHAUSTED
    )


def _number_not_in(numbers: set[str]) -> str:
    while (number := membership_number_new()) in numbers:
        pass
    numbers.add(number)
    return number


# The fields two records share to be queued as possible duplicates, by reason (every detection path).
