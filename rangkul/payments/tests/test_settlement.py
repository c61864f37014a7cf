from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from conftest import PASSWORD
from rangkul.audit.actors import Actor
from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.contributions.selectors import ledger_totals
from rangkul.payments import settlement as settlement_module
from rangkul.payments.models import (
    Channel,
    LineOutcome,
    Payment,
    PaymentException,
    PaymentSource,
    PaymentStatus,
    SettlementFile,
    SettlementLine,
)
from rangkul.payments.settlement import settlement_reconcile
from rangkul.payments.settlement_display import REPORT_COLUMNS, note_text, summary_rows
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db

HEADER = ["external_id", "payment_code", "amount_idr", "paid_at"]


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _row(body: dict, **changes: object) -> list[object]:
    merged = {**body, **changes}
    return [merged["external_id"], merged["payment_code"], merged["amount_idr"], merged["paid_at"]]


def _state() -> dict[str, object]:
    """Everything reconciliation can change, in a comparable form."""
    return {
        "payments": sorted(
            Payment.objects.values_list(
                "external_reference", "status", "source", "amount_idr", "settled_by__line_number"
            )
        ),
        "lines": sorted(SettlementLine.objects.values_list("line_number", "outcome", "payment__external_reference")),
        "months": ContributionMonth.objects.count(),
        "entries": JournalEntry.objects.count(),
        "ledger": ledger_totals(),
        "exceptions": PaymentException.objects.count(),
    }


def test_summary_counts_each_kind_of_line(client, regions, tmp_path):
    sandbox = Channel.objects.get(code="sandbox")
    bodies = []
    for _ in range(3):
        _worker, bill = billed_member()
        body = sandbox_body(bill)
        post_callback(client, body)
        bodies.append(body)
    _w, unpaid_bill = billed_member()
    no_callback = sandbox_body(unpaid_bill)  # money in the file, never called back
    _w2, other_bill = billed_member()
    by_code = sandbox_body(other_bill)
    post_callback(client, by_code)  # the file lists it under another reference
    path = write_csv(
        tmp_path / "s.csv",
        [
            _row(bodies[0]),
            _row(bodies[1]),
            _row(bodies[1]),  # the same transaction listed twice
            _row(bodies[2], amount_idr=bodies[2]["amount_idr"] + 1),  # amount differs
            _row(no_callback),
            _row(by_code, external_id="SETTLE-REF-9"),
            ["", "", "abc", ""],  # unreadable
        ],
    )
    file, summary = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)
    assert summary == {
        "lines": 7,
        "matched": 3,
        "duplicates": 1,
        "unmatched": 1,
        "mismatched": 1,
        "invalid": 1,
        "unsettled_callbacks": 1,  # the mismatched callback stays unconfirmed
    }
    recorded = Payment.objects.get(external_reference=no_callback["external_id"])
    assert recorded.source == PaymentSource.SETTLEMENT and recorded.status == PaymentStatus.ALLOCATED
    assert Payment.objects.get(external_reference=by_code["external_id"]).settled_by is not None
    report = settlement_module.settlement_report_csv(file)
    assert report.splitlines()[0] == ",".join(str(header) for _key, header in REPORT_COLUMNS)
    assert len(report.splitlines()) == 8


def test_rerunning_a_file_changes_nothing(client, regions, tmp_path):
    sandbox = Channel.objects.get(code="sandbox")
    _worker, bill = billed_member()
    path = write_csv(tmp_path / "s.csv", [_row(sandbox_body(bill))])
    _file, first = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)
    before = _state()
    _file, second = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)
    assert first == second
    assert _state() == before
    assert SettlementFile.objects.count() == 1


def test_a_line_in_a_later_file_is_a_duplicate(client, regions, tmp_path):
    sandbox = Channel.objects.get(code="sandbox")
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=write_csv(tmp_path / "a.csv", [_row(body)]))
    _file, summary = settlement_reconcile(
        actor=Actor.system("test"), channel=sandbox, path=write_csv(tmp_path / "b.csv", [_row(body), _row(body)])
    )
    assert summary["duplicates"] == 2 and summary["unmatched"] == 0
    assert Payment.objects.count() == 1
    # The callback arriving after the file: a duplicate, no money moves.
    entries = JournalEntry.objects.count()
    assert post_callback(client, body).json()["result"] == "recorded"
    assert JournalEntry.objects.count() == entries


def test_a_killed_reconciliation_resumes_to_the_same_state(client, regions, tmp_path, monkeypatch):
    sandbox = Channel.objects.get(code="sandbox")
    rows = []
    for index in range(9):
        _worker, bill = billed_member()
        body = sandbox_body(bill)
        if index % 3:
            post_callback(client, body)
        rows.append(_row(body))
    rows.append(rows[4])
    path = write_csv(tmp_path / "s.csv", rows)

    # The same world reconciled in one clean run, then rolled back.
    savepoint = transaction.savepoint()
    _file, clean_summary = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path, batch_size=3)
    clean_state = _state()
    transaction.savepoint_rollback(savepoint)
    assert not SettlementLine.objects.exists()

    real = settlement_module._batch_process
    calls = {"n": 0}

    def dies_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process is killed mid-file
        return real(*args, **kwargs)

    monkeypatch.setattr(settlement_module, "_batch_process", dies_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path, batch_size=3)
    assert SettlementLine.objects.count() == 6  # two whole batches committed, the third rolled back
    monkeypatch.setattr(settlement_module, "_batch_process", real)
    _file, resumed_summary = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path, batch_size=3)

    assert resumed_summary == clean_summary
    assert _state() == clean_state
    assert clean_summary == {
        "lines": 10,
        "matched": 6,
        "duplicates": 1,
        "unmatched": 3,
        "mismatched": 0,
        "invalid": 0,
        "unsettled_callbacks": 0,
    }
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_callbacks_missing_from_the_settlement_are_flagged(client, regions, tmp_path):
    sandbox = Channel.objects.get(code="sandbox")
    _w, settled_bill = billed_member()
    _w2, missing_bill = billed_member()
    yesterday = timezone.now() - dt.timedelta(days=1)
    settled = sandbox_body(settled_bill, paid_at=yesterday)
    missing = sandbox_body(missing_bill, paid_at=yesterday)
    post_callback(client, settled)
    post_callback(client, missing)
    _file, summary = settlement_reconcile(
        actor=Actor.system("test"), channel=sandbox, path=write_csv(tmp_path / "s.csv", [_row(settled)])
    )
    assert summary["unsettled_callbacks"] == 1
    assert Payment.objects.get(external_reference=missing["external_id"]).unsettled_flagged_at is not None
    assert Payment.objects.get(external_reference=settled["external_id"]).unsettled_flagged_at is None


