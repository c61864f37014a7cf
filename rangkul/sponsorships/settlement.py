"""Settling a sponsorship's group bill by budget transfer, with maker–checker.

A regional treasurer pays a month's bill by bank transfer (an SP2D), not through a
payment channel. A payments officer records the transfer and its reference; a
different officer with approval rights approves it, and only then is the money
allocated to the bill's members (in the bill's order, ADR 0030). Both steps are audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.group_payments import GroupPayment, group_bill_pay_part
from rangkul.contributions.models import BillStatus
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.sponsorships.errors import SponsorshipErrorCode
from rangkul.sponsorships.models import BudgetTransfer, SponsorshipBill, TransferStatus

# The channel a budget transfer is received through: its own clearing account in the ledger.
TRANSFER_CHANNEL = "budget_transfer"
RECORD_PERMISSION = "accounts.handle_payments"
APPROVE_PERMISSION = "accounts.approve_payments"


def _require(actor: Actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You may not do this."))


@transaction.atomic
def budget_transfer_record(
    *,
    actor: Actor,
    sponsorship_bill: SponsorshipBill,
    amount_idr: int,
    reference: str,
    transferred_on: dt.date,
) -> BudgetTransfer:
    """A payments officer records a treasurer's transfer for a group bill; nothing is paid until approved."""
    _require(actor, RECORD_PERMISSION)
    reference = (reference or "").strip()
    errors: dict[str, list[str]] = {}
    if not reference:
        errors["reference"] = [_("Enter the transfer's reference.")]
    if amount_idr <= 0:
        errors["amount_idr"] = [_("Must be more than zero.")]
    if transferred_on > timezone.localdate():
        errors["transferred_on"] = [_("The transfer date cannot be in the future.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    if sponsorship_bill.bill.status != BillStatus.OPEN:
        raise Conflict(_("This bill is not open for payment."), code=SponsorshipErrorCode.BILL_NOT_OPEN)
    if BudgetTransfer.objects.filter(reference=reference).exists():
        raise Conflict(
            _("A transfer with this reference is already recorded."), code=SponsorshipErrorCode.TRANSFER_DUPLICATE
        )
    transfer = BudgetTransfer.objects.create(
        sponsorship_id=sponsorship_bill.sponsorship_id,
        sponsorship_bill=sponsorship_bill,
        amount_idr=amount_idr,
        reference=reference,
        transferred_on=transferred_on,
        proposed_by=actor.user,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="sponsorships.transfer_recorded",
        subject=transfer,
        after={
            "sponsorship": sponsorship_bill.sponsorship.code,
            "payment_code": sponsorship_bill.bill.payment_code,
            "amount_idr": amount_idr,
            "reference": reference,
            "transferred_on": transferred_on.isoformat(),
        },
    )
    return transfer


def _decidable(actor: Actor, transfer: BudgetTransfer) -> BudgetTransfer:
    _require(actor, APPROVE_PERMISSION)
    locked = BudgetTransfer.objects.select_for_update().select_related("sponsorship_bill__bill").get(pk=transfer.pk)
    if locked.status != TransferStatus.PROPOSED:
        raise Conflict(_("This transfer has already been decided."), code=SponsorshipErrorCode.TRANSFER_DECIDED)
    if locked.proposed_by_id == actor.user.pk:
        raise PermissionDenied(
            _("Another officer must approve a transfer you recorded."), code=SponsorshipErrorCode.SAME_PERSON
        )
    return locked


@transaction.atomic
def budget_transfer_approve(*, actor: Actor, transfer: BudgetTransfer) -> GroupPayment:
    """A second officer approves: the transfer pays the group bill's members in the bill's order."""
    locked = _decidable(actor, transfer)
    now = timezone.now()
    payment = group_bill_pay_part(
        actor=actor,
        bill=locked.sponsorship_bill.bill,
        amount_idr=locked.amount_idr,
        payment_reference=locked.reference,
        channel=TRANSFER_CHANNEL,
        paid_at=now,
    )
    BudgetTransfer.objects.filter(pk=locked.pk).update(
        status=TransferStatus.APPROVED, decided_by=actor.user, decided_at=now
    )
    audit_record(
        actor=actor,
        action="sponsorships.transfer_approved",
        subject=locked,
        before={"status": TransferStatus.PROPOSED},
        after={
            "status": TransferStatus.APPROVED,
            "members_paid": payment.members_paid,
            "allocated_idr": payment.allocated_idr,
            "unpaid_members": payment.unpaid_members,
            "held_idr": payment.held_idr,
        },
    )
    transfer.status = TransferStatus.APPROVED
    return payment


@transaction.atomic
def budget_transfer_reject(*, actor: Actor, transfer: BudgetTransfer, note: str) -> BudgetTransfer:
    locked = _decidable(actor, transfer)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say why the transfer is rejected."), fields={"note": [_("This field is required.")]})
    locked.status = TransferStatus.REJECTED
    locked.decided_by = actor.user
    locked.decided_at = timezone.now()
    locked.decision_note = note[:255]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="sponsorships.transfer_rejected",
        subject=locked,
        before={"status": TransferStatus.PROPOSED},
        after={"status": locked.status, "note": locked.decision_note},
    )
    return locked
