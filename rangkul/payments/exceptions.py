"""Payment exceptions resolved by two people: a payments officer proposes, an approver (not the same person) decides."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rangkul.payments import contributions_port as port
from rangkul.payments.errors import PaymentErrorCode
from rangkul.payments.models import (
    ExceptionReason,
    ExceptionStatus,
    Payment,
    PaymentException,
    PaymentStatus,
    Resolution,
)
from rangkul.payments.services import _receipt_task_enqueue, _suspense_park
from rangkul.registry.models import Worker

_REVERSAL_RESOLUTIONS = (Resolution.REVERSE, Resolution.KEEP)


def _require(actor: Actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def exception_propose(
    *, actor: Actor, exception_id: int, action: str, worker: Worker | None = None, note: str = ""
) -> PaymentException:
    """A reviewer proposes how to resolve an exception; another person must approve it."""
    _require(actor, "accounts.handle_payments")
    exc = PaymentException.objects.select_for_update().filter(pk=exception_id).first()
    if exc is None:
        raise NotFound(_("Payment exception not found."))
    if exc.status == ExceptionStatus.RESOLVED:
        raise Conflict(_("This exception is already resolved."))
    if action not in Resolution.values:
        raise ValidationFailed(_("Choose a resolution."), fields={"action": [_("Choose a resolution.")]})
    if action == Resolution.ASSIGN and worker is None:
        raise ValidationFailed(
            _("Choose the member to assign the money to."),
            fields={"membership_number": [_("Enter the member's membership number.")]},
        )
    for_reversal = action in _REVERSAL_RESOLUTIONS
    if for_reversal != (exc.reason == ExceptionReason.REVERSAL):
        message = (
            _("A reversal is resolved by reversing the payment or keeping it.")
            if exc.reason == ExceptionReason.REVERSAL
            else _("Reverse or keep applies only to a payment the gateway reports reversed.")
        )
        raise ValidationFailed(message, fields={"action": [message]})
    if action in (Resolution.REFUND, Resolution.WRITE_OFF, *_REVERSAL_RESOLUTIONS) and not note.strip():
        raise ValidationFailed(_("Give a reason."), fields={"note": [_("A reason is required.")]})
    before = {"status": exc.status, "proposed_action": exc.proposed_action}
    exc.status = ExceptionStatus.PROPOSED
    exc.proposed_action = action
    exc.proposed_worker = worker if action == Resolution.ASSIGN else None
    exc.proposed_note = note.strip()[:255]
    exc.proposed_by = actor.user
    exc.proposed_at = timezone.now()
    exc.save()
    audit_record(
        actor=actor,
        action="payments.exception_proposed",
        subject=exc,
        before=before,
        after={
            "action": action,
            "worker": worker.membership_number if worker else "",
            "amount_idr": exc.payment.amount_idr,
        },
        reason=exc.proposed_note,
    )
    return exc


@transaction.atomic
def exception_reject(*, actor: Actor, exception_id: int, note: str = "") -> PaymentException:
    """The checker sends a proposal back; the exception is open again."""
    _require(actor, "accounts.approve_payments")
    exc = PaymentException.objects.select_for_update().filter(pk=exception_id).first()
    if exc is None:
        raise NotFound(_("Payment exception not found."))
    if exc.status != ExceptionStatus.PROPOSED:
        raise Conflict(_("There is no proposal waiting for approval."))
    before = {"status": exc.status, "proposed_action": exc.proposed_action}
    exc.status = ExceptionStatus.OPEN
    exc.save(update_fields=["status"])
    audit_record(actor=actor, action="payments.exception_rejected", subject=exc, before=before, reason=note)
    return exc


@transaction.atomic
def exception_approve(*, actor: Actor, exception_id: int) -> PaymentException:
    """The checker approves the proposal; money moves now, journalled through the ledger."""
    _require(actor, "accounts.approve_payments")
    exc = PaymentException.objects.select_for_update().filter(pk=exception_id).first()
    if exc is None:
        raise NotFound(_("Payment exception not found."))
    if exc.status != ExceptionStatus.PROPOSED:
        raise Conflict(_("There is no proposal waiting for approval."))
    if exc.proposed_by_id == getattr(actor.user, "pk", None):
        raise PermissionDenied(
            _("Someone else must approve this: you proposed it."), code=PaymentErrorCode.MAKER_CHECKER
        )
    payment = Payment.objects.select_for_update().get(pk=exc.payment_id)
    reference = f"{payment.channel.code}:{payment.external_reference}"
    if exc.proposed_action in _REVERSAL_RESOLUTIONS:
        from rangkul.payments.reversals import reversal_resolve  # reversals import services: avoid the cycle

        return reversal_resolve(actor=actor, exc=exc, payment=payment)
    if payment.journal_entry_id is None and payment.status == PaymentStatus.EXCEPTION:
        # Held outside the ledger (above the ceiling): two people now vouch for the amount, so it
        # is parked in suspense first and resolved from there like any other exception.
        payment.journal_entry_id = _suspense_park(actor=actor, payment=payment)
    if exc.proposed_action == Resolution.ASSIGN:
        worker = exc.proposed_worker
        assert worker is not None  # noqa: S101  (propose refuses an assignment without a member)
        allocation = port.payment_allocate(
            actor=actor,
            worker=worker,
            amount_idr=payment.amount_idr,
            payment_reference=reference,
            channel=port.SUSPENSE_CHANNEL,
            paid_at=payment.paid_at,
        )
        payment.status = PaymentStatus.ALLOCATED
        payment.worker = worker
        payment.journal_entry_id = allocation.entry_id
        _receipt_task_enqueue(payment.pk)
    else:
        kind = "payment_refund" if exc.proposed_action == Resolution.REFUND else "payment_write_off"
        payment.journal_entry_id = port.suspense_release(
            actor=actor, kind=kind, reference=reference, amount_idr=payment.amount_idr, worker=None
        )
        payment.status = (
            PaymentStatus.REFUNDED if exc.proposed_action == Resolution.REFUND else PaymentStatus.WRITTEN_OFF
        )
    payment.save(update_fields=["status", "worker", "journal_entry_id"])
    exc.status = ExceptionStatus.RESOLVED
    exc.resolution = exc.proposed_action
    exc.approved_by = actor.user
    exc.resolved_at = timezone.now()
    exc.save()
    audit_record(
        actor=actor,
        action="payments.exception_resolved",
        subject=exc,
        before={"status": ExceptionStatus.PROPOSED},
        after={
            "resolution": exc.resolution,
            "proposed_by": exc.proposed_by.get_username() if exc.proposed_by else "",
            "worker": exc.proposed_worker.membership_number if exc.proposed_worker else "",
            "amount_idr": payment.amount_idr,
        },
        reason=exc.proposed_note,
    )
    return exc
