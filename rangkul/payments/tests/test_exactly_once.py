"""Exactly once under duplicates, disorder, concurrency and settlement files arriving in between."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from rangkul.audit.actors import Actor
from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.contributions.selectors import ledger_totals
from rangkul.core.tests.races import race
from rangkul.payments.models import Channel, Payment, PaymentStatus, Receipt, SettlementLine
from rangkul.payments.services import callback_receive
from rangkul.payments.settlement import settlement_reconcile
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body, seed_reference_data

TOKEN_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def seeded(transactional_db):
    """Transactional tests start after another test's flush: put the migrations' rows back."""
    seed_reference_data()


def _deliver(body: dict, token: str) -> int:
    answer = callback_receive(
        channel_code="sandbox", headers={**TOKEN_HEADERS, "X-Callback-Token": token}, body=json.dumps(body).encode()
    )
    return answer.status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_callbacks_record_one_payment(seeded, regions, settings):
    _worker, bill = billed_member(months=3)
    body = sandbox_body(bill)
    answers: list[tuple[int, str]] = []

    def deliver() -> None:
        response = post_callback(Client(), body)
        answers.append((response.status_code, response.content.decode()))

    errors = race([deliver] * 50)
    assert not errors, errors
    assert len(answers) == 50
    assert {status for status, _ in answers} == {200}
    assert len({content for _, content in answers}) == 1  # every duplicate got the first answer
    assert Payment.objects.count() == 1
    assert JournalEntry.objects.filter(kind="payment").count() == 1
    assert ContributionMonth.objects.values("period").distinct().count() == 3
    assert Receipt.objects.count() == 1
    assert Receipt.objects.get().number.endswith("-00000001")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_different_transactions_for_one_bill_allocate_once(seeded, regions):
    _worker, bill = billed_member()
    bodies = [sandbox_body(bill) for _ in range(10)]
    errors = race([lambda body=body: post_callback(Client(), body) for body in bodies])
    assert not errors, errors
    assert Payment.objects.count() == 10
    assert Payment.objects.filter(status=PaymentStatus.ALLOCATED).count() == 1
    assert Payment.objects.filter(status=PaymentStatus.EXCEPTION).count() == 9
    assert JournalEntry.objects.filter(kind="payment").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_get_gap_free_receipt_numbers(seeded, regions):
    bills = [billed_member()[1] for _ in range(20)]
    errors = race([lambda bill=bill: post_callback(Client(), sandbox_body(bill)) for bill in bills])
    assert not errors, errors
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(bills) + 1))


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "payment_code", "amount_idr", "paid_at"])
        for body in rows:
            writer.writerow([body["external_id"], body["payment_code"], body["amount_idr"], body["paid_at"]])
    return path


@pytest.mark.django_db
def test_many_payments_with_duplicates_disorder_and_settlement_in_between(regions, settings, tmp_path):
    count = 1000 if connection.vendor == "postgresql" else 120
    rng = random.Random(20261124)
    token = settings.SANDBOX_CALLBACK_TOKEN
    sandbox = Channel.objects.get(code="sandbox")

    members = []
    for index in range(count):
        worker, bill = billed_member(months=rng.choice([1, 3, 6, 12]) if index % 5 == 0 else 1)
        expected = sorted({str(line.period) for line in bill.lines.all()})
        members.append((worker, bill, sandbox_body(bill), expected))

    # About one payment in ten never calls back: the settlement file is the only news of it.
    silent = {i for i in range(count) if rng.random() < 0.1}
    deliveries: list[dict] = []
    for index, (_w, _b, body, _e) in enumerate(members):
        if index in silent:
            continue
        deliveries += [body] * rng.choice([1, 1, 2, 3])
        if rng.random() < 0.1:
            deliveries.append({**body, "status": "EXPIRED"})
    rng.shuffle(deliveries)

    # Four settlement files, each listing a quarter of the payments plus a few repeated lines.
    groups = [list(range(k, count, 4)) for k in range(4)]
    files = []
    for k, group in enumerate(groups):
        rows = [members[i][2] for i in group]
        repeats = rng.sample(rows, 3)
        files.append((group, _write(tmp_path / f"day{k}.csv", rows + repeats)))

    delivered: set[str] = set()
    chunk = max(1, len(deliveries) // 5)
    summaries = []
    for step in range(5):
        for body in deliveries[step * chunk : (step + 1) * chunk if step < 4 else None]:
            assert _deliver(body, token) == 200
            if body["status"] == "PAID":
                delivered.add(body["external_id"])
        if step < 4:
            group, path = files[step]
            expected_unmatched = sum(1 for i in group if members[i][2]["external_id"] not in delivered)
            _file, summary = settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)
            assert summary["lines"] == len(group) + 3
            assert summary["duplicates"] == 3
            assert summary["mismatched"] == 0 and summary["invalid"] == 0
            assert summary["unmatched"] == expected_unmatched
            assert summary["matched"] == len(group) - expected_unmatched
            summaries.append(summary)

    # Running every file again changes nothing.
    before = (Payment.objects.count(), JournalEntry.objects.count(), SettlementLine.objects.count())
    for k, (_group, path) in enumerate(files):
        assert settlement_reconcile(actor=Actor.system("test"), channel=sandbox, path=path)[1] == summaries[k]
    assert (Payment.objects.count(), JournalEntry.objects.count(), SettlementLine.objects.count()) == before

    assert Payment.objects.count() == count
    assert Payment.objects.filter(status=PaymentStatus.ALLOCATED).count() == count
    assert JournalEntry.objects.filter(kind="payment").count() == count
    assert not Payment.objects.filter(settled_by__isnull=True).exists()
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"] == sum(bill.amount_idr for _w, bill, _b, _e in members)

    paid: dict[int, set[str]] = {}
    for worker_id, period in ContributionMonth.objects.values_list("worker_id", "period"):
        paid.setdefault(worker_id, set()).add(str(period)[:7])
    for worker, _bill, _body, expected in members:
        assert sorted(paid.get(worker.pk, set())) == expected
    months_per_program = Counter(ContributionMonth.objects.values_list("worker_id", "period", "program"))
    assert max(months_per_program.values()) == 1
