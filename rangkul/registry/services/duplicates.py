"""Possible duplicates: found at registration, swept after parallel imports, decided by staff."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.registry import sql
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import (
    DuplicateReason,
    DuplicateStatus,
    PossibleDuplicate,
    Worker,
    WorkerStatus,
)
from rangkul.registry.services.validation import DUPLICATE_CANDIDATES

if TYPE_CHECKING:
    from rangkul.registry.services.bulk import NewWorker


def duplicates_detect(*, worker: Worker, new: bool = False) -> list[PossibleDuplicate]:
    """Queue other records that may be the same person: same name + birth date + village, or same phone.

    ``new``: the record was inserted in this transaction, so no pair with it can be queued
    yet; the per-pair check is skipped (one statement per reason, none per candidate).
    """
    others = Worker.objects.exclude(pk=worker.pk).filter(status=WorkerStatus.ACTIVE)
    candidates = [
        (
            DuplicateReason.NAME_BIRTH_VILLAGE,
            others.filter(
                name_normalized=worker.name_normalized, birth_date=worker.birth_date, village_id=worker.village_id
            ),
        ),
        (DuplicateReason.PHONE, others.filter(phone=worker.phone)),
    ]
    pending: list[PossibleDuplicate] = []
    for reason, queryset in candidates:
        for other_id in queryset.order_by("registered_at").values_list("pk", flat=True)[:DUPLICATE_CANDIDATES]:
            if not new:
                pair = Q(worker=worker, other_id=other_id) | Q(worker_id=other_id, other=worker)
                if PossibleDuplicate.objects.filter(pair, reason=reason).exists():
                    continue  # already queued (or decided), whichever record came first
            pending.append(PossibleDuplicate(worker=worker, other_id=other_id, reason=reason))
    return PossibleDuplicate.objects.bulk_create(pending) if pending else []


_NAME_KEY = ("name_normalized", "birth_date", "village_id")
_PHONE_KEY = ("phone",)
_DUPLICATE_KEYS = ((DuplicateReason.NAME_BIRTH_VILLAGE, _NAME_KEY), (DuplicateReason.PHONE, _PHONE_KEY))


def _duplicates_detect_new(workers: Sequence[NewWorker]) -> list[list[PossibleDuplicate]]:
    """``duplicates_detect`` for records just inserted in this order, with one query per reason.

    Each record is compared, as when registering one after the other, with the
    active records before it: those already in the database and the earlier
    ones of this batch, the oldest DUPLICATE_CANDIDATES of each. A new record
    has no queued pair yet, so every match is a new PossibleDuplicate (unsaved).
    """
    if not workers:
        return []
    name_keys = {(w.name_normalized, w.birth_date, w.village_id) for w in workers}
    phone_keys = {(w.phone,) for w in workers}
    queries, batch = sql.registry_sql(), [w.pk for w in workers]
    by_name = queries.oldest_per_key(_NAME_KEY, name_keys, batch, limit=DUPLICATE_CANDIDATES)
    by_phone = queries.oldest_per_key(_PHONE_KEY, phone_keys, batch, limit=DUPLICATE_CANDIDATES)
    found: list[list[PossibleDuplicate]] = []
    for worker in workers:
        mine: list[PossibleDuplicate] = []
        name_key = (worker.name_normalized, worker.birth_date, worker.village_id)
        for reason, earlier, key in (
            (DuplicateReason.NAME_BIRTH_VILLAGE, by_name, name_key),
            (DuplicateReason.PHONE, by_phone, (worker.phone,)),
        ):
            candidates = earlier.setdefault(key, [])
            mine.extend(PossibleDuplicate(worker_id=worker.pk, other_id=pk, reason=reason) for _at, pk in candidates)
            # Later records of the batch see this one too; only the oldest few can ever be chosen.
            bisect.insort(candidates, (worker.registered_at, worker.pk))
            del candidates[DUPLICATE_CANDIDATES:]
        found.append(mine)
    return found


def duplicates_queue_among(workers: QuerySet[Worker]) -> int:
    """Queue the possible duplicates of ``workers`` that their registration could not see (PostgreSQL).

    The same rule as registration (``duplicates_detect``): for each active record, the
    oldest DUPLICATE_CANDIDATES earlier active records with the same name, date of birth
    and village, or the same phone. Registration finds them all, except between records
    written at the same moment by two transactions (an import's parts, ADR 0019): each
    pair then has both records in ``workers``, so only keys that two of them share are
    searched. Pairs already queued (or decided) are left as they are. Returns how many
    were queued.
    """
    return sql.registry_sql().duplicates_queue_among(workers, keys=_DUPLICATE_KEYS, limit=DUPLICATE_CANDIDATES)


# Fields a back-office edit (or the worker) may change, with their RegistrationInput names.


def _duplicate_open(duplicate: PossibleDuplicate) -> PossibleDuplicate:
    locked = (
        PossibleDuplicate.objects.select_for_update(of=("self",)).select_related("worker", "other").get(pk=duplicate.pk)
    )
    if locked.status != DuplicateStatus.OPEN:
        raise Conflict(_("This possible duplicate was already resolved."), code=RegistryErrorCode.DUPLICATE_RESOLVED)
    return locked


@transaction.atomic
def duplicate_dismiss(*, actor: Actor, duplicate: PossibleDuplicate, note: str = "") -> PossibleDuplicate:
    """Two different people after all: close the case, keep both records."""
    duplicate = _duplicate_open(duplicate)
    duplicate.status = DuplicateStatus.DISMISSED
    duplicate.note = note.strip()
    duplicate.resolved_by = actor.user
    duplicate.resolved_at = timezone.now()
    duplicate.save()
    audit_record(
        actor=actor,
        action="registry.duplicate_dismissed",
        subject=duplicate.worker,
        after={"other": duplicate.other.membership_number, "reason": duplicate.reason},
        reason=duplicate.note,
    )
    return duplicate


@transaction.atomic
def duplicate_merge(*, actor: Actor, duplicate: PossibleDuplicate, note: str) -> PossibleDuplicate:
    """One person with two records: the newer record is marked merged into the older one.

    Nothing is deleted; payments and history stay on the record they belong to
    and can be followed through ``merged_into``.
    """
    note = note.strip()
    if not note:
        raise ValidationFailed(_("Some fields are not valid."), fields={"note": [_("Say why the records are merged.")]})
    duplicate = _duplicate_open(duplicate)
    older, newer = duplicate.merge_order()
    if older.status != WorkerStatus.ACTIVE or newer.status != WorkerStatus.ACTIVE:
        raise Conflict(_("One of these records was already merged."), code=RegistryErrorCode.ALREADY_MERGED)
    Worker.objects.filter(pk=newer.pk).update(status=WorkerStatus.MERGED, merged_into=older)
    duplicate.status = DuplicateStatus.MERGED
    duplicate.note = note
    duplicate.resolved_by = actor.user
    duplicate.resolved_at = timezone.now()
    duplicate.save()
    audit_record(
        actor=actor,
        action="registry.worker_merged",
        subject=newer,
        before={"status": WorkerStatus.ACTIVE},
        after={"status": WorkerStatus.MERGED, "merged_into": older.membership_number},
        reason=note,
    )
    return duplicate
