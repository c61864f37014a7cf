"""Settlement files: one bad line never stops the file, and a file never stays "processing" after a failure."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.payments import settlement as settlement_module
from rangkul.payments.models import (
    Channel,
    ExceptionReason,
    LineOutcome,
    PaymentException,
    SettlementFile,
    SettlementLine,
    SettlementStatus,
)
from rangkul.payments.settlement import SettlementUnreadable, settlement_reconcile
from rangkul.payments.tests.factories import billed_member
from rangkul.payments.tests.test_settlement import write_csv

pytestmark = pytest.mark.django_db


def _sandbox() -> Channel:
    return Channel.objects.get(code="sandbox")


@pytest.mark.parametrize(
    ("amount", "paid_at"),
    [
        ("Infinity", None),
        ("1E+30", None),
        ("9223372036854775808", None),
        ("NaN", None),
        (None, "2025-02-30 10:00:00"),
        (None, "2025-01-01T10:00:00+25:00"),
    ],
)
def test_one_bad_line_is_invalid_and_the_file_finishes(regions, tmp_path, amount, paid_at):
    _worker, bill = billed_member()
    now = timezone.now().isoformat()
    good = ["SBX-GOOD-1", bill.payment_code, bill.amount_idr, now]
    bad = ["SBX-BAD-1", "8800000000000000", amount or 16_800, paid_at or now]
    path = write_csv(tmp_path / "day.csv", [bad, good])
    file, summary = settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path)
    assert file.status == SettlementStatus.DONE
    assert summary["lines"] == 2 and summary["invalid"] == 1 and summary["unmatched"] == 1
    line = SettlementLine.objects.get(line_number=1)
    assert line.outcome == LineOutcome.INVALID and line.note


def test_a_line_above_the_ceiling_goes_to_review(regions, tmp_path, settings):
    settings.PAYMENTS_PAYMENT_CEILING_IDR = 100_000_000
    path = write_csv(tmp_path / "day.csv", [["SBX-BIG", "8800000000000000", 500_000_000, timezone.now().isoformat()]])
    file, _summary = settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path)
    assert file.status == SettlementStatus.DONE
    assert PaymentException.objects.get().reason == ExceptionReason.OVER_CEILING


def test_a_file_without_the_layouts_columns_fails_with_a_reason(regions, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id;code;amount\n1;2;3\n", encoding="utf-8")
    with pytest.raises(SettlementUnreadable):
        settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path)
    file = SettlementFile.objects.get()
    assert file.status == SettlementStatus.FAILED
    assert "external_id" in file.summary["error"]
    assert file.finished_at is not None


def test_a_file_that_is_not_text_fails_with_a_reason(regions, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"external_id,payment_code,amount_idr,paid_at\n\xff\xfe\x00bad\n")
    with pytest.raises(SettlementUnreadable):
        settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path)
    file = SettlementFile.objects.get()
    assert file.status == SettlementStatus.FAILED and file.summary["error"]


def test_an_unexpected_failure_marks_the_file_failed_and_a_rerun_resumes(regions, tmp_path, monkeypatch):
    _worker, bill = billed_member()
    now = timezone.now().isoformat()
    rows = [[f"SBX-{n}", "8800000000000000", 16_800, now] for n in range(5)]
    rows.append(["SBX-PAY", bill.payment_code, bill.amount_idr, now])
    path = write_csv(tmp_path / "day.csv", rows)
    real = settlement_module._batch_process
    calls = {"n": 0}

    def dies_on_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(settlement_module, "_batch_process", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path, batch_size=2)
    file = SettlementFile.objects.get()
    assert file.status == SettlementStatus.FAILED
    assert "RuntimeError" in file.summary["error"]
    assert SettlementLine.objects.count() == 2  # the first batch stays
    monkeypatch.setattr(settlement_module, "_batch_process", real)
    file, summary = settlement_reconcile(actor=Actor.system("test"), channel=_sandbox(), path=path, batch_size=2)
    assert file.status == SettlementStatus.DONE and summary["lines"] == 6
    assert "error" not in file.summary
