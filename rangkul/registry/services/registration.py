"""Registering one worker through any channel (portal, back office, API, agents)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.crypto import lookup_hash, seal
from rangkul.core.errors import Conflict
from rangkul.core.tasks import enqueue_on_commit
from rangkul.registry import identity
from rangkul.registry.dukcapil import dukcapil_backend
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.membership import membership_number_new
from rangkul.registry.models import (
    Channel,
    Occupation,
    Worker,
)
from rangkul.registry.services.duplicates import duplicates_detect
from rangkul.registry.services.heirs import _heir_create
from rangkul.registry.services.validation import (
    _DATABASE_LOOKUPS,
    MEMBERSHIP_NUMBER_ATTEMPTS,
    RegistrationInput,
    _clean,
    _Cleaned,
    _identity_not_verified,
    _nik_conflict,
)
from rangkul.registry.tasks import worker_send_welcome

if TYPE_CHECKING:
    from rangkul.registry.services.bulk import NewWorker

OCCUPATIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "occupations.csv"


@transaction.atomic
def occupations_load(*, path: Path = OCCUPATIONS_FILE) -> int:
    """Create or update the occupation catalogue from its CSV file (the migration does the same once)."""
    count = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Occupation.objects.update_or_create(
                code=row["code"].strip(),
                defaults={
                    "name": row["name"].strip(),
                    "name_en": row["name_en"].strip(),
                    "sector": row["sector"].strip(),
                    "is_active": True,
                },
            )
            count += 1
    return count


def _worker_audit(worker: Worker | NewWorker) -> dict[str, Any]:
    """The worker's fields for audit_record, which masks "nik" and "phone" itself."""
    return {
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date.isoformat(),
        "sex": worker.sex,
        "phone": worker.phone,
        "email": worker.email,
        "village_code": worker.village_id,
        "address": worker.address,
        "postal_code": worker.postal_code,
        "occupation": worker.occupation.code,
        "second_occupation": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "jht": worker.jht,
        "payment_period_months": worker.payment_period_months,
        "branch": worker.branch.code if worker.branch else "",
    }


_REFERRAL_CODE = re.compile(r"[A-Z0-9-]{3,20}")


def referral_code_clean(value: str) -> str:
    """A referral code as stored: upper case, or empty when it cannot be one.

    A mistyped code never stops a registration: it is simply not recorded.
    """
    code = (value or "").strip().upper()
    return code if _REFERRAL_CODE.fullmatch(code) else ""


def _worker_new(
    *,
    cleaned: _Cleaned,
    nik_sealed: str,
    nik_hash: str,
    actor: Actor,
    channel: str,
    phone_verified: bool,
    organisation_code: str,
    branch: BranchOffice | None,
    now: dt.datetime,
    referral_code: str = "",
) -> dict[str, Any]:
    """The values of a new record whose data passed every rule (``Worker`` or ``NewWorker`` takes them)."""
    return {
        "nik_sealed": nik_sealed,
        "nik_hash": nik_hash,
        "full_name": cleaned.full_name,
        "name_normalized": identity.name_search_key(cleaned.full_name),
        "birth_date": cleaned.birth_date,
        "sex": cleaned.sex,
        "phone": cleaned.phone,
        "phone_verified_at": now if phone_verified else None,
        "email": cleaned.email,
        "village": cleaned.village,
        "address": cleaned.address,
        "postal_code": cleaned.postal_code,
        "occupation": cleaned.occupation,
        "second_occupation": cleaned.second_occupation,
        "declared_income_idr": cleaned.declared_income_idr,
        "jht": cleaned.jht,
        "payment_period_months": cleaned.payment_period_months,
        "branch": branch,
        "channel": channel,
        "registered_at": now,
        "registered_by": actor.user,
        # Organisation codes are compared case-insensitively everywhere (partners app); store them folded.
        "registered_by_organisation": organisation_code.strip().lower()[:40],
        "identity_warnings": list(cleaned.warnings),
        "referral_code": referral_code_clean(referral_code),
    }


