"""Manual ledger adjustments (maker–checker): proposed by one person, decided by another."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.errors import ContributionErrorCode
from rangkul.contributions.ledger import Line, journal_post
from rangkul.contributions.models import (
    AdjustmentKind,
    AdjustmentStatus,
    LedgerAdjustment,
)
from rangkul.contributions.selectors import member_credit_idr
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.registry.models import Worker

_ADJUSTMENT_LINES = {
    # kind: (debit account, credit account)
    AdjustmentKind.CREDIT_ADD: ("adjustments", "member_credit"),
    AdjustmentKind.CREDIT_REMOVE: ("member_credit", "adjustments"),
    AdjustmentKind.REFUND: ("member_credit", "refunds_payable"),
}


@transaction.atomic
def adjustment_propose(*, actor: Actor, worker: Worker, kind: str, amount_idr: int, reason: str) -> LedgerAdjustment:
    """Propose a manual ledger correction; nothing moves until another person approves it."""
    if not actor.has_perm("accounts.access_office"):
        raise PermissionDenied(_("Only back-office staff can propose ledger adjustments."))
    errors: dict[str, list[str]] = {}
    if kind not in AdjustmentKind.values:
        errors["kind"] = [_("Choose a kind of adjustment.")]
    if amount_idr <= 0:
        errors["amount_idr"] = [_("Must be more than zero.")]
    if not reason.strip():
        errors["reason"] = [_("Explain why this adjustment is needed.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    adjustment = LedgerAdjustment.objects.create(
        worker=worker, kind=kind, amount_idr=amount_idr, reason=reason.strip(), proposed_by=actor.user
    )
    audit_record(
        actor=actor,
        action="contributions.adjustment_proposed",
        subject=adjustment,
        after={"worker": worker.membership_number, "kind": kind, "amount_idr": amount_idr},
        reason=reason.strip(),
    )
    return adjustment


def _adjustment_for_decision(*, actor: Actor, adjustment: LedgerAdjustment) -> LedgerAdjustment:
    if not actor.has_perm("accounts.approve_adjustments"):
        raise PermissionDenied(_("You may not approve ledger adjustments."))
    locked = LedgerAdjustment.objects.select_for_update().select_related("worker").get(pk=adjustment.pk)
    if locked.status != AdjustmentStatus.PENDING:
        raise Conflict(_("This adjustment has already been decided."), code=ContributionErrorCode.ADJUSTMENT_DECIDED)
    if locked.proposed_by_id == actor.user.pk:
        raise PermissionDenied(_("Another person must approve an adjustment you proposed."))
    return locked


@transaction.atomic
def adjustment_approve(*, actor: Actor, adjustment: LedgerAdjustment, note: str = "") -> LedgerAdjustment:
    """Approve and post the adjustment as one balanced journal entry."""
    adjustment = _adjustment_for_decision(actor=actor, adjustment=adjustment)
    worker = adjustment.worker
    if adjustment.kind != AdjustmentKind.CREDIT_ADD:
        Worker.objects.select_for_update().filter(pk=worker.pk).first()
        credit = member_credit_idr(worker_id=worker.pk)
        if adjustment.amount_idr > credit:
            raise Conflict(
                _("The member's credit is only %(credit)s.") % {"credit": format_rupiah(credit)},
                code=ContributionErrorCode.CREDIT_TOO_SMALL,
            )
    debit_account, credit_account = _ADJUSTMENT_LINES[AdjustmentKind(adjustment.kind)]
    entry, _created = journal_post(
        actor=actor,
        kind="adjustment",
        reference=str(adjustment.pk),
        lines=[
            Line(debit_account, debit_idr=adjustment.amount_idr, worker_id=worker.pk),
            Line(credit_account, credit_idr=adjustment.amount_idr, worker_id=worker.pk),
        ],
        memo=adjustment.reason[:255],
    )
    adjustment.status = AdjustmentStatus.APPROVED
    adjustment.decided_by = actor.user
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    adjustment.entry = entry
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "entry"])
    audit_record(
        actor=actor,
        action="contributions.adjustment_approved",
        subject=adjustment,
        before={"status": AdjustmentStatus.PENDING},
        after={"status": adjustment.status, "entry": entry.pk},
        reason=note,
    )
    return adjustment


@transaction.atomic
def adjustment_reject(*, actor: Actor, adjustment: LedgerAdjustment, note: str) -> LedgerAdjustment:
    adjustment = _adjustment_for_decision(actor=actor, adjustment=adjustment)
    if not note.strip():
        raise ValidationFailed(
            _("Explain why the adjustment is rejected."), fields={"note": [_("This field is required.")]}
        )
    adjustment.status = AdjustmentStatus.REJECTED
    adjustment.decided_by = actor.user
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note.strip()
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="contributions.adjustment_rejected",
        subject=adjustment,
        before={"status": AdjustmentStatus.PENDING},
        after={"status": adjustment.status},
        reason=note.strip(),
    )
    return adjustment
