"""The one way to write the audit log. Every service that changes personal data or money calls it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from rangkul.audit.models import AuditEvent
from rangkul.core import context
from rangkul.core.bulk import insert_many
from rangkul.core.crypto import mask_nik, mask_phone

# Keys whose values are personal data: stored masked, never in full.
_MASKERS = {
    "nik": mask_nik,
    "heir_nik": mask_nik,
    "phone": mask_phone,
}
_DROPPED = {"password", "otp", "code", "secret", "token", "key", "nik_sealed", "nik_hash"}


def mask_values(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A copy of ``data`` fit for the audit log: personal values masked, secrets dropped."""
    if data is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key in _DROPPED:
            continue
        if key in _MASKERS and isinstance(value, str):
            cleaned[key] = _MASKERS[key](value)
        elif isinstance(value, Mapping):
            cleaned[key] = mask_values(value)
        elif isinstance(value, (str, int, float, bool)) or value is None:
            cleaned[key] = value
        elif isinstance(value, (list, tuple)):
            cleaned[key] = [mask_values(v) if isinstance(v, Mapping) else str(v) for v in value]
        else:
            cleaned[key] = str(value)
    return cleaned


def audit_record(
    *,
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit row, with the current request's id and address.

    Call it inside the service's transaction so that the row exists exactly
    when the change does.
    """
    event = _event_new(
        context.current(),
        actor=actor,
        action=action,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label,
        before=before,
        after=after,
        reason=reason,
    )
    event.save(force_insert=True)
    return event


def audit_record_many(entries: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append many audit rows in one INSERT per chunk; each entry holds ``audit_record``'s keyword arguments.

    For bulk services (imports): the rows are exactly those that calling
    ``audit_record`` once per entry would write, with the same masking.
    """
    ctx = context.current()
    events = [_event_new(ctx, **entry) for entry in entries]
    return list(insert_many(AuditEvent, events)) if events else []


def _event_new(
    ctx: context.RequestContext,
    *,
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """The unsaved audit row for one act: personal values masked, secrets dropped."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
        subject_label = subject_label or _safe_label(subject)
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=real_actor,
        actor_label=(str(real_actor) if real_actor else (actor if isinstance(actor, str) else "system"))[:150],
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label[:200],
        before=mask_values(before),
        after=mask_values(after),
        reason=reason,
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


def _safe_label(subject: models.Model) -> str:
    audit_label = getattr(subject, "audit_label", None)
    if callable(audit_label):
        return str(audit_label())
    return str(subject)
