"""Settlement-file reconciliation: stream a channel's daily file and match it to recorded payments.

Restart-safe by construction: the file is identified by (channel, sha256 of its content),
each line is a row unique per (file, line number), and lines are processed in batches,
each batch in its own transaction. A run killed halfway leaves whole batches behind; the
next run skips the lines already stored and finishes, ending in the same state as one
clean run. A finished file run again changes nothing and returns the stored summary.

Matching, for each line: the channel's external reference first, then an unsettled
payment with the same payment code and amount. A line matching nothing is money with no
callback: it is recorded through the same exactly-once path as a callback.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from rangkul.payments.channels import CallbackData, CallbackUnreadable, amount_parse, datetime_parse
from rangkul.payments.models import (
    Channel,
    LineOutcome,
    Payment,
    PaymentSource,
    SettlementFile,
    SettlementLine,
    SettlementStatus,
)
from rangkul.payments.services import payment_record

SUMMARY_KEYS = ("lines", "matched", "duplicates", "unmatched", "mismatched")
_OUTCOME_KEY = {
    LineOutcome.MATCHED: "matched",
    LineOutcome.DUPLICATE: "duplicates",
    LineOutcome.UNMATCHED: "unmatched",
    LineOutcome.MISMATCHED: "mismatched",
    LineOutcome.INVALID: "invalid",
}
REPORT_COLUMNS = ["line", "external_reference", "payment_code", "amount_idr", "outcome", "note", "payment_status"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Row:
    line_number: int
    values: dict[str, str]


def _rows(path: Path, layout: dict[str, Any]) -> Iterator[Row]:
    """Stream the file's data rows; line numbers count data rows from 1 (the header is not one)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=layout.get("delimiter", ","))
        for number, values in enumerate(reader, start=1):
            yield Row(number, {k.strip(): (v or "").strip() for k, v in values.items() if k})


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclass
class ParsedLine:
    external_reference: str
    payment_code: str
    amount_idr: int
    paid_at: dt.datetime


def _parse(row: Row, layout: dict[str, Any]) -> ParsedLine:
    columns: dict[str, str] = layout["columns"]
    reference = row.values.get(columns["external_reference"], "")
    if not reference or len(reference) > 120:
        raise CallbackUnreadable(columns["external_reference"], "missing")
    return ParsedLine(
        external_reference=reference,
        payment_code=row.values.get(columns.get("payment_code", ""), "")[:32],
        amount_idr=amount_parse(row.values.get(columns["amount_idr"], ""), field=columns["amount_idr"]),
        paid_at=datetime_parse(row.values.get(columns["paid_at"], ""), field=columns["paid_at"]),
    )


def _line_process(file: SettlementFile, row: Row, channel: Channel, actor: Any) -> None:
    try:
        with transaction.atomic():
            line = SettlementLine.objects.create(file=file, line_number=row.line_number, outcome=LineOutcome.INVALID)
    except IntegrityError:
        return  # stored by an earlier (interrupted) run
    try:
        parsed = _parse(row, channel.settlement_layout)
    except CallbackUnreadable as exc:
        line.note = f"{exc.field}: {exc}"[:255]
        line.save(update_fields=["note"])
        return
    line.external_reference = parsed.external_reference
    line.payment_code = parsed.payment_code
    line.amount_idr = parsed.amount_idr
    line.paid_at = parsed.paid_at

    payment = (
        Payment.objects.select_for_update()
        .filter(channel=channel, external_reference=parsed.external_reference)
        .first()
    )
    if payment is None and parsed.payment_code:
        payment = (
            Payment.objects.select_for_update()
            .filter(
                channel=channel,
                payment_code=parsed.payment_code,
                amount_idr=parsed.amount_idr,
                settled_by__isnull=True,
                source=PaymentSource.CALLBACK,
            )
            .order_by("paid_at", "pk")
            .first()
        )
    recorded_now = False
    if payment is None:
        payment, recorded_now = payment_record(
            actor=actor,
            channel=channel,
            data=CallbackData(
                external_reference=parsed.external_reference,
                payment_code=parsed.payment_code,
                amount_idr=parsed.amount_idr,
                status="SETTLED",
                paid=True,
                paid_at=parsed.paid_at,
            ),
            source=PaymentSource.SETTLEMENT,
        )
    if recorded_now:
        line.outcome = LineOutcome.UNMATCHED
        line.note = "no callback: recorded from the settlement file"
        Payment.objects.filter(pk=payment.pk).update(settled_by=line)
    elif payment.settled_by_id is not None:
        line.outcome = LineOutcome.DUPLICATE
        line.note = f"already settled by line {payment.settled_by_id}"
    elif payment.amount_idr != parsed.amount_idr:
        line.outcome = LineOutcome.MISMATCHED
        line.note = f"recorded {payment.amount_idr}, file {parsed.amount_idr}"
    else:
        line.outcome = LineOutcome.MATCHED
        Payment.objects.filter(pk=payment.pk).update(settled_by=line)
    line.payment = payment
    line.save()


