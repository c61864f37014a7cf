"""Who paid what, per sponsored member-month and program: the sponsor, the member, or nobody yet.

The split payer's report (ADR 0030): a sponsor paying JKK and JKM and a member paying
JHT post separate journal entries against the same member-month; each program's line
names its payer and the journal entry that paid it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.contributions.selectors import ProgramPayment, month_payers
from rangkul.core.periods import Period
from rangkul.sponsorships.models import SponsoredMonth, Sponsorship
from rangkul.sponsorships.pricing import member_programs
from rangkul.sponsorships.statement import _Echo, _period

CHUNK = 2000


class PaidBy:
    SPONSOR = "sponsor"
    MEMBER = "member"
    NOBODY = "unpaid"


@dataclass(frozen=True)
class PayerLine:
    membership_number: str
    month: Period
    program: str
    paid_by: str
    amount_idr: int
    paid_on: dt.date | None
    journal_reference: str


def payer_lines(*, sponsorship: Sponsorship, membership_number: str = "") -> Iterator[PayerLine]:
    """One line per program of every sponsored member-month (one member's, when a number is given)."""
    months = (
        SponsoredMonth.objects.filter(sponsorship=sponsorship)
        .select_related("worker")
        .order_by("period", "worker_id")
        .only("period", "worker__membership_number", "worker__jht")
    )
    if membership_number:
        months = months.filter(worker__membership_number=membership_number.strip())
    batch: list[SponsoredMonth] = []
    for row in months.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) == CHUNK:
            yield from _lines(batch)
            batch = []
    yield from _lines(batch)


def _lines(batch: list[SponsoredMonth]) -> list[PayerLine]:
    if not batch:
        return []
    paid: dict[tuple[int, Period, str], ProgramPayment] = {
        (p.worker_id, p.period, p.program): p
        for p in month_payers(
            worker_ids=sorted({row.worker_id for row in batch}), periods={_period(row.period) for row in batch}
        )
    }
    out = []
    for row in batch:
        period = _period(row.period)
        for program in member_programs(row.worker):
            payment = paid.get((row.worker_id, period, program))
            if payment is None:
                out.append(PayerLine(row.worker.membership_number, period, program, PaidBy.NOBODY, 0, None, ""))
                continue
            out.append(
                PayerLine(
                    row.worker.membership_number,
                    period,
                    program,
                    PaidBy.SPONSOR if payment.payer_kind else PaidBy.MEMBER,
                    payment.amount_idr,
                    timezone.localdate(payment.paid_at),
                    payment.entry_reference,
                )
            )
    return out


def payers_csv(lines: Iterable[PayerLine]) -> Iterator[str]:
    labels = {PaidBy.SPONSOR: _("sponsor"), PaidBy.MEMBER: _("member"), PaidBy.NOBODY: _("not paid")}
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(
        [
            _("Membership number"),
            _("Month"),
            _("Program"),
            _("Paid by"),
            _("Amount (Rp)"),
            _("Paid on"),
            _("Journal entry"),
        ]
    )
    for line in lines:
        yield writer.writerow(
            [
                line.membership_number,
                str(line.month),
                line.program,
                labels[line.paid_by],
                line.amount_idr,
                line.paid_on.isoformat() if line.paid_on else "",
                line.journal_reference,
            ]
        )
