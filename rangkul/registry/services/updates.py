"""Changes to a registered worker: data edits, phone, revealing the NIK, the data export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.selectors import audit_events_for
from rangkul.audit.services import audit_record
from rangkul.core.errors import PermissionDenied, ValidationFailed
from rangkul.registry import identity
from rangkul.registry.models import (
    Worker,
)
from rangkul.registry.services.duplicates import duplicates_detect
from rangkul.registry.services.erasure import worker_refuse_if_anonymised
from rangkul.registry.services.registration import _worker_audit
from rangkul.registry.services.validation import (
    RegistrationInput,
    _clean,
    _Errors,
)

UPDATABLE_FIELDS = {
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "village_code",
    "address",
    "postal_code",
    "occupation_code",
    "second_occupation_code",
    "declared_income_idr",
    "jht",
    "payment_period_months",
}


def _worker_current(worker: Worker) -> dict[str, Any]:
    """The worker's values as ``RegistrationInput`` fields, the base that an update changes."""
    return {
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date,
        "sex": worker.sex,
        "phone": worker.phone,
        "village_code": worker.village_id,
        "occupation_code": worker.occupation.code,
        "second_occupation_code": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "jht": worker.jht,
        "payment_period_months": worker.payment_period_months,
        "email": worker.email,
        "address": worker.address,
        "postal_code": worker.postal_code,
    }


def worker_update_check(*, worker: Worker, changes: Mapping[str, Any]) -> None:
    """``worker_update``'s rules on ``changes`` without writing: raises ValidationFailed with every problem.

    A form that has errors of its own calls this with the values it could read, so that
    staff see all problems in one round instead of one layer at a time.
    """
    known = {key: value for key, value in changes.items() if key in UPDATABLE_FIELDS}
    _clean(RegistrationInput(**{**_worker_current(worker), **known}), check_age=False)


@transaction.atomic
def worker_update(*, actor: Actor, worker: Worker, changes: Mapping[str, Any], reason: str) -> Worker:
    """Change a worker's data with a mandatory reason; the NIK itself is never edited here.

    The same rules as registration apply (date of birth and sex must still agree
    with the NIK), except the age limit, which holds only at registration.
    A changed mobile number is no longer verified.
    """
    errors = _Errors()
    reason = " ".join((reason or "").split())
    if not reason:
        errors.add("reason", [_("Say why the data is changed.")])
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    for name in unknown:
        errors.add(name, [_("This field cannot be changed here.")])
    errors.raise_if_any()

    worker = (
        Worker.objects.select_for_update(of=("self",))
        .select_related("occupation", "second_occupation", "branch")
        .get(pk=worker.pk)
    )
    worker_refuse_if_anonymised(worker)
    current = _worker_current(worker)
    merged = RegistrationInput(**{**current, **dict(changes)})
    cleaned = _clean(merged, check_age=False)
    before = _worker_audit(worker)
    phone_changed = cleaned.phone != worker.phone
    worker.full_name = cleaned.full_name
    worker.name_normalized = identity.name_search_key(cleaned.full_name)
    worker.birth_date = cleaned.birth_date
    worker.sex = cleaned.sex
    worker.phone = cleaned.phone
    if phone_changed:
        worker.phone_verified_at = None
    worker.email = cleaned.email
    worker.village = cleaned.village
    worker.address = cleaned.address
    worker.postal_code = cleaned.postal_code
    worker.occupation = cleaned.occupation
    worker.second_occupation = cleaned.second_occupation
    worker.declared_income_idr = cleaned.declared_income_idr
    worker.jht = cleaned.jht
    worker.payment_period_months = cleaned.payment_period_months
    worker.save()
    after = _worker_audit(worker)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        audit_record(
            actor=actor,
            action="registry.worker_updated",
            subject=worker,
            before={key: before[key] for key in sorted(changed)},
            after={key: after[key] for key in sorted(changed)},
            reason=reason,
        )
        if changed & {"full_name", "birth_date", "village_code", "phone"}:
            duplicates_detect(worker=worker)
    return worker


@transaction.atomic
def worker_change_phone(*, actor: Actor, worker: Worker, phone: str) -> Worker:
    """Set a new, verified mobile number. The caller has checked the one-time code sent to it."""
    normalized, messages = identity.phone_errors(phone)
    if messages:
        raise ValidationFailed(_("Some fields are not valid."), fields={"phone": messages})
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    worker_refuse_if_anonymised(worker)
    before = {"phone": worker.phone}
    worker.phone = normalized
    worker.phone_verified_at = timezone.now()
    worker.save(update_fields=["phone", "phone_verified_at"])
    audit_record(
        actor=actor,
        action="registry.worker_phone_changed",
        subject=worker,
        before=before,
        after={"phone": normalized, "phone_verified": True},
    )
    if before["phone"] != normalized:
        duplicates_detect(worker=worker)
    return worker


@transaction.atomic
def worker_reveal_nik(*, actor: Actor, worker: Worker) -> str:
    """The full NIK, for staff allowed to see it; every reveal leaves an audit row."""
    if not actor.has_perm("accounts.reveal_nik"):
        raise PermissionDenied(_("You are not allowed to see full NIKs."))
    nik = worker.nik
    audit_record(actor=actor, action="registry.worker_nik_revealed", subject=worker)
    return nik


@transaction.atomic
def worker_export_data(*, actor: Actor, worker: Worker) -> dict[str, Any]:
    """Everything Rangkul holds about one person, for the access right of UU 27/2022.

    Includes the person's own NIK in full (it is their data), their heirs and
    the processing history from the audit log. The export itself is audited.
    """
    worker = Worker.objects.select_related(
        "village__district__regency__province", "occupation", "second_occupation", "branch"
    ).get(pk=worker.pk)
    village = worker.village
    history = [
        {
            "at": event.occurred_at.isoformat(),
            "action": event.action,
            "by": event.actor_label,
            "before": event.before,
            "after": event.after,
            "reason": event.reason,
        }
        for event in audit_events_for(subject_type=worker._meta.label_lower, subject_id=str(worker.pk)).order_by(
            "occurred_at", "pk"
        )
    ]
    data = {
        "exported_at": timezone.now().isoformat(),
        "membership_number": worker.membership_number,
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date.isoformat(),
        "sex": worker.sex,
        "phone": worker.phone,
        "phone_verified_at": worker.phone_verified_at.isoformat() if worker.phone_verified_at else None,
        "email": worker.email,
        "address": worker.address,
        "postal_code": worker.postal_code,
        "village": {
            "code": village.code,
            "name": village.name,
            "district": village.district.name,
            "regency": village.district.regency.name,
            "province": village.district.regency.province.name,
        },
        "occupation": {"code": worker.occupation.code, "name": worker.occupation.name},
        "second_occupation": (
            {"code": worker.second_occupation.code, "name": worker.second_occupation.name}
            if worker.second_occupation
            else None
        ),
        "declared_income_idr": worker.declared_income_idr,
        "programs": worker.programs,
        "payment_period_months": worker.payment_period_months,
        "branch": worker.branch.name if worker.branch else None,
        "channel": worker.channel,
        "registered_at": worker.registered_at.isoformat(),
        "status": worker.status,
        "heirs": [
            {
                "full_name": heir.full_name,
                "relationship": heir.relationship,
                "birth_date": heir.birth_date.isoformat() if heir.birth_date else None,
                "nik": heir.nik_masked,
                "phone": heir.phone,
            }
            for heir in worker.heirs.order_by("id")
        ],
        "history": history,
    }
    audit_record(actor=actor, action="registry.worker_data_exported", subject=worker)
    return data
