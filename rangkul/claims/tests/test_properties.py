"""Across random claim and payment histories the ledger stays balanced and pays each instalment once."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from rangkul.claims.errors import ClaimWrongStatus, PayoutRefused
from rangkul.claims.models import Payout, PayoutStatus
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, claim_reject, payout_retry, payout_send
from rangkul.claims.tests.factories import SPOUSE, file, insured
from rangkul.contributions.models import JournalLine
from rangkul.contributions.selectors import account_balance, ledger_totals

pytestmark = pytest.mark.django_db

step = st.fixed_dictionaries(
    {
        "program": st.sampled_from(["JKM", "JKK"]),
        "event_day": st.integers(min_value=-60, max_value=200),  # from 2026-01-01: some before cover
        "account": st.sampled_from(["1234567890", "9990000001", "8880000001", "0000000001"]),
        "npwp": st.booleans(),
        "decision": st.sampled_from(["approve", "reject"]),
        "payouts": st.integers(min_value=0, max_value=3),
        "retry": st.booleans(),
    }
)


@given(history=st.lists(step, min_size=1, max_size=4))
def test_ledger_stays_balanced_across_claim_histories(regions, officer, approver, history):
    worker = insured(paid_on=dt.date(2026, 1, 5), months=12, declared_income_idr=1_000_000)
    for item in history:
        claimant = ClaimantIn(
            SPOUSE, "spouse", "", "01.234.567.8-901.000" if item["npwp"] else "", "BNI", item["account"]
        )
        event = "death"
        claim = file(
            worker,
            program=item["program"],
            event=event,
            event_date=dt.date(2026, 1, 1) + dt.timedelta(days=item["event_day"]),
            claimant=claimant,
        )
        if not claim.eligible:
            claim_propose(actor=officer, claim=claim, decision="reject", note="ineligible")
            claim_reject(actor=approver, claim=claim, note="ineligible")
            continue
        claim_propose(actor=officer, claim=claim, decision=item["decision"], note="checked")
        if item["decision"] == "reject":
            claim_reject(actor=approver, claim=claim, note="no")
            continue
        claim_approve(actor=approver, claim=claim, note="yes")
        for _ in range(item["payouts"]):
            with contextlib.suppress(PayoutRefused, ClaimWrongStatus):  # NPWP missing; refused before any transfer
                payout_send(actor=approver, claim=claim)
        if item["retry"] and Payout.objects.filter(claim=claim, status=PayoutStatus.FAILED).exists():
            payout_retry(actor=officer, claim=claim, bank_code="BNI", bank_account_number="1234567890", note="fixed")

    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    sent = Payout.objects.filter(status=PayoutStatus.SENT).aggregate(total=Sum("amount_idr"))["total"] or 0
    assert -account_balance(code="payout_bank") == sent
    benefits = account_balance(code="benefit:JKK") + account_balance(code="benefit:JKM")
    refunds_paid = (
        JournalLine.objects.filter(entry__kind="claim_payout", account__code="refunds_payable").aggregate(
            s=Sum("debit_idr")
        )["s"]
        or 0
    )
    assert benefits + refunds_paid == sent
    assert account_balance(code="refunds_payable", worker_id=worker.pk) <= 0  # never paid out more than owed
    paid_entries = JournalLine.objects.filter(entry__kind="claim_payout", account__code="payout_bank").count()
    assert paid_entries == Payout.objects.filter(status=PayoutStatus.SENT).count()
