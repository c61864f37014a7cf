"""Heirs (ahli waris) of a member: added at registration, then added, changed and removed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.crypto import lookup_hash, seal, unseal
from rangkul.core.errors import NotFound, ValidationFailed
from rangkul.registry.models import (
    Heir,
    Worker,
)
from rangkul.registry.services.erasure import worker_refuse_if_anonymised
from rangkul.registry.services.validation import (
    MAX_HEIRS,
    HeirInput,
    _clean_heir,
    _Errors,
)


def _heir_create(*, worker: Worker, cleaned: Mapping[str, Any]) -> Heir:
    heir = _heir_new(worker_id=worker.pk, cleaned=cleaned)
    heir.save(force_insert=True)
    return heir


def _heir_new(*, worker_id: int, cleaned: Mapping[str, Any]) -> Heir:
    nik = cleaned["nik"]
    return Heir(
        worker_id=worker_id,
        full_name=cleaned["full_name"],
        relationship=cleaned["relationship"],
        birth_date=cleaned["birth_date"],
        nik_sealed=seal(nik, purpose="heir_nik") if nik else "",
        nik_hash=lookup_hash(nik, purpose="heir_nik") if nik else "",
        phone=cleaned["phone"],
    )


def _heir_audit(heir: Heir) -> dict[str, Any]:
    """An heir's fields for audit_record, which masks "heir_nik" and "phone" itself."""
    return {
        "full_name": heir.full_name,
        "relationship": heir.relationship,
        "birth_date": heir.birth_date.isoformat() if heir.birth_date else None,
        "heir_nik": unseal(heir.nik_sealed, purpose="heir_nik") if heir.nik_sealed else "",
        "phone": heir.phone,
    }


def _heir_clean_one(data: HeirInput) -> dict[str, Any]:
    errors = _Errors()
    cleaned = _clean_heir(data, prefix="", errors=errors, today=timezone.localdate())
    errors.raise_if_any()
    return cleaned


def _heir_of(worker: Worker, heir: Heir) -> Heir:
    found = Heir.objects.select_for_update().filter(pk=heir.pk, worker_id=worker.pk).first()
    if found is None:
        raise NotFound(_("This heir was not found."))
    return found


@transaction.atomic
def heir_add(*, actor: Actor, worker: Worker, data: HeirInput) -> Heir:
    worker_refuse_if_anonymised(worker)
    cleaned = _heir_clean_one(data)
    if Heir.objects.filter(worker_id=worker.pk).count() >= MAX_HEIRS:
        raise ValidationFailed(_("At most %(count)s heirs can be recorded.") % {"count": MAX_HEIRS})
    heir = _heir_create(worker=worker, cleaned=cleaned)
    audit_record(actor=actor, action="registry.heir_added", subject=worker, after=_heir_audit(heir))
    return heir


@transaction.atomic
def heir_update(*, actor: Actor, worker: Worker, heir: Heir, data: HeirInput) -> Heir:
    """Replace an heir's data. An empty NIK in ``data`` keeps the NIK already recorded."""
    worker_refuse_if_anonymised(worker)
    heir = _heir_of(worker, heir)
    cleaned = _heir_clean_one(data)
    before = _heir_audit(heir)
    heir.full_name = cleaned["full_name"]
    heir.relationship = cleaned["relationship"]
    heir.birth_date = cleaned["birth_date"]
    heir.phone = cleaned["phone"]
    if cleaned["nik"]:
        heir.nik_sealed = seal(cleaned["nik"], purpose="heir_nik")
        heir.nik_hash = lookup_hash(cleaned["nik"], purpose="heir_nik")
    heir.save()
    audit_record(actor=actor, action="registry.heir_updated", subject=worker, before=before, after=_heir_audit(heir))
    return heir


@transaction.atomic
def heir_remove(*, actor: Actor, worker: Worker, heir: Heir) -> None:
    heir = _heir_of(worker, heir)
    before = _heir_audit(heir)
    heir.delete()
    audit_record(actor=actor, action="registry.heir_removed", subject=worker, before=before)
