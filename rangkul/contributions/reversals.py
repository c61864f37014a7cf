"""Undoing money that turned out to be gone: a gateway refund, cancellation or chargeback.

A reversal never edits or deletes a journal entry. Each entry being undone gets its mirror
(every line's debit and credit swapped, so the pair nets to zero account by account, member
by member), posted once per original entry. The months the original entry paid are taken out
of the coverage table (kept in the audit row), the group bill lines it paid are owed again
(``BillLine.settled_entry``), the bill it settled is open again, and the member's status is
recomputed from what is still paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.ledger import Line, journal_post
from rangkul.contributions.models import Bill, BillLine, BillStatus, ContributionMonth, JournalEntry
from rangkul.contributions.services import member_status_refresh
from rangkul.registry.models import Worker

REVERSAL_KIND = "payment_reversal"


@dataclass(frozen=True)
class Reversal:
    entry_ids: list[int]  # the mirror entries
    months: list[str]  # uncovered, as "YYYY-MM program membership-number"
    worker_ids: list[int]  # members whose ledger or coverage changed


@transaction.atomic
def entries_reverse(*, actor: Actor, entry_ids: Sequence[int], reason: str, bill: Bill | None = None) -> Reversal:
    """Post the mirror of each entry and uncover the months it paid. Idempotent per original entry."""
    mirrors: list[int] = []
    reversed_ids: list[int] = []
    uncovered: list[str] = []
    workers: set[int] = set()
    for entry in JournalEntry.objects.filter(pk__in=list(entry_ids)).prefetch_related("lines__account").order_by("pk"):
        lines = [
            Line(
                line.account.code,
                debit_idr=line.credit_idr,
                credit_idr=line.debit_idr,
                worker_id=line.worker_id,
                period=line.period,
                program=line.program,
            )
            for line in entry.lines.all()
        ]
        mirror, created = journal_post(
            actor=actor,
            kind=REVERSAL_KIND,
            reference=f"reversal:{entry.pk}",
            lines=lines,
            memo=f"reversal of {entry.kind} {entry.reference}: {reason}"[:255],
        )
        mirrors.append(mirror.pk)
        if not created:
            continue
        reversed_ids.append(entry.pk)
        months = list(ContributionMonth.objects.filter(entry=entry).select_related("worker"))
        for month in months:
            workers.add(month.worker_id)
            uncovered.append(f"{str(month.period)[:7]} {month.program} {month.worker.membership_number}")
        ContributionMonth.objects.filter(pk__in=[m.pk for m in months]).delete()
        workers.update(line.worker_id for line in entry.lines.all() if line.worker_id)
    # The group bill lines those entries paid are owed again, and their bills open.
    reopened = BillLine.objects.filter(settled_entry_id__in=reversed_ids)
    bill_ids = set(reopened.values_list("bill_id", flat=True).distinct())
    lines_reopened = reopened.update(settled_at=None, settled_entry=None)
    if bill is not None and reversed_ids:
        bill_ids.add(bill.pk)
    Bill.objects.filter(pk__in=bill_ids, status=BillStatus.PAID).update(status=BillStatus.OPEN, paid_at=None)
    for worker in Worker.objects.filter(pk__in=workers):
        member_status_refresh(worker=worker, today=timezone.localdate())
    audit_record(
        actor=actor,
        action="contributions.payment_reversed",
        subject=bill,
        before={"entries": list(entry_ids), "months": uncovered},
        after={"reversal_entries": mirrors, "bill_lines_reopened": lines_reopened},
        reason=reason,
    )
    return Reversal(mirrors, uncovered, sorted(workers))
