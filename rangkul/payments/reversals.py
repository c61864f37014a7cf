"""Reversals: a gateway reports a recorded payment denied, cancelled, refunded or charged back.

A reversal report never undoes anything by itself. It opens a reversal exception (once per
payment) in the same maker–checker queue as unmatched money; the member keeps their cover
until one person proposes and another approves. Reverse (the money is really gone): every
journal entry that brought the money in gets its balanced mirror, the months it paid are
uncovered, the bill is open again and each member is told by SMS. Keep: nothing moves.
A "capture" under fraud challenge is not paid at all until the gateway accepts it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import Conflict
from rangkul.core.money import format_rupiah
from rangkul.messaging.services import sms_queue
from rangkul.payments import contributions_port as port
from rangkul.payments.channels import CallbackData
from rangkul.payments.models import (
    CallbackOutcome,
    Channel,
    ExceptionReason,
    ExceptionStatus,
    Payment,
    PaymentException,
    PaymentStatus,
    Resolution,
)
from rangkul.payments.services import CallbackAnswer, callback_event_store
from rangkul.registry.models import Worker

logger = logging.getLogger("rangkul.payments")


def reversal_receive(
    *,
    channel: Channel,
    parsed: CallbackData,
    headers: Mapping[str, str],
    body: bytes,
    remote_addr: str | None,
    payment: Payment,
) -> CallbackAnswer:
    """The gateway reports a recorded payment denied, cancelled, refunded or charged back.

    Nothing is undone here: a reversal exception opens (once) for staff to resolve, the member
    keeps their cover until two people decide the money is really gone.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    actor = Actor.system(f"channel {channel.code}")
    detail = f"gateway reports {parsed.status or 'a reversal'}"
    open_exc = (
        PaymentException.objects.select_for_update().filter(payment=payment).exclude(status=ExceptionStatus.RESOLVED)
    )
    current = open_exc.first()
    if payment.status == PaymentStatus.REVERSED or (current and current.reason == ExceptionReason.REVERSAL):
        pass  # reported before: the open review (or the reversal done) already covers it
    elif current is not None:
        # Already under review for another reason: the review becomes a reversal review.
        before = {"reason": current.reason, "status": current.status, "proposed_action": current.proposed_action}
        current.reason = ExceptionReason.REVERSAL
        current.detail = f"{detail}; was {before['reason']}"[:255]
        current.status = ExceptionStatus.OPEN
        current.proposed_action = ""
        current.proposed_by = None
        current.proposed_at = None
        current.save()
        audit_record(
            actor=actor,
            action="payments.reversal_reported",
            subject=current,
            before=before,
            after={"reason": current.reason, "detail": detail},
        )
    else:
        exc = PaymentException.objects.create(
            payment=payment, reason=ExceptionReason.REVERSAL, detail=detail[:255], created_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="payments.reversal_reported",
            subject=exc,
            after={"status": parsed.status, "amount_idr": payment.amount_idr, "payment_status": payment.status},
        )
        logger.warning("payment reversal reported channel=%s exception=%s", channel.code, exc.pk)
    event = callback_event_store(
        channel=channel,
        headers=headers,
        body=body,
        remote_addr=remote_addr,
        outcome=CallbackOutcome.REVERSAL,
        http_status=200,
        external_reference=parsed.external_reference,
        payment=payment,
    )
    answer = {
        "received": True,
        "external_id": parsed.external_reference,
        "result": "accepted_for_review",
        "message": "Reversal received and held for review.",
    }
    return CallbackAnswer(200, answer, payment=payment, event=event)


def reversal_text(payment: Payment) -> str:
    with translation.override("id"):
        return _(
            "Rangkul: your payment of %(amount)s (%(reference)s) was reversed by the payment provider. "
            "The months it paid are no longer covered. Contact a Rangkul office with any questions."
        ) % {"amount": format_rupiah(payment.amount_idr), "reference": payment.payment_code or "-"}


def reversal_resolve(*, actor: Actor, exc: PaymentException, payment: Payment) -> PaymentException:
    """Approve a reversal review. Reverse: every entry that brought the money in gets its mirror
    (balanced), the months it paid are uncovered, the bill is open again and each member is told.
    Keep: the money stayed (the gateway's report was withdrawn or partial); nothing moves."""
    after: dict[str, Any] = {"resolution": exc.proposed_action, "amount_idr": payment.amount_idr}
    if exc.proposed_action == Resolution.REVERSE:
        if payment.status not in (PaymentStatus.ALLOCATED, PaymentStatus.EXCEPTION):
            raise Conflict(_("This payment has already left the ledger (refunded or written off)."))
        entries = port.entries_for_payment(channel=payment.channel.code, reference=payment.external_reference)
        reversal = port.entries_reverse(
            actor=actor, entry_ids=entries, reason=exc.proposed_note or "gateway reversal", bill=payment.bill
        )
        payment.status = PaymentStatus.REVERSED
        payment.save(update_fields=["status"])
        for worker in Worker.objects.filter(pk__in=reversal.worker_ids):
            sms_queue(to=worker.phone, body=reversal_text(payment), purpose="payment_reversed")
        after |= {"reversal_entries": reversal.entry_ids, "months_uncovered": reversal.months}
    exc.status = ExceptionStatus.RESOLVED
    exc.resolution = exc.proposed_action
    exc.approved_by = actor.user
    exc.resolved_at = timezone.now()
    exc.save()
    after["proposed_by"] = exc.proposed_by.get_username() if exc.proposed_by else ""
    audit_record(
        actor=actor,
        action="payments.exception_resolved",
        subject=exc,
        before={"status": ExceptionStatus.PROPOSED},
        after=after,
        reason=exc.proposed_note,
    )
    return exc
