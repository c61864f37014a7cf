"""Reads from the registry, with the permission scope applied here and nowhere else.

Branch staff see workers whose village lies in their branch's regency; users
with ``accounts.view_all_regions`` see everyone; staff without a branch see
nobody. A partner's API key sees the workers its organisation registered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.core.crypto import lookup_hash
from rangkul.core.errors import NotFound
from rangkul.registry import identity
from rangkul.registry.membership import membership_number_is_valid
from rangkul.registry.models import DuplicateStatus, Heir, Occupation, PossibleDuplicate, Worker, WorkerStatus

_WORKER_RELATED = ("village__district__regency__province", "occupation", "second_occupation", "branch", "merged_into")


def _not_found() -> NotFound:
    return NotFound(_("No worker with this membership number."))


def occupation_list(*, active_only: bool = True) -> QuerySet[Occupation]:
    qs = Occupation.objects.order_by("name")
    return qs.filter(is_active=True) if active_only else qs


def occupation_find(*, code: str) -> Occupation | None:
    return Occupation.objects.filter(code=code).first()


def branch_office_find(*, code: str, active_only: bool = False) -> BranchOffice | None:
    """The branch office with this code (only an active one when asked), or None for no code."""
    if not code:
        return None
    offices = BranchOffice.objects.filter(code=code)
    return (offices.filter(is_active=True) if active_only else offices).first()


def _in_region(code: str) -> Q:
    """Workers whose village code lies under a province, regency, district or village code."""
    code = code.strip().rstrip(".")
    if len(code) == 13:
        return Q(village_id=code)
    return Q(village__code__startswith=f"{code}.")


def worker_scope_for_user(user: Any) -> QuerySet[Worker]:
    qs = Worker.objects.select_related(*_WORKER_RELATED)
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.has_perm("accounts.view_all_regions"):
        return qs
    branch = getattr(user, "branch", None)
    if branch is None:
        return qs.none()
    return qs.filter(_in_region(branch.regency_id))


def worker_scope_for_api_key(api_key: Any) -> QuerySet[Worker]:
    """A partner's key sees only the workers its organisation registered; a field agent's key
    (bound to a user with the agent's permission) only the workers that agent registered."""
    code = (getattr(api_key, "organisation_code", "") or "").strip().lower()
    qs = Worker.objects.select_related(*_WORKER_RELATED)
    user = getattr(api_key, "user", None)
    if not code and user is not None and user.is_active and user.has_perm("accounts.collect_contributions"):
        return qs.filter(registered_by=user)
    # Codes are stored case-folded (registry migration 0005 folded older rows), so an exact match
    # suffices. Partners read one member at a time, by membership number, whose unique index
    # finds the row; the code only confirms it (no index of its own, registry migration 0008).
    return qs.filter(registered_by_organisation=code) if code else qs.none()


def worker_for_card(*, worker_id: int) -> Worker:
    """A member with what the membership card shows (occupation, place)."""
    return Worker.objects.select_related("occupation", "village__district__regency").get(pk=worker_id)


def worker_find_by_id(*, worker_id: Any) -> Worker | None:
    """The member with this id (as kept in a session), or None."""
    return Worker.objects.filter(pk=worker_id).first() if worker_id else None


def workers_active_among(*, worker_ids: Iterable[Any]) -> list[Worker]:
    """The active members among these ids, oldest registration first."""
    return list(Worker.objects.filter(pk__in=worker_ids, status=WorkerStatus.ACTIVE).order_by("registered_at", "pk"))


def worker_get(*, membership_number: str) -> Worker:
    worker = Worker.objects.select_related(*_WORKER_RELATED).filter(membership_number=membership_number).first()
    if worker is None:
        raise _not_found()
    return worker


def worker_get_for_user(*, user: Any, membership_number: str) -> Worker:
    """Fetch and authorise: a worker outside the user's scope is reported as not found."""
    worker = worker_scope_for_user(user).filter(membership_number=membership_number).first()
    if worker is None:
        raise _not_found()
    return worker


def worker_get_for_api_key(*, api_key: Any, membership_number: str) -> Worker:
    worker = worker_scope_for_api_key(api_key).filter(membership_number=membership_number).first()
    if worker is None:
        raise _not_found()
    return worker


def worker_find_by_nik(*, nik: str) -> Worker | None:
    digits = identity.nik_compact(nik)
    if len(digits) != 16 or not digits.isdigit():
        return None
    return Worker.objects.select_related(*_WORKER_RELATED).filter(nik_hash=lookup_hash(digits)).first()


def workers_find_by_niks(*, niks: Iterable[str]) -> dict[str, Worker]:
    """``worker_find_by_nik`` for many NIKs with one query: NIK as given → worker, for those registered."""
    hashes: dict[str, list[str]] = {}
    for nik in niks:
        digits = identity.nik_compact(nik)
        if len(digits) == 16 and digits.isdigit():
            hashes.setdefault(lookup_hash(digits), []).append(nik)
    if not hashes:
        return {}
    found: dict[str, Worker] = {}
    for worker in Worker.objects.filter(nik_hash__in=hashes):
        for nik in hashes[worker.nik_hash]:
            found[nik] = worker
    return found


def worker_find_by_phone(*, phone: str) -> QuerySet[Worker]:
    """Active records with this mobile number (a family may share one phone)."""
    try:
        normalized = identity.phone_normalize(phone)
    except identity.PhoneInvalid:
        return Worker.objects.none()
    return Worker.objects.select_related(*_WORKER_RELATED).filter(phone=normalized, status="active")


def _query_filter(q: str) -> Q | None:
    """What the search box holds: a NIK, a membership number, a phone number or a name."""
    q = " ".join(q.split())
    if not q:
        return None
    digits = "".join(ch for ch in q if ch.isdigit())
    only_digits = digits and all(ch.isdigit() or ch in " -.+" for ch in q)
    if only_digits and len(digits) == 16:
        return Q(nik_hash=lookup_hash(digits))
    if only_digits:
        # An 11-digit number may be a membership number or a phone number written without
        # its leading 0: look for both rather than guess.
        condition = Q(membership_number=digits) if membership_number_is_valid(digits) else Q(pk__in=[])
        with contextlib.suppress(identity.PhoneInvalid):
            condition |= Q(phone=identity.phone_normalize(q))
        return condition
    # Served by the trigram GIN index on PostgreSQL (migration 0003); name_normalized is case-folded.
    return Q(name_normalized__contains=identity.name_search_key(q))


def worker_search(
    *, user: Any, q: str = "", region_code: str = "", branch: BranchOffice | None = None
) -> QuerySet[Worker]:
    qs = worker_scope_for_user(user)
    condition = _query_filter(q or "")
    if condition is not None:
        qs = qs.filter(condition)
    if region_code.strip():
        qs = qs.filter(_in_region(region_code))
    if branch is not None:
        qs = qs.filter(branch=branch)
    return qs.order_by("-registered_at", "-pk")


def heir_list(*, worker: Worker) -> list[Heir]:
    """Heirs in the order of entitlement (DOMAIN.md), then as entered."""
    return sorted(worker.heirs.all(), key=lambda heir: (heir.rank, heir.pk))


def heir_get(*, worker: Worker, heir_id: int) -> Heir:
    heir = Heir.objects.filter(worker=worker, pk=heir_id).first()
    if heir is None:
        raise NotFound(_("This heir was not found."))
    return heir


def duplicate_list_for_user(*, user: Any, status: str = DuplicateStatus.OPEN) -> QuerySet[PossibleDuplicate]:
    scope = worker_scope_for_user(user).values("pk")
    qs = PossibleDuplicate.objects.select_related(
        "worker__village", "other__village", "worker__occupation", "other__occupation", "resolved_by"
    ).filter(worker__in=scope)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def duplicate_get_for_user(*, user: Any, duplicate_id: int) -> PossibleDuplicate:
    duplicate = duplicate_list_for_user(user=user, status="").filter(pk=duplicate_id).first()
    if duplicate is None:
        raise NotFound(_("This possible duplicate was not found."))
    return duplicate


def workers_for_verified_phone(*, phone: str, limit: int = 9) -> list[Worker]:
    """Active members whose verified mobile number is ``phone`` (E.164), oldest registration first.

    Several members may share one phone (a family, a cooperative's handset): the list is their
    order for a choice by number. Unverified numbers are not used to identify anybody.
    """
    return list(
        Worker.objects.filter(phone=phone, phone_verified_at__isnull=False, status=WorkerStatus.ACTIVE)
        .select_related("occupation", "village")
        .order_by("registered_at", "pk")[:limit]
    )
