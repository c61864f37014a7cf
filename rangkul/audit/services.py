"""The one way to write the audit log. Every service that changes personal data or money calls it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from rangkul.audit.actors import Actor, ActorKind
from rangkul.audit.models import AuditEvent
from rangkul.core import context
from rangkul.core.bulk import insert_many, insert_rows
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
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:  # the usual values, fast
            masker = _MASKERS.get(key)
            cleaned[key] = masker(value) if masker is not None and kind is str else value
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
    actor: Actor,
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


_ROW_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "subject_label",
    "before",
    "after",
    "reason",
    "request_id",
    "ip",
)


def audit_record_subjects(
    *, actor: Actor, action: str, subject_type: str, subjects: Iterable[tuple[Any, str, Mapping[str, Any]]]
) -> int:
    """One audit row per ``(subject id, subject label, after)``: one actor, one action, one kind of subject.

    The rows are exactly those ``audit_record_many`` writes for the same entries
    (same masking, same time and request), without building an ``AuditEvent``
    per row: for bulk registrations, where there is one row per new member.
    Returns how many rows were written.
    """
    ctx = context.current()
    real_actor, actor_label = _actor_fields(actor)
    actor_id = real_actor.pk if real_actor is not None else None
    now = timezone.now()
    rows = [
        (
            now,
            actor_id,
            actor_label,
            action,
            subject_type,
            str(subject_id),
            str(subject_label)[:200],
            None,
            mask_values(after),
            "",
            ctx.request_id,
            ctx.ip,
        )
        for subject_id, subject_label, after in subjects
    ]
    insert_rows(AuditEvent, _ROW_COLUMNS, rows)
    return len(rows)


def _event_new(
    ctx: context.RequestContext,
    *,
    actor: Actor,
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
    real_actor, actor_label = _actor_fields(actor)
    return AuditEvent(
        actor=real_actor,
        actor_label=actor_label,
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


def _actor_fields(actor: Actor | Any) -> tuple[Any, str]:
    """The signed-in user who acted (or None) and the label stored with the row.

    ``actor`` is an ``Actor``; a user, a label or None (the forms before actors were typed) is read
    as ``Actor.of`` reads it, to the same row.
    """
    typed = Actor.of(actor)
    return (typed.user if typed.kind == ActorKind.USER else None), typed.label[:150]


def _safe_label(subject: models.Model) -> str:
    audit_label = getattr(subject, "audit_label", None)
    if callable(audit_label):
        return str(audit_label())
    return str(subject)
