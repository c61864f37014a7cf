"""Settlement-file reconciliation: stream a channel's daily file and match it to recorded payments.

Restart-safe by construction: the file is identified by (channel, sha256 of its content),
each line is a row unique per (file, line number), and lines are processed in batches,
each batch in its own transaction. A run killed halfway leaves whole batches behind; the
next run skips the lines already stored and finishes, ending in the same state as one
clean run. A finished file run again changes nothing and returns the stored summary.

Matching, for each line in file order: the channel's external reference first, then an
unsettled callback payment with the same payment code and amount (oldest first). A line
matching nothing is money with no callback: it is recorded through the same exactly-once
path as a callback.

Set-based per batch: the batch's payments are read (and locked) with one query by
reference and one by code and amount, the lines are then decided in file order in memory
(so a line sees what the lines before it settled, exactly as one line at a time would),
and the outcomes are written with one bulk insert of lines (``COPY`` on PostgreSQL) and
one ``UPDATE … FROM`` of the payments they settle. Only lines without a callback run the
per-payment path (recording and allocating the money), and those are rare.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.core.bulk import atomic_unflushed, insert_rows
from rangkul.core.processes import read_ahead
from rangkul.core.spreadsheets import safe_csv_writer
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
from rangkul.payments.settlement_display import REPORT_COLUMNS, note_text
from rangkul.payments.sql import settlement_sql

logger = logging.getLogger("rangkul.payments")

SUMMARY_KEYS = ("lines", "matched", "duplicates", "unmatched", "mismatched")
_REQUIRED_COLUMNS = ("external_reference", "amount_idr", "paid_at")
_OUTCOME_KEY = {
    LineOutcome.MATCHED: "matched",
    LineOutcome.DUPLICATE: "duplicates",
    LineOutcome.UNMATCHED: "unmatched",
    LineOutcome.MISMATCHED: "mismatched",
    LineOutcome.INVALID: "invalid",
}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Row:
    line_number: int
    values: dict[str, str]
    # Filled by ``_read_ahead`` (parsed in its thread): the line read, or why it cannot be.
    parsed: ParsedLine | None = None
    unreadable: str = ""


class SettlementUnreadable(ValueError):
    """The file as a whole cannot be read in the channel's layout (not text, not CSV, columns missing)."""


