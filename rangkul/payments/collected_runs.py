"""A run of cash collected by a field agent, recorded together: the rows ``payment_record_collected``
writes for each collection, with one statement per table for the whole run (ADR 0040).

The caller (the agent sync, under the agent's row lock) plans each collection in order and writes
the run once: the journal entries (the payments' and the caller's own, such as the agent's cash)
through ``contributions``' allocation run, then the payments (each still unique per channel and
reference in the database: a reference recorded before makes the run fail, and the caller goes
one at a time), the receipts numbered as one range of the year's counter, and the audit rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.core.bulk import insert_many
from rangkul.payments import contributions_port as port
from rangkul.payments.collected import CollectedPayment
from rangkul.payments.models import Channel, ChannelKind, Payment, PaymentSource, PaymentStatus, Receipt
from rangkul.payments.services import receipt_numbers_next
from rangkul.registry.models import Worker


@dataclass
class _Planned:
    payment: Payment
    allocation: port.Allocation
    as_credit: bool


@dataclass
class CollectedRun:
    channel: Channel
    allocations: port.AllocationRun
    planned: list[_Planned] = field(default_factory=list)

    @classmethod
    def read(cls, *, channel: Channel, workers: Sequence[Worker]) -> CollectedRun:
        """Lock the members and read what allocating their payments needs, once for the run."""
        if channel.kind != ChannelKind.AGENT_CASH:
            raise ValueError(f"channel {channel.code!r} is not an agent cash channel")
        return cls(channel=channel, allocations=port.AllocationRun.read(workers))

    def eligible(self, worker: Worker) -> bool:
        return self.allocations.eligible(worker)

    def paid_months(self, worker: Worker) -> set[Any]:
        return self.allocations.paid_months(worker)

    def plan(
        self,
        *,
        actor: Actor,
        external_reference: str,
        worker: Worker,
        amount_idr: int,
        paid_at: dt.datetime,
        as_credit: bool = False,
    ) -> port.Allocation:
        """``payment_record_collected`` for one collection, kept in memory until ``write``."""
        allocation = self.allocations.plan(
            actor=actor,
            worker=worker,
            amount_idr=amount_idr,
            channel=self.channel.code,
            payment_reference=external_reference,
            paid_at=paid_at,
            as_credit=as_credit,
        )
        payment = Payment(
            channel=self.channel,
            external_reference=external_reference,
            amount_idr=amount_idr,
            paid_at=paid_at,
            recorded_at=timezone.now(),
            source=PaymentSource.AGENT,
            status=PaymentStatus.ALLOCATED,
            worker=worker,
        )
        self.planned.append(_Planned(payment, allocation, as_credit))
        return allocation

    def write(
        self, *, actor: Actor, extra: Sequence[port.EntrySpec] = (), audit: list[dict[str, Any]]
    ) -> tuple[list[CollectedPayment], list[int]]:
        """Write the run: one result per planned collection, in order, and the ids of ``extra``'s entries.
        ``audit`` collects the rows (as ``payment_record_collected`` writes them) for the caller."""
        entry_ids, extra_ids = self.allocations.write(actor=actor, extra=extra)
        for planned, entry_id in zip(self.planned, entry_ids, strict=True):
            planned.payment.journal_entry_id = entry_id
        payments = insert_many(Payment, [p.payment for p in self.planned])
        now = timezone.now()
        numbers = receipt_numbers_next(timezone.localdate(now).year, len(payments))
        receipts = insert_many(
            Receipt,
            [
                Receipt(number=number, payment=payment, issued_at=now)
                for number, payment in zip(numbers, payments, strict=True)
            ],
        )
        allocated = iter(self.allocations.audit_rows())
        results = []
        for planned, receipt in zip(self.planned, receipts, strict=True):
            payment = planned.payment
            if not planned.as_credit:
                audit.append(next(allocated))
            audit.append(
                {
                    "actor": actor,
                    "action": "payments.payment_recorded",
                    "subject": payment,
                    "after": {
                        "channel": self.channel.code,
                        "external_reference": payment.external_reference,
                        "amount_idr": payment.amount_idr,
                        "status": payment.status,
                        "source": payment.source,
                        "as_credit": planned.as_credit,
                    },
                }
            )
            audit.append(
                {
                    "actor": Actor.system("system"),
                    "action": "payments.receipt_issued",
                    "subject": receipt,
                    "after": {"number": receipt.number},
                }
            )
            allocation = planned.allocation
            results.append(
                CollectedPayment(
                    payment=payment,
                    created=True,
                    months=[] if planned.as_credit else sorted({str(period)[:7] for period in allocation.months}),
                    credit_idr=allocation.credit_added_idr,
                    receipt_number=receipt.number,
                )
            )
        return results, extra_ids
