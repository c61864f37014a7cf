"""Later scholarship years: due at the start of their school year, paid only after an audited yearly check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.benefits import Child
from rangkul.claims.errors import ClaimInputInvalid, ClaimWrongStatus, NotAllowed, PayoutRefused
from rangkul.claims.models import Claim, PayoutStatus
from rangkul.claims.receipts import payout_receipt_pdf
from rangkul.claims.scholarship import ChildFinding, due_on, scholarship_check_record, scholarship_schedule
from rangkul.claims.services import claim_approve, claim_propose, document_add, payout_send
from rangkul.claims.tests.factories import file, insured
from rangkul.contributions.models import JournalLine
from rangkul.core.pdf import page_text

pytestmark = pytest.mark.django_db

ANI = Child("Ani", dt.date(2010, 3, 1), "smp", 2)  # SMP 2 in 2024/25, SMP 3, then SMA from 2026/27
BUDI = Child("Budi", dt.date(2016, 8, 1), "tk_sd", 3)  # TK/SD for years to come
IN_SCHOOL = "in_school"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.CLAIMS_DOCUMENT_ROOT = tmp_path / "private"


@pytest.fixture
def claim(regions, officer, approver, second_approver) -> Claim:
    """A JKK scholarship for a death in June 2024, approved, its first year paid."""
    worker = insured(paid_on=dt.date(2024, 1, 5), months=12)
    claim = file(worker, program="JKK", event="scholarship", event_date=dt.date(2024, 6, 10), children=[ANI, BUDI])
    assert claim.eligible, claim.reasons
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="documents checked")
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="approved")
    if claim.status == "awaiting_second":  # the whole schedule is above the second-approval threshold
        claim = claim_approve(actor=Actor.for_user(second_approver), claim=claim, note="approved too")
    assert payout_send(actor=Actor.for_user(approver), claim=claim).amount_idr == 2_000_000 + 1_500_000
    return claim


def _check(officer, claim, instalment, findings, **kwargs):
    return scholarship_check_record(
        actor=Actor.for_user(officer),
        claim=claim,
        instalment=instalment,
        evidence=kwargs.pop("evidence", "confirmation"),
        findings=findings,
        note=kwargs.pop("note", "school confirmed by phone"),
        **kwargs,
    )


def _future_instalment(claim) -> int:
    today = timezone.localdate()
    return next(n for n in range(2, 20) if due_on(claim, n) > today)


def test_a_due_year_is_not_paid_before_its_check(claim, approver):
    assert due_on(claim, 2) == dt.date(2025, 7, 1)  # the rule table's school year starts in July
    with pytest.raises(PayoutRefused) as error:
        payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2)
    assert error.value.code == "scholarship_check_missing"
    assert not claim.payouts.filter(instalment=2).exists()


def test_a_year_not_yet_started_is_neither_checked_nor_paid(claim, officer, approver):
    later = _future_instalment(claim)
    with pytest.raises(PayoutRefused) as error:
        payout_send(actor=Actor.for_user(approver), claim=claim, instalment=later)
    assert error.value.code == "scholarship_not_due"
    with pytest.raises(ClaimWrongStatus):
        _check(officer, claim, later, {1: ChildFinding(IN_SCHOOL, "sma"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})


def test_after_the_check_the_year_is_paid_balanced_with_a_receipt(claim, officer, approver):
    check = _check(officer, claim, 2, {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    assert [row["outcome"] for row in check.children] == ["pay", "pay"]
    payout = payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2)
    assert payout.status == PayoutStatus.SENT and payout.amount_idr == 2_000_000 + 1_500_000
    lines = JournalLine.objects.filter(entry__reference=f"{claim.number}:2")
    assert lines.aggregate(d=Sum("debit_idr"), c=Sum("credit_idr")) == {"d": 3_500_000, "c": 3_500_000}
    assert "Rp3.500.000" in page_text(payout_receipt_pdf(payout))
    event = AuditEvent.objects.get(action="claim.scholarship_check", subject_label=claim.number)
    assert event.after["outcomes"] == [
        {"child": 1, "outcome": "pay", "reason": ""},
        {"child": 2, "outcome": "pay", "reason": ""},
    ]
    assert event.reason == "school confirmed by phone"
    assert "Ani" not in str(event.after) and "Budi" not in str(event.after)  # children's data stays out


def test_a_child_who_married_leaves_the_schedule_for_good(claim, officer, approver):
    _check(officer, claim, 2, {1: ChildFinding("married"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    assert payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2).amount_idr == 1_500_000
    # The next year asks about the second child only.
    with pytest.raises(ClaimInputInvalid):
        _check(officer, claim, 3, {1: ChildFinding(IN_SCHOOL, "sma"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    _check(officer, claim, 3, {2: ChildFinding(IN_SCHOOL, "tk_sd")})
    assert payout_send(actor=Actor.for_user(approver), claim=claim, instalment=3).amount_idr == 1_500_000
    rows = {row.instalment: row for row in scholarship_schedule(claim)}
    assert rows[4].scheduled_idr == 1_500_000  # Ani's SMA years are gone from the schedule


def test_a_child_at_another_level_is_held_for_the_year(claim, officer, approver):
    check = _check(officer, claim, 2, {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "smp")})
    assert check.children[1]["outcome"] == "hold" and check.children[1]["reason"] == "level_differs"
    assert payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2).amount_idr == 2_000_000
    rows = {row.instalment: row for row in scholarship_schedule(claim)}
    assert rows[3].scheduled_idr == 3_000_000 + 1_500_000  # held, not ended


def test_the_age_limit_of_the_rule_table_ends_it(claim, officer, approver):
    # The birth date on the claim is corrected: the first child turns out to be 23 by July 2025.
    Claim.objects.filter(pk=claim.pk).update(
        children=[{**claim.children[0], "birth_date": "2002-01-01"}, claim.children[1]]
    )
    claim.refresh_from_db()
    check = _check(officer, claim, 2, {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    assert (check.children[0]["outcome"], check.children[0]["reason"]) == ("end", "age_limit")
    assert payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2).amount_idr == 1_500_000


def test_a_check_by_document_needs_a_proof_of_enrolment_on_the_claim(claim, officer):
    findings = {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")}
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 200
    ktp = document_add(
        actor=Actor.for_user(officer), claim=claim, kind="ktp_heir", upload=SimpleUploadedFile("k.jpg", jpeg)
    )
    with pytest.raises(ClaimInputInvalid):
        _check(officer, claim, 2, findings, evidence="document", document=ktp)
    proof = document_add(
        actor=Actor.for_user(officer), claim=claim, kind="school_enrolment", upload=SimpleUploadedFile("s.jpg", jpeg)
    )
    check = _check(officer, claim, 2, findings, evidence="document", document=proof)
    assert check.document == proof
    with pytest.raises(ClaimWrongStatus):  # once per year
        _check(officer, claim, 2, findings)


def test_only_claim_staff_check_and_always_with_a_note(claim, officer, branch):
    findings = {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")}
    with pytest.raises(NotAllowed):
        _check(UserFactory(username="clerk", branch=branch), claim, 2, findings)
    with pytest.raises(ClaimInputInvalid):
        _check(officer, claim, 2, findings, note="  ")


def test_the_office_page_records_the_check_and_pays_the_year(client, claim, officer, approver):
    client.force_login(officer)
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert 'data-testid="schedule"' in page and 'data-testid="scholarship-check"' in page
    response = client.post(
        f"/office/klaim/{claim.number}/cek-beasiswa/",
        {
            "instalment": "2",
            "evidence": "confirmation",
            "note": "letter from the school",
            "child_1_status": IN_SCHOOL,
            "child_1_level": "smp",
            "child_2_status": IN_SCHOOL,
            "child_2_level": "tk_sd",
        },
    )
    assert response.status_code == 302 and claim.scholarship_checks.filter(instalment=2).exists()
    client.force_login(approver)
    client.post(f"/office/klaim/{claim.number}/bayar/", {"instalment": "2"})
    assert claim.payouts.get(instalment=2).amount_idr == 3_500_000


def test_the_queue_lists_the_years_due(client, claim, officer, approver):
    client.force_login(officer)
    page = client.get("/office/klaim/").content.decode()
    due = page.split('data-testid="scholarship-due"')[1].split("</section>")[0]
    assert f"{claim.number}</a> · #2" in due and f"{claim.number}</a> · #3" in due
    assert "#" + str(_future_instalment(claim)) not in due  # not started yet
    _check(officer, claim, 2, {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    payout_send(actor=Actor.for_user(approver), claim=claim, instalment=2)
    due = client.get("/office/klaim/").content.decode().split('data-testid="scholarship-due"')[1]
    assert f"{claim.number}</a> · #2" not in due.split("</section>")[0]


def test_years_are_checked_in_order(claim, officer):
    with pytest.raises(ClaimWrongStatus):
        _check(officer, claim, 3, {1: ChildFinding(IN_SCHOOL, "sma"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    _check(officer, claim, 2, {1: ChildFinding(IN_SCHOOL, "smp"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
    _check(officer, claim, 3, {1: ChildFinding(IN_SCHOOL, "sma"), 2: ChildFinding(IN_SCHOOL, "tk_sd")})