def _rows(path: Path, layout: dict[str, Any]) -> Iterator[Row]:
    """Stream the file's data rows; line numbers count data rows from 1 (the header is not one)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter=layout.get("delimiter", ","))
            header = {name.strip() for name in reader.fieldnames or () if name}
            columns = layout["columns"]
            missing = [columns[key] for key in _REQUIRED_COLUMNS if columns[key] not in header]
            if missing:
                raise SettlementUnreadable(f"columns missing: {', '.join(missing)}")
            for number, values in enumerate(reader, start=1):
                yield Row(number, {k.strip(): (v or "").strip() for k, v in values.items() if isinstance(k, str) and k})
    except UnicodeDecodeError as exc:
        raise SettlementUnreadable(f"not UTF-8 text (byte {exc.start})") from exc
    except csv.Error as exc:
        raise SettlementUnreadable(f"not a CSV file: {exc}"[:200]) from exc


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _read_ahead(path: Path, layout: dict[str, Any], size: int) -> Iterator[list[Row]]:
    """The file's batches, read and parsed in a thread while the database works on the current one.

    Reading and parsing are Python; a batch's statements are mostly waiting for PostgreSQL
    (the wait releases the interpreter), so the next batch is ready when this one commits.
    Errors reading the file reach the caller as if read here.
    """

    def parsed() -> Iterator[list[Row]]:
        for batch in _batches(_rows(path, layout), size):
            for row in batch:
                row.parsed, row.unreadable = _parse_or_note(row, layout)
            yield batch

    return read_ahead(parsed(), depth=2, name="settlement-reader")


@dataclass
class ParsedLine:
    external_reference: str
    payment_code: str
    amount_idr: int
    paid_at: dt.datetime


def _parse_or_note(row: Row, layout: dict[str, Any]) -> tuple[ParsedLine | None, str]:
    try:
        return _parse(row, layout), ""
    except CallbackUnreadable as exc:
        return None, f"{exc.field}: {exc}"[:255]


def _parse(row: Row, layout: dict[str, Any]) -> ParsedLine:
    columns: dict[str, str] = layout["columns"]
    for name, value in row.values.items():
        if "\x00" in value:
            raise CallbackUnreadable(name, "contains a NUL character")
    reference = row.values.get(columns["external_reference"], "")
    if not reference or len(reference) > 120:
        raise CallbackUnreadable(columns["external_reference"], "missing")
    return ParsedLine(
        external_reference=reference,
        payment_code=row.values.get(columns.get("payment_code", ""), "")[:32],
        amount_idr=amount_parse(row.values.get(columns["amount_idr"], ""), field=columns["amount_idr"]),
        paid_at=datetime_parse(row.values.get(columns["paid_at"], ""), field=columns["paid_at"]),
    )


@dataclass
class _Line:
    """One line of a batch and what it turned out to be, held until the batch is written."""

    number: int
    parsed: ParsedLine | None
    outcome: str = LineOutcome.INVALID
    note: str = ""
    payment_id: int | None = None
    pk: int = 0


@dataclass
class _Paid:
    """What matching needs of a recorded payment; ``settled_by`` moves as the batch settles it."""

    pk: int
    amount_idr: int
    settled_by: int | None


def _payments_by_reference(channel: Channel, references: set[str]) -> dict[str, _Paid]:
    rows = settlement_sql().payments_by_reference(channel_id=channel.pk, references=references)
    return {reference: _Paid(pk, amount, settled) for reference, pk, amount, settled in rows}


def _callbacks_by_code(
    channel: Channel, pairs: set[tuple[str, int]], known: dict[int, _Paid]
) -> dict[tuple[str, int], list[_Paid]]:
    """Unsettled callback payments for each (payment code, amount), oldest first."""
    if not pairs:
        return {}
    rows = (
        Payment.objects.filter(
            channel=channel,
            payment_code__in={code for code, _amount in pairs},
            amount_idr__in={amount for _code, amount in pairs},
            settled_by__isnull=True,
            source=PaymentSource.CALLBACK,
        )
        .order_by("paid_at", "pk")
        .values_list("payment_code", "amount_idr", "pk")
    )
    found: dict[tuple[str, int], list[_Paid]] = {}
    for code, amount, pk in rows:
        if (code, amount) in pairs:
            paid = known.setdefault(pk, _Paid(pk, amount, None))
            found.setdefault((code, amount), []).append(paid)
    return found


def _lines_match(lines: list[_Line], channel: Channel, actor: Actor) -> list[_Paid]:
    """Decide each parsed line in file order; returns the payments settled by this batch."""
    parsed = [line for line in lines if line.parsed is not None]
    by_reference = _payments_by_reference(channel, {line.parsed.external_reference for line in parsed if line.parsed})
    known = {paid.pk: paid for paid in by_reference.values()}
    pairs = {
        (line.parsed.payment_code, line.parsed.amount_idr)
        for line in parsed
        if line.parsed and line.parsed.payment_code and line.parsed.external_reference not in by_reference
    }
    by_code = _callbacks_by_code(channel, pairs, known)
    settled: list[_Paid] = []
    for line in parsed:
        data = line.parsed
        assert data is not None  # noqa: S101  (filtered above)
        paid = by_reference.get(data.external_reference)
        if paid is None and data.payment_code:
            paid = next(
                (p for p in by_code.get((data.payment_code, data.amount_idr), ()) if p.settled_by is None), None
            )
        recorded_now = False
        if paid is None:
            payment, recorded_now = payment_record(
                actor=actor,
                channel=channel,
                data=CallbackData(
                    external_reference=data.external_reference,
                    payment_code=data.payment_code,
                    amount_idr=data.amount_idr,
                    status="SETTLED",
                    paid=True,
                    paid_at=data.paid_at,
                ),
                source=PaymentSource.SETTLEMENT,
            )
            paid = known.setdefault(payment.pk, _Paid(payment.pk, payment.amount_idr, payment.settled_by_id))
            by_reference[data.external_reference] = paid
        if recorded_now:
            line.outcome = LineOutcome.UNMATCHED
            line.note = "no callback: recorded from the settlement file"
        elif paid.settled_by is not None:
            line.outcome = LineOutcome.DUPLICATE
            line.note = f"already settled by line {paid.settled_by}"
        elif paid.amount_idr != data.amount_idr:
            line.outcome = LineOutcome.MISMATCHED
            line.note = f"recorded {paid.amount_idr}, file {data.amount_idr}"
        else:
            line.outcome = LineOutcome.MATCHED
        if line.outcome in (LineOutcome.UNMATCHED, LineOutcome.MATCHED):
            paid.settled_by = line.pk
            settled.append(paid)
        line.payment_id = paid.pk
    return settled


_LINE_COLUMNS = (
    "id",
    "file_id",
    "line_number",
    "external_reference",
    "payment_code",
    "amount_idr",
    "paid_at",
    "outcome",
    "note",
    "payment_id",
)


def _lines_write(file: SettlementFile, lines: list[_Line]) -> None:
    def values(line: _Line) -> tuple[Any, ...]:
        data = line.parsed
        return (
            line.pk,
            file.pk,
            line.number,
            data.external_reference if data else "",
            data.payment_code if data else "",
            data.amount_idr if data else None,
            data.paid_at if data else None,
            line.outcome,
            line.note[:255],
            line.payment_id,
        )

    insert_rows(SettlementLine, _LINE_COLUMNS, [values(line) for line in lines])


def _payments_settle(settled: list[_Paid]) -> None:
    if not settled:
        return
    settlement_sql().payments_settle([(paid.pk, cast(int, paid.settled_by)) for paid in settled])


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
    actor: Actor,
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
    if file.status == SettlementStatus.FAILED:
        # The same file again: resume after the lines an earlier run stored.
        SettlementFile.objects.filter(pk=file.pk).update(status=SettlementStatus.PROCESSING, finished_at=None)
    size = batch_size or settings.PAYMENTS_SETTLEMENT_BATCH_SIZE
    try:
        for batch in _read_ahead(path, channel.settlement_layout, size):
            _batch_process(file, batch, channel, actor)
    except Exception as exc:
        _file_failed(file, exc)
        raise
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


def _file_failed(file: SettlementFile, exc: Exception) -> None:
    """Never leave a file "processing" after a failure: mark it failed, with a reason a person can act on."""
    if isinstance(exc, SettlementUnreadable):
        reason = f"unreadable file: {exc}"
    else:
        reason = f"stopped by {type(exc).__name__} after the lines already stored; upload the same file to resume"
    summary = {**_summary(file), "error": reason[:255]}
    SettlementFile.objects.filter(pk=file.pk).update(
        status=SettlementStatus.FAILED, summary=summary, finished_at=timezone.now()
    )
    logger.warning("settlement file %s failed: %s", file.pk, reason)


def _file_get_or_create(
    *, actor: Actor, channel: Channel, sha: str, filename: str, stored_path: str
) -> tuple[SettlementFile, bool]:
    try:
        with transaction.atomic():
            file = SettlementFile.objects.create(
                channel=channel,
                sha256=sha,
                filename=filename[:255],
                stored_path=stored_path[:500],
                created_at=timezone.now(),
                created_by=actor.user,
            )
            return file, True
    except IntegrityError:
        return SettlementFile.objects.get(channel=channel, sha256=sha), False


def _batch_process(file: SettlementFile, batch: list[Row], channel: Channel, actor: Actor) -> None:
    """One batch in one transaction: skip the lines an earlier run stored, decide the rest, write them."""
    # Only reconciliation writes ``Payment.settled_by``, and a batch decides from the values it
    # read: holding the channel's lock while it reads and writes them is what row locks on every
    # payment of the batch gave, without writing a lock into each row. (A callback racing with the
    # batch meets the payments' unique constraint, as always.) The batch is resumable, so its
    # commit need not wait for the disk: after a crash the next run redoes whatever batch was lost.
    with atomic_unflushed():
        settlement_sql().channel_lock(channel.pk)
        done = set(
            SettlementLine.objects.filter(
                file=file, line_number__gte=batch[0].line_number, line_number__lte=batch[-1].line_number
            ).values_list("line_number", flat=True)
        )
        lines: list[_Line] = []
        for row in batch:
            if row.line_number in done:
                continue
            if row.parsed is not None or row.unreadable:
                parsed, note = row.parsed, row.unreadable
            else:
                parsed, note = _parse_or_note(row, channel.settlement_layout)
            lines.append(_Line(row.line_number, parsed, note=note))
        if not lines:
            return
        # Ids drawn before the lines are written: a duplicate's note names the line that settled
        # the payment, which may be in the same batch.
        for line, pk in zip(lines, settlement_sql().line_ids(len(lines)), strict=True):
            line.pk = pk
        settled = _lines_match(lines, channel, actor)
        _lines_write(file, lines)
        _payments_settle(settled)


def settlement_report_csv(file: SettlementFile) -> str:
    """The per-line report: what each line of the file matched and what became of its money."""
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow([str(header) for _key, header in REPORT_COLUMNS])
    for line in file.lines.select_related("payment").order_by("line_number").iterator():
        writer.writerow(
            [
                line.line_number,
                line.external_reference,
                line.payment_code,
                "" if line.amount_idr is None else line.amount_idr,
                line.get_outcome_display(),
                note_text(line.note),
                line.payment.get_status_display() if line.payment else "",
            ]
        )
    return out.getvalue()
