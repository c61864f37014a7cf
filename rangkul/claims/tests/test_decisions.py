"""Four eyes: an officer verifies and proposes, another person approves; large amounts twice."""

from __future__ import annotations

import pytest

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.errors import ClaimInputInvalid, ClaimWrongStatus, FourEyesRequired, NotAllowed
from rangkul.claims.models import ClaimStatus
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, claim_reject
from rangkul.claims.tests.factories import file, insured
from rangkul.messaging.backends import locmem

pytestmark = pytest.mark.django_db


def test_officer_proposes_and_an_approver_approves(regions, officer, approver):
    claim = file(insured())
    claim_propose(
        actor=Actor.for_user(officer), claim=claim, decision="approve", note="KTP, death certificate and KK checked"
    )
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="consistent with the record")
    assert claim.status == ClaimStatus.APPROVED
    assert (claim.proposed_by, claim.approved_by) == (officer, approver)
    assert list(claim.history.values_list("status", flat=True)) == ["submitted", "proposed", "approved"]
    actions = list(AuditEvent.objects.filter(subject_id=str(claim.pk)).values_list("action", "reason"))
    assert ("claim.propose", "KTP, death certificate and KK checked") in actions
    assert ("claim.approve", "consistent with the record") in actions


def test_maker_is_never_the_checker(regions, approver):
    claim = file(insured())
    claim_propose(actor=Actor.for_user(approver), claim=claim, decision="approve", note="checked")
    with pytest.raises(FourEyesRequired):
        claim_approve(actor=Actor.for_user(approver), claim=claim, note="self-approval")
    with pytest.raises(FourEyesRequired):
        claim_reject(actor=Actor.for_user(approver), claim=claim, note="self-rejection")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PROPOSED


def test_an_officer_cannot_approve(regions, officer, approver):
    claim = file(insured())
    claim_propose(actor=Actor.for_user(approver), claim=claim, decision="approve", note="checked")
    with pytest.raises(NotAllowed):
        claim_approve(actor=Actor.for_user(officer), claim=claim, note="not mine to decide")


def test_large_amounts_need_a_second_approver(regions, officer, approver, second_approver, settings):
    settings.CLAIMS_SECOND_APPROVAL_ABOVE_IDR = 50_000_000
    worker = insured()
    claim = file(worker, program="JKK", event="death")  # 48M + 12M + 10M = 70M
    assert claim.benefit_idr == 70_000_000
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="accident report checked")
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")
    assert claim.status == ClaimStatus.AWAITING_SECOND
    with pytest.raises(FourEyesRequired):
        claim_approve(actor=Actor.for_user(approver), claim=claim, note="again")
    claim = claim_approve(actor=Actor.for_user(second_approver), claim=claim, note="ok too")
    assert claim.status == ClaimStatus.APPROVED and claim.second_approved_by == second_approver


def test_ineligible_claims_can_only_be_proposed_for_rejection(regions, officer, approver):
    claim = file(insured(), claimant=ClaimantIn("Orang Lain", "child"))
    with pytest.raises(ClaimWrongStatus):
        claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="x")
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="reject", note="not an heir on file")
    with pytest.raises(ClaimWrongStatus):
        claim_approve(actor=Actor.for_user(approver), claim=claim, note="x")
    claim = claim_reject(actor=Actor.for_user(approver), claim=claim, note="the claimant is not an heir")
    assert claim.status == ClaimStatus.REJECTED


def test_every_step_needs_a_reason(regions, officer):
    with pytest.raises(ClaimInputInvalid):
        claim_propose(actor=Actor.for_user(officer), claim=file(insured()), decision="approve", note="  ")


def test_claimant_gets_an_sms_at_each_status_change(regions, officer, approver, django_capture_on_commit_callbacks):
    locmem.clear()
    with django_capture_on_commit_callbacks(execute=True):
        claim = file(insured())
        claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
        claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")
    bodies = [m.body for m in locmem.messages_to("+6281299990000")]
    assert len(bodies) == 3
    assert all(claim.number in body for body in bodies)
    assert all(m.purpose == "claim_status" for m in locmem.messages_to("+6281299990000"))