def test_command_prints_one_json_line_and_writes_a_report(client, regions, tmp_path):
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    post_callback(client, body)
    path = write_csv(tmp_path / "s.csv", [_row(body)])
    out = StringIO()
    call_command("reconcile_settlement", str(path), "--channel", "sandbox", stdout=out)
    summary = json.loads(out.getvalue().strip())
    assert {k: summary[k] for k in ("lines", "matched", "duplicates", "unmatched", "mismatched")} == {
        "lines": 1,
        "matched": 1,
        "duplicates": 0,
        "unmatched": 0,
        "mismatched": 0,
    }
    assert (tmp_path / "s.csv.report.csv").read_text().count("\n") == 2


def test_sandbox_settlement_file_round_trip(client, regions, tmp_path):
    bodies = []
    for _ in range(2):
        _worker, bill = billed_member()
        body = sandbox_body(bill)
        post_callback(client, body)
        bodies.append(body)
    out = StringIO()
    target = tmp_path / "sandbox.csv"
    call_command("write_sandbox_settlement", "--date", str(timezone.localdate()), "--out", str(target), stdout=out)
    assert json.loads(out.getvalue()) == {"lines": 2, "path": str(target)}
    assert target.read_text().splitlines()[0] == ",".join(HEADER)
    out = StringIO()
    call_command("reconcile_settlement", str(target), "--channel", "sandbox", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["matched"] == 2 and summary["unmatched"] == 0


def test_office_upload_and_report_download(client, regions, payments_officer, tmp_path):
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    path = write_csv(tmp_path / "s.csv", [_row(body)])
    client.login(username=payments_officer.username, password=PASSWORD)
    with path.open("rb") as handle:
        response = client.post(reverse("payments_office:settlements"), {"channel": "sandbox", "file": handle})
    assert response.status_code == 302
    file = SettlementFile.objects.get()
    assert file.summary["unmatched"] == 1
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    report = client.get(reverse("payments_office:settlement_report", args=[file.pk]))
    assert report["Content-Type"].startswith("text/csv")
    with translation.override("id"):
        words = str(LineOutcome.UNMATCHED.label)
    assert words in report.content.decode()


def test_office_lists_callbacks_missing_from_settlement(client, regions, payments_officer, tmp_path):
    sandbox = Channel.objects.get(code="sandbox")
    _w, bill = billed_member()
    _w2, other = billed_member()
    missing = sandbox_body(bill)
    post_callback(client, missing)
    settlement_reconcile(
        actor=Actor.system("test"), channel=sandbox, path=write_csv(tmp_path / "s.csv", [_row(sandbox_body(other))])
    )
    client.login(username=payments_officer.username, password=PASSWORD)
    page = client.get(reverse("payments_office:settlements")).content.decode()
    assert missing["external_id"] in page


def test_settlement_notes_summary_and_report_headers_in_indonesian():
    with translation.override("id"):
        assert note_text("recorded 16800, file 20000") == "Tercatat Rp16.800, berkas menyebut Rp20.000."
        assert note_text("paid_at: not a date and time") == "Kolom paid_at: bukan tanggal dan waktu."
        assert note_text("already settled by line 7").startswith("Sudah diselesaikan")
        assert note_text("something else") == "something else"
        assert summary_rows({"matched": 2, "new_key": 1}) == [("Cocok dengan pembayaran tercatat", 2), ("new_key", 1)]
        headers = [str(header) for _key, header in REPORT_COLUMNS]
    assert headers[:2] == ["Baris", "Transaksi"] and "outcome" not in headers


def test_a_standing_code_paid_without_a_callback_is_recorded_from_the_settlement_file(client, regions, tmp_path):
    """Money on a member's standing code (ADR 0047) that only the settlement file reports: recorded and allocated."""
    from rangkul.contributions.payment_codes import member_payment_code
    from rangkul.contributions.services import month_due
    from rangkul.contributions.tests.factories import member

    worker = member(registered_on=timezone.localdate())
    body = sandbox_body(payment_code=member_payment_code(worker.membership_number), amount_idr=month_due(worker=worker))
    path = write_csv(tmp_path / "standing.csv", [_row(body)])
    sandbox = Channel.objects.get(code="sandbox")
    _file, summary = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)
    assert summary["unmatched"] == 1  # no callback came: the file's line records the payment
    payment = Payment.objects.get(external_reference=body["external_id"])
    assert (payment.source, payment.status, payment.worker_id) == (
        PaymentSource.SETTLEMENT,
        PaymentStatus.ALLOCATED,
        worker.pk,
    )
    assert ContributionMonth.objects.filter(worker=worker).count() == 2  # JKK and JKM of the month owed
    before = _state()
    settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)  # the same file again
    assert _state() == before
