"""Refund of contributions paid for months after a member's death (DOMAIN.md: "Overpayment for
months after a claim's month is refunded with the claim").

The months after the month of death are unpaid again (no cover after death) and their money,
with any unused credit, becomes a refund payable to the member's heirs: one balanced entry,
posted once per member. The claim that pays the heirs then pays the refund out of
``refunds_payable``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.ledger import Line, contribution_account, journal_post
from rangkul.contributions.models import ContributionMonth, JournalEntry, JournalLine
from rangkul.contributions.selectors import member_credit_idr
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

DEATH_REFUND_KIND = "death_refund"


def _refunded(entry: JournalEntry) -> int:
    total = JournalLine.objects.filter(entry=entry, account__code="refunds_payable").aggregate(s=Sum("credit_idr"))
    return int(total["s"] or 0)


@transaction.atomic
def death_refund(*, actor: Actor, worker: Worker, death_date: dt.date) -> tuple[int, bool]:
    """Move months paid after the month of ``death_date`` and unused credit to refunds payable.

    Returns ``(amount, created)``. Idempotent per member: a second call (another claim for the
    same death) returns the amount refunded the first time with ``created=False`` and moves nothing.
    """
    Worker.objects.select_for_update().filter(pk=worker.pk).first()
    reference = str(worker.pk)
    existing = JournalEntry.objects.filter(kind=DEATH_REFUND_KIND, reference=reference).first()
    if existing is not None:
        return _refunded(existing), False
    months = list(
        ContributionMonth.objects.filter(worker=worker, period__gt=Period.of(death_date)).order_by("period", "program")
    )
    lines = [
        Line(
            contribution_account(m.program),
            debit_idr=m.amount_idr,
            worker_id=worker.pk,
            period=m.period,
            program=m.program,
        )
        for m in months
        if m.amount_idr
    ]
    credit = member_credit_idr(worker_id=worker.pk)
    if credit > 0:
        lines.append(Line("member_credit", debit_idr=credit, worker_id=worker.pk))
    total = sum(line.debit_idr for line in lines)
    if total == 0:
        return 0, False
    lines.append(Line("refunds_payable", credit_idr=total, worker_id=worker.pk))
    journal_post(actor=actor, kind=DEATH_REFUND_KIND, reference=reference, lines=lines, memo=f"death {death_date}")
    ContributionMonth.objects.filter(pk__in=[m.pk for m in months]).delete()
    audit_record(
        actor=actor,
        action="contributions.death_refund",
        subject=worker,
        after={"months": sorted({str(m.period) for m in months}), "credit_idr": credit, "refund_idr": total},
    )
    return total, True
