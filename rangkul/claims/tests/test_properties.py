"""Across random claim and payment histories the ledger stays balanced and pays each instalment once."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.claims.benefits import Child
from rangkul.claims.errors import ClaimWrongStatus, PayoutRefused
from rangkul.claims.models import Payout, PayoutStatus
from rangkul.claims.scholarship import ChildFinding, scholarship_check_record
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
            claim_propose(actor=Actor.for_user(officer), claim=claim, decision="reject", note="ineligible")
            claim_reject(actor=Actor.for_user(approver), claim=claim, note="ineligible")
            continue
        claim_propose(actor=Actor.for_user(officer), claim=claim, decision=item["decision"], note="checked")
        if item["decision"] == "reject":
            claim_reject(actor=Actor.for_user(approver), claim=claim, note="no")
            continue
        claim_approve(actor=Actor.for_user(approver), claim=claim, note="yes")
        for _ in range(item["payouts"]):
            with contextlib.suppress(PayoutRefused, ClaimWrongStatus):  # NPWP missing; refused before any transfer
                payout_send(actor=Actor.for_user(approver), claim=claim)
        if item["retry"] and Payout.objects.filter(claim=claim, status=PayoutStatus.FAILED).exists():
            payout_retry(
                actor=Actor.for_user(officer),
                claim=claim,
                bank_code="BNI",
                bank_account_number="1234567890",
                note="fixed",
            )

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


finding = st.tuples(st.sampled_from(["in_school", "in_school", "left_school", "married", "employed"]), st.booleans())


@given(years=st.lists(st.tuples(finding, finding), min_size=2, max_size=2), attempts=st.integers(0, 2))
def test_later_scholarship_years_pay_only_what_the_checks_passed(
    regions, officer, approver, second_approver, years, attempts
):
    """Random yearly findings (situation, level right or wrong) for two children over two later years."""
    worker = insured(paid_on=dt.date(2024, 1, 5), months=12)
    children = [Child("Ani", dt.date(2010, 3, 1), "smp", 2), Child("Budi", dt.date(2016, 8, 1), "tk_sd", 3)]
    claim = file(worker, program="JKK", event="scholarship", event_date=dt.date(2024, 6, 10), children=children)
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="yes")
    if claim.status == "awaiting_second":
        claim = claim_approve(actor=Actor.for_user(second_approver), claim=claim, note="yes too")
    payout_send(actor=Actor.for_user(approver), claim=claim)
    ended: set[int] = set()
    for instalment, findings in enumerate(years, start=2):
        expected_levels = {
            child: line["detail"].split()[2]
            for line in claim.lines
            if line["instalment"] == instalment
            for child in [int(line["detail"].split()[1])]
            if child not in ended
        }
        given_findings = {
            child: ChildFinding(findings[child - 1][0], level if findings[child - 1][1] else "university")
            for child, level in expected_levels.items()
        }
        if not expected_levels:  # every child left the schedule: no check, nothing to pay
            with pytest.raises(PayoutRefused):
                payout_send(actor=Actor.for_user(approver), claim=claim, instalment=instalment)
            continue
        scholarship_check_record(
            actor=Actor.for_user(officer),
            claim=claim,
            instalment=instalment,
            evidence="confirmation",
            findings=given_findings,
            note="checked",
        )
        paying = {c for c, f in given_findings.items() if f.status == "in_school" and f.level == expected_levels[c]}
        ended |= {c for c, f in given_findings.items() if f.status != "in_school"}
        expected = sum(
            line["amount_idr"]
            for line in claim.lines
            if line["instalment"] == instalment and int(line["detail"].split()[1]) in paying
        )
        for _ in range(attempts + 1):
            with contextlib.suppress(PayoutRefused):  # nobody to pay this year
                payout_send(actor=Actor.for_user(approver), claim=claim, instalment=instalment)
        paid = Payout.objects.filter(claim=claim, instalment=instalment).first()
        assert (paid.amount_idr if paid else 0) == expected
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    sent = Payout.objects.filter(claim=claim, status=PayoutStatus.SENT).aggregate(total=Sum("amount_idr"))["total"]
    lines = JournalLine.objects.filter(entry__kind="claim_payout", entry__reference__startswith=f"{claim.number}:")
    posted = lines.aggregate(d=Sum("debit_idr"), c=Sum("credit_idr"))
    assert posted["d"] == posted["c"] == sent <= claim.benefit_idr