def _summary(file: SettlementFile) -> dict[str, int]:
    counts = dict(file.lines.values_list("outcome").annotate(n=Count("id")).order_by())
    summary = dict.fromkeys((*SUMMARY_KEYS, "invalid"), 0)
    summary["lines"] = sum(counts.values())
    for outcome, n in counts.items():
        key = _OUTCOME_KEY[LineOutcome(outcome)]
        summary[key] = summary.get(key, 0) + n
    return summary


def _flag_unsettled(file: SettlementFile) -> int:
    """Callbacks paid on or before the settlement date that no settlement line has confirmed."""
    if file.settlement_date is None:
        return 0
    end = timezone.make_aware(dt.datetime.combine(file.settlement_date + dt.timedelta(days=1), dt.time.min))
    return Payment.objects.filter(
        channel=file.channel,
        source=PaymentSource.CALLBACK,
        settled_by__isnull=True,
        unsettled_flagged_at__isnull=True,
        paid_at__lt=end,
    ).update(unsettled_flagged_at=timezone.now())


def settlement_reconcile(
    *,
    actor: Any,
    channel: Channel,
    path: Path,
    filename: str = "",
    settlement_date: dt.date | None = None,
    batch_size: int | None = None,
) -> tuple[SettlementFile, dict[str, int]]:
    """Reconcile one settlement file; returns the file and its summary (unchanged when already done)."""
    sha = file_sha256(path)
    file, _created = _file_get_or_create(
        actor=actor, channel=channel, sha=sha, filename=filename or path.name, stored_path=str(path)
    )
    if file.status == SettlementStatus.DONE:
        return file, dict(file.summary)
    size = batch_size or settings.PAYMENTS_SETTLEMENT_BATCH_SIZE
    for batch in _batches(_rows(path, channel.settlement_layout), size):
        _batch_process(file, batch, channel, actor)
    with transaction.atomic():
        file = SettlementFile.objects.select_for_update().get(pk=file.pk)
        latest = file.lines.aggregate(latest=Max("paid_at"))["latest"]
        file.settlement_date = settlement_date or (timezone.localdate(latest) if latest else None)
        summary = _summary(file)
        summary["unsettled_callbacks"] = _flag_unsettled(file)
        file.summary = summary
        file.status = SettlementStatus.DONE
        file.finished_at = timezone.now()
        file.save()
    return file, summary


def _file_get_or_create(
    *, actor: Any, channel: Channel, sha: str, filename: str, stored_path: str
) -> tuple[SettlementFile, bool]:
    try:
        with transaction.atomic():
            file = SettlementFile.objects.create(
                channel=channel,
                sha256=sha,
                filename=filename[:255],
                stored_path=stored_path[:500],
                created_at=timezone.now(),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            return file, True
    except IntegrityError:
        return SettlementFile.objects.get(channel=channel, sha256=sha), False


def _batch_process(file: SettlementFile, batch: list[Row], channel: Channel, actor: Any) -> None:
    with transaction.atomic():
        done = set(
            SettlementLine.objects.filter(
                file=file, line_number__gte=batch[0].line_number, line_number__lte=batch[-1].line_number
            ).values_list("line_number", flat=True)
        )
        for row in batch:
            if row.line_number not in done:
                _line_process(file, row, channel, actor)


def settlement_report_csv(file: SettlementFile) -> str:
    """The per-line report: what each line of the file matched and what became of its money."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for line in file.lines.select_related("payment").order_by("line_number").iterator():
        writer.writerow(
            [
                line.line_number,
                line.external_reference,
                line.payment_code,
                "" if line.amount_idr is None else line.amount_idr,
                line.outcome,
                line.note,
                line.payment.status if line.payment else "",
            ]
        )
    return out.getvalue()
