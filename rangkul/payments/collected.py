"""Cash a field agent collected: a payment on an ``agent_cash`` channel, recorded once and allocated at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record_many
from rangkul.core.bulk import insert_unless_conflict
from rangkul.payments import contributions_port as port
from rangkul.payments.models import Channel, ChannelKind, Payment, PaymentSource, PaymentStatus, Receipt
from rangkul.payments.services import receipt_issue, receipt_issue_new
from rangkul.registry.models import Worker


@dataclass(frozen=True)
class CollectedPayment:
    payment: Payment
    created: bool
    months: list[str]
    credit_idr: int
    receipt_number: str


@transaction.atomic(savepoint=False)
def payment_record_collected(
    *,
    actor: Actor,
    channel: Channel,
    external_reference: str,
    worker: Worker,
    amount_idr: int,
    paid_at: dt.datetime,
    as_credit: bool = False,
) -> CollectedPayment:
    """Cash a field agent took from a member (a channel of kind ``agent_cash``), recorded once per
    (channel, reference) and allocated at once: the member is covered from ``paid_at``.

    ``as_credit`` keeps the whole amount as the member's credit instead (the months the agent
    collected for were paid meanwhile through another channel). The receipt is numbered in the
    same transaction, so the agent can hand its number over. A repeat returns the first payment.
    """
    if channel.kind != ChannelKind.AGENT_CASH:
        raise ValueError(f"channel {channel.code!r} is not an agent cash channel")
    payment = Payment(
        channel=channel,
        external_reference=external_reference,
        amount_idr=amount_idr,
        paid_at=paid_at,
        recorded_at=timezone.now(),
        source=PaymentSource.AGENT,
        status=PaymentStatus.ALLOCATED,
        worker=worker,
    )
    # Exactly once per (channel, reference), as every payment (ADR 0013).
    created = insert_unless_conflict(payment, conflict=["channel", "external_reference"])
    if not created:
        payment = Payment.objects.get(channel=channel, external_reference=external_reference)
        receipt = receipt_issue(payment_id=payment.pk)
        return _collected(payment, created=False, receipt=receipt)
    audit: list[dict[str, Any]] = []
    if as_credit:
        payment.journal_entry_id = port.member_credit_post(
            actor=actor,
            channel=channel.code,
            reference=external_reference,
            worker=worker,
            amount_idr=amount_idr,
            occurred_at=paid_at,
        )
        allocation = None
    else:
        allocation = port.payment_allocate(
            actor=actor,
            worker=worker,
            amount_idr=amount_idr,
            payment_reference=external_reference,
            channel=channel.code,
            paid_at=paid_at,
            first_delivery=True,  # this call inserted the payment; the journal's constraint still decides
            audit=audit,
        )
        payment.journal_entry_id = allocation.entry_id
    payment.save(update_fields=["journal_entry_id"])
    audit.append(
        {
            "actor": actor,
            "action": "payments.payment_recorded",
            "subject": payment,
            "after": {
                "channel": channel.code,
                "external_reference": external_reference,
                "amount_idr": amount_idr,
                "status": payment.status,
                "source": payment.source,
                "as_credit": as_credit,
            },
        }
    )
    receipt = receipt_issue_new(payment=payment, audit=audit)
    audit_record_many(audit)
    if allocation is not None and allocation.created:
        # The entry just posted: its months and credit are known without reading them back.
        return CollectedPayment(
            payment=payment,
            created=True,
            months=sorted({str(period)[:7] for period in allocation.months}),
            credit_idr=allocation.credit_added_idr,
            receipt_number=receipt.number,
        )
    return _collected(payment, created=True, receipt=receipt)


def _collected(payment: Payment, *, created: bool, receipt: Receipt | None) -> CollectedPayment:
    entry_id = payment.journal_entry_id or 0
    _used, kept = port.credit_moves_for_entry(entry_id)
    return CollectedPayment(
        payment=payment,
        created=created,
        months=port.months_for_entry(entry_id),
        credit_idr=kept,
        receipt_number=receipt.number if receipt else "",
    )
