"""Payouts: once per claim and instalment, name checked, balanced in the ledger, failures kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from rangkul.audit.actors import Actor
from rangkul.claims.errors import ClaimWrongStatus, PayoutRefused
from rangkul.claims.models import ClaimStatus, PayoutStatus
from rangkul.claims.selectors import payout_exceptions_for_user
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, payout_retry, payout_send
from rangkul.claims.tests.factories import SPOUSE, declared_jht_rates, file, insured
from rangkul.contributions.models import JournalEntry, JournalLine
from rangkul.contributions.selectors import account_balance

pytestmark = pytest.mark.django_db


def approved(claim, officer, approver):
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="documents checked")
    return claim_approve(actor=Actor.for_user(approver), claim=claim, note="approved")


def _claimant(account="1234567890", npwp=""):
    return ClaimantIn(SPOUSE, "spouse", "+6281299990000", npwp, "BRI", account)


def test_payout_is_sent_once_with_a_balanced_entry(regions, officer, approver):
    claim = approved(file(insured()), officer, approver)
    payout = payout_send(actor=Actor.for_user(approver), claim=claim)
    again = payout_send(actor=Actor.for_user(approver), claim=claim)
    assert again.pk == payout.pk and payout.status == PayoutStatus.SENT
    # 42,000,000 and the refund of what was paid for April to December 2026, after the death in
    # March: Rp201,600 paid less January to March (3 × Rp16,800).
    assert payout.amount_idr == 42_000_000 + 151_200 and payout.external_reference == f"SBX-{claim.number}-1"
    entries = JournalEntry.objects.filter(kind="claim_payout")
    assert entries.count() == 1
    totals = JournalLine.objects.filter(entry__in=entries).aggregate(d=Sum("debit_idr"), c=Sum("credit_idr"))
    assert totals == {"d": 42_151_200, "c": 42_151_200}
    assert account_balance(code="benefit:JKM") == 42_000_000
    assert account_balance(code="refunds_payable", worker_id=claim.worker_id) == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_months_paid_after_the_death_are_refunded_with_the_claim_once(regions, officer, approver):
    worker = insured()
    claim = approved(file(worker), officer, approver)
    refund = [line for line in claim.lines if line["benefit"] == "contribution_refund"]
    assert [line["amount_idr"] for line in refund] == [151_200]
    assert sorted({str(p) for p in worker.contribution_months.values_list("period", flat=True)}) == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert account_balance(code="refunds_payable", worker_id=worker.pk) == -151_200
    # A JKK claim for the same death finds the refund already made.
    second = approved(
        file(worker, program="JKK", event="death", claimant=_claimant(npwp="01.234.567.8-901.000")), officer, approver
    )
    assert not [line for line in second.lines if line["benefit"] == "contribution_refund"]
    payout_send(actor=Actor.for_user(approver), claim=claim)
    assert account_balance(code="refunds_payable", worker_id=worker.pk) == 0


def test_a_claim_not_approved_is_not_paid(regions, officer):
    with pytest.raises(ClaimWrongStatus):
        payout_send(actor=Actor.for_user(officer), claim=file(insured()))


def test_failed_transfer_becomes_an_exception_and_can_be_sent_again(regions, officer, approver, branch):
    claim = approved(file(insured(), claimant=_claimant("9990001111")), officer, approver)
    payout = payout_send(actor=Actor.for_user(approver), claim=claim)
    assert payout.status == PayoutStatus.FAILED and payout.failure_code == "rejected_by_bank"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYMENT_FAILED
    assert not JournalEntry.objects.filter(kind="claim_payout").exists()
    assert list(payout_exceptions_for_user(user=officer)) == [payout]
    payout = payout_retry(
        actor=Actor.for_user(officer),
        claim=claim,
        bank_code="BRI",
        bank_account_number="1234567890",
        note="new account",
    )
    assert payout.status == PayoutStatus.SENT
    assert JournalEntry.objects.filter(kind="claim_payout").count() == 1
    assert not payout_exceptions_for_user(user=officer).exists()


def test_account_holder_must_be_the_claimant(regions, officer, approver):
    claim = approved(file(insured(), claimant=_claimant("8881234567")), officer, approver)
    payout = payout_send(actor=Actor.for_user(approver), claim=claim)
    assert (payout.status, payout.failure_code) == (PayoutStatus.FAILED, "name_mismatch")
    claim = approved(file(insured(), claimant=_claimant("0001234567")), officer, approver)
    assert payout_send(actor=Actor.for_user(approver), claim=claim).failure_code == "no_account"


def test_payout_above_50_million_needs_the_npwp(regions, officer, approver):
    claim = approved(file(insured(), program="JKK", event="death", claimant=_claimant()), officer, approver)
    with pytest.raises(PayoutRefused) as error:
        payout_send(actor=Actor.for_user(approver), claim=claim)
    assert "claimant_npwp" in error.value.fields
    claim = approved(
        file(insured(), program="JKK", event="death", claimant=_claimant(npwp="12.345.678.9-012.000")),
        officer,
        approver,
    )
    assert payout_send(actor=Actor.for_user(approver), claim=claim).status == PayoutStatus.SENT


def test_jht_payout_comes_from_the_members_savings_and_the_returns(regions, officer, approver):
    worker = insured(jht=True, paid_on=dt.date(2026, 1, 5), months=12)
    declared_jht_rates(2026)
    claim = file(
        worker,
        program="JHT",
        event="withdrawal",
        event_date=dt.date(2026, 11, 30),
        claimant=ClaimantIn(worker.full_name, "self", "", "", "BRI", "1234567890"),
    )
    assert claim.eligible, claim.reasons
    lines = {line["benefit"]: line["amount_idr"] for line in claim.lines}
    assert lines["jht_contributions"] == 11 * 20_000
    claim = approved(claim, officer, approver)
    payout_send(actor=Actor.for_user(approver), claim=claim)
    debits = dict(
        JournalLine.objects.filter(entry__kind="claim_payout", debit_idr__gt=0).values_list(
            "account__code", "debit_idr"
        )
    )
    assert debits == {"contribution:JHT": lines["jht_contributions"], "benefit:JHT": lines["jht_returns"]}


def test_without_an_adapter_nothing_is_paid(regions, officer, approver, settings):
    settings.CLAIMS_DISBURSEMENT_ADAPTER = ""
    claim = approved(file(insured()), officer, approver)
    with pytest.raises(PayoutRefused):
        payout_send(actor=Actor.for_user(approver), claim=claim)
    assert not claim.payouts.exists()
