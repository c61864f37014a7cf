"""The sponsor's statement: one line per sponsored member-month — committed, billed, paid, covered.

For the sponsor's treasury (CSV, opened in a spreadsheet). No NIK: the membership number
identifies the member.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from rangkul.contributions.models import BillLine, BillStatus, ContributionMonth
from rangkul.core.periods import Period
from rangkul.sponsorships.models import SponsoredMonth, Sponsorship, SponsorshipBill

CHUNK = 5000


@dataclass(frozen=True)
class StatementLine:
    membership_number: str
    full_name: str
    month: Period
    committed_idr: int
    payment_code: str
    billed_idr: int
    paid_idr: int
    covered: bool


def _period(value: object) -> Period:
    return value if isinstance(value, Period) else Period.of(value)  # type: ignore[arg-type]


def statement_lines(*, sponsorship: Sponsorship) -> Iterator[StatementLine]:
    """Every sponsored member-month in month and member order."""
    billed: dict[tuple[int, Period], tuple[str, int, int]] = {}
    lines = (
        BillLine.objects.filter(bill_id__in=SponsorshipBill.objects.filter(sponsorship=sponsorship).values("bill_id"))
        .exclude(bill__status=BillStatus.CANCELLED)
        .values_list("worker_id", "period", "bill__payment_code", "bill__status", "amount_idr")
    )
    for worker_id, period, code, status, amount in lines.iterator(chunk_size=CHUNK):
        key = (worker_id, _period(period))
        _code, total, paid = billed.get(key, (code, 0, 0))
        billed[key] = (code, total + amount, paid + (amount if status == BillStatus.PAID else 0))
    months = (
        SponsoredMonth.objects.filter(sponsorship=sponsorship)
        .select_related("worker")
        .order_by("period", "worker_id")
        .only("period", "amount_idr", "worker__membership_number", "worker__full_name")
    )
    batch: list[SponsoredMonth] = []
    for row in months.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) == CHUNK:
            yield from _lines(batch, billed)
            batch = []
    yield from _lines(batch, billed)


def _lines(
    batch: list[SponsoredMonth], billed: dict[tuple[int, Period], tuple[str, int, int]]
) -> Iterable[StatementLine]:
    if not batch:
        return []
    covered = {
        (worker_id, _period(period))
        for worker_id, period in ContributionMonth.objects.filter(
            worker_id__in={row.worker_id for row in batch},
            period__in={_period(row.period).first_day for row in batch},
            program="JKM",
        ).values_list("worker_id", "period")
    }
    out = []
    for row in batch:
        key = (row.worker_id, _period(row.period))
        code, total, paid = billed.get(key, ("", 0, 0))
        out.append(
            StatementLine(
                membership_number=row.worker.membership_number,
                full_name=row.worker.full_name,
                month=key[1],
                committed_idr=row.amount_idr,
                payment_code=code,
                billed_idr=total,
                paid_idr=paid,
                covered=key in covered,
            )
        )
    return out


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: str | int) -> str | int:
    # A value starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value


def statement_csv(lines: Iterable[StatementLine]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(
        [
            _("Membership number"),
            _("Name"),
            _("Month"),
            _("Committed (Rp)"),
            _("Payment code"),
            _("Billed (Rp)"),
            _("Paid by the sponsor (Rp)"),
            _("Covered"),
        ]
    )
    for line in lines:
        yield writer.writerow(
            [
                line.membership_number,
                _safe(line.full_name),
                str(line.month),
                line.committed_idr,
                line.payment_code,
                line.billed_idr,
                line.paid_idr,
                _("yes") if line.covered else _("no"),
            ]
        )
