"""Set-based reconciliation decides every line exactly as one line at a time would.

The oracle below is the line-by-line reconciliation Rangkul used before batches became
set-based: for each line in file order, look the payment up by reference, then an unsettled
callback with the same code and amount, else record the money. Hypothesis draws files from a
small world where references repeat, codes are shared by several callbacks, amounts are off
by a rupiah and lines are unreadable, and both ways must leave the same lines, payments,
ledger and summary behind, whatever the batch size.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.contributions.selectors import ledger_totals
from rangkul.payments import settlement as settlement_module
from rangkul.payments.channels import CallbackData, CallbackUnreadable
from rangkul.payments.models import (
    Channel,
    LineOutcome,
    Payment,
    PaymentException,
    PaymentSource,
    SettlementFile,
    SettlementLine,
)
from rangkul.payments.services import callback_receive, payment_record
from rangkul.payments.settlement import Row, settlement_reconcile
from rangkul.payments.tests.factories import billed_member, sandbox_body

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "payment_code", "amount_idr", "paid_at"]


def _oracle_line(file: SettlementFile, row: Row, channel: Channel, actor: Actor) -> None:
    """One line at a time, as before (``select_for_update`` per payment, one insert per line)."""
    try:
        with transaction.atomic():
            line = SettlementLine.objects.create(file=file, line_number=row.line_number, outcome=LineOutcome.INVALID)
    except IntegrityError:
        return
    try:
        parsed = settlement_module._parse(row, channel.settlement_layout)
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


def _oracle_batch(file: SettlementFile, batch: list[Row], channel: Channel, actor: Actor) -> None:
    with transaction.atomic():
        for row in batch:
            _oracle_line(file, row, channel, actor)


def _state(summary: dict[str, int]) -> dict[str, Any]:
    """What reconciliation leaves behind, with ids replaced by line numbers and references."""
    number_of = dict(SettlementLine.objects.values_list("pk", "line_number"))

    def note(text: str) -> str:
        prefix = "already settled by line "
        return f"{prefix}#{number_of[int(text.removeprefix(prefix))]}" if text.startswith(prefix) else text

    return {
        "summary": summary,
        "lines": sorted(
            (line.line_number, line.outcome, note(line.note), line.payment.external_reference if line.payment else "")
            for line in SettlementLine.objects.select_related("payment")
        ),
        "payments": sorted(
            Payment.objects.values_list(
                "external_reference", "status", "source", "amount_idr", "settled_by__line_number"
            )
        ),
        "months": ContributionMonth.objects.count(),
        "entries": JournalEntry.objects.count(),
        "exceptions": PaymentException.objects.count(),
        "ledger": ledger_totals(),
    }


@pytest.fixture
def world(regions: Any) -> dict[str, Any]:
    """Callbacks (two of them paying the same bill), and open bills nobody called back for."""
    paid_at = timezone.now() - dt.timedelta(hours=1)
    refs, bills = [], []

    def callback(bill: Any, reference: str) -> None:
        body = sandbox_body(bill, external_id=reference, paid_at=paid_at)
        headers = {"X-Callback-Token": django_settings.SANDBOX_CALLBACK_TOKEN}
        callback_receive(channel_code="sandbox", headers=headers, body=json.dumps(body).encode())
        refs.append(reference)

    for index in range(3):
        _worker, bill = billed_member()
        bills.append(bill)
        callback(bill, f"CB-{index}")
    callback(bills[0], "CB-again")  # the same bill paid twice: same code and amount, held for review
    for _index in range(2):
        _worker, bill = billed_member()
        bills.append(bill)  # open: a line for it has no callback
    return {"refs": refs, "bills": [(b.payment_code, b.amount_idr) for b in bills], "paid_at": paid_at}


def _lines(world: dict[str, Any]) -> st.SearchStrategy[list[list[str]]]:
    references = st.sampled_from([*world["refs"], "NEW-1", "NEW-2", "NEW-3", ""])
    bills = st.sampled_from([*world["bills"], ("UNKNOWNCODE1", 16_800), ("", 16_800)])
    line = st.tuples(references, bills, st.sampled_from([0, 0, 0, 1])).map(
        lambda t: [t[0], t[1][0], str(t[1][1] + t[2]), world["paid_at"].isoformat()]
    )
    return st.lists(line, min_size=1, max_size=10)


def test_batches_decide_every_line_as_one_line_at_a_time_would(world, tmp_path, monkeypatch):
    sandbox = Channel.objects.get(code="sandbox")
    runs = {"n": 0}

    @settings(
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(rows=_lines(world), batch_size=st.integers(min_value=1, max_value=6))
    def check(rows: list[list[str]], batch_size: int) -> None:
        runs["n"] += 1
        path = Path(tmp_path) / f"s{runs['n']}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
        states = []
        for batch in (_oracle_batch, settlement_module._batch_process):
            savepoint = transaction.savepoint()
            with monkeypatch.context() as patch:
                patch.setattr(settlement_module, "_batch_process", batch)
                _file, summary = settlement_reconcile(
                    actor=Actor.system("test"), channel=sandbox, path=path, batch_size=batch_size
                )
            states.append(_state(summary))
            transaction.savepoint_rollback(savepoint)
        assert states[1] == states[0]

    check()