def _worker_insert(worker: Worker) -> None:
    """Save a new record with a fresh membership number, retrying the rare number collision."""
    for _attempt in range(MEMBERSHIP_NUMBER_ATTEMPTS):
        worker.pk = None
        worker.membership_number = membership_number_new()
        try:
            # A savepoint, so that a unique violation leaves the outer transaction usable.
            with transaction.atomic():
                worker.save(force_insert=True)
            return
        except IntegrityError:
            # A concurrent registration of the same NIK committed first: the unique
            # constraint on nik_hash is what makes "one NIK, one member" hold.
            if Worker.objects.filter(nik_hash=worker.nik_hash).exists():
                raise _nik_conflict() from None
            if not Worker.objects.filter(membership_number=worker.membership_number).exists():
                raise
    # pragma: no cover — 8 collisions in a space of 9×10⁹ numbers
    raise Conflict(
        _("Could not allocate a membership number; please try again."), code=RegistryErrorCode.NUMBER_EXHAUSTED
    )


def _registered_audit(
    worker: Worker | NewWorker,
    cleaned: _Cleaned,
    *,
    channel: str,
    phone_verified: bool,
    duplicates: int,
    reference: str,
) -> dict[str, Any]:
    """What the "registry.worker_registered" audit row records (audit_record masks NIK and phone)."""
    return {
        **_worker_audit(worker),
        "channel": channel,
        "phone_verified": phone_verified,
        "heirs": len(cleaned.heirs),
        "identity_warnings": list(cleaned.warnings),
        "possible_duplicates": duplicates,
        "dukcapil_reference": reference,
    }


def _welcome_after_commit(worker_id: int) -> None:
    enqueue_on_commit(worker_send_welcome, worker_id)


@transaction.atomic
def worker_register(
    *,
    actor: Actor,
    data: RegistrationInput,
    channel: str,
    phone_verified: bool = False,
    branch: BranchOffice | None = None,
    organisation_code: str = "",
    welcome: bool = True,
    referral_code: str = "",
) -> Worker:
    """Register one worker through any channel.

    Raises ValidationFailed (every field problem at once) or Conflict
    (code "nik_registered") when the NIK already belongs to a member.
    ``phone_verified`` is True only when the caller has just checked a
    one-time code sent to ``data.phone``. ``welcome=False`` skips the welcome
    SMS (demo data, or imports whose partner informs members itself).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown registration channel {channel!r}")
    cleaned = _clean(data)
    nik_hash = lookup_hash(cleaned.nik)
    if Worker.objects.filter(nik_hash=nik_hash).exists():
        raise _nik_conflict()
    result = dukcapil_backend().verify(
        nik=cleaned.nik, full_name=cleaned.full_name, birth_date=cleaned.birth_date, sex=cleaned.sex
    )
    if not result.verified:
        raise _identity_not_verified()

    worker = Worker(
        **_worker_new(
            cleaned=cleaned,
            nik_sealed=seal(cleaned.nik, purpose="nik"),
            nik_hash=nik_hash,
            actor=actor,
            channel=channel,
            phone_verified=phone_verified,
            organisation_code=organisation_code,
            referral_code=referral_code,
            branch=branch or _DATABASE_LOOKUPS.default_branch(cleaned.village),
            now=timezone.now(),
        )
    )
    _worker_insert(worker)
    for heir in cleaned.heirs:
        _heir_create(worker=worker, cleaned=heir)
    duplicates = duplicates_detect(worker=worker, new=True)
    audit_record(
        actor=actor,
        action="registry.worker_registered",
        subject=worker,
        after=_registered_audit(
            worker,
            cleaned,
            channel=channel,
            phone_verified=phone_verified,
            duplicates=len(duplicates),
            reference=result.reference,
        ),
    )
    if welcome:
        _welcome_after_commit(worker.pk)
    return worker
