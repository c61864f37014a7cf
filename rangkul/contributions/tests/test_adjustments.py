from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import AdjustmentStatus, LedgerAdjustment
from rangkul.contributions.selectors import account_balance, ledger_totals, member_credit_idr
from rangkul.contributions.services import (
    adjustment_approve,
    adjustment_propose,
    adjustment_reject,
    payment_allocate,
)
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_credit_added_only_after_another_person_approves(regions, branch_officer, administrator):
    worker = member()
    adjustment = adjustment_propose(
        actor=Actor.for_user(branch_officer),
        worker=worker,
        kind="credit_add",
        amount_idr=5_000,
        reason="Bank fee charged twice",
    )
    assert member_credit_idr(worker_id=worker.pk) == 0
    adjustment_approve(actor=Actor.for_user(administrator), adjustment=adjustment, note="Checked the bank statement")
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED and adjustment.entry_id
    assert member_credit_idr(worker_id=worker.pk) == 5_000
    assert AuditEvent.objects.filter(action__startswith="contributions.adjustment_").count() == 2
    with pytest.raises(Conflict):
        adjustment_approve(actor=Actor.for_user(administrator), adjustment=adjustment)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_proposer_cannot_approve_own_adjustment(regions, administrator):
    worker = member()
    adjustment = adjustment_propose(
        actor=Actor.for_user(administrator), worker=worker, kind="credit_add", amount_idr=1_000, reason="Correction"
    )
    with pytest.raises(PermissionDenied):
        adjustment_approve(actor=Actor.for_user(administrator), adjustment=adjustment)
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAdjustment.objects.filter(pk=adjustment.pk).update(decided_by=administrator)


def test_only_approvers_decide(regions, branch_officer, analyst):
    worker = member()
    adjustment = adjustment_propose(
        actor=Actor.for_user(branch_officer), worker=worker, kind="credit_add", amount_idr=1_000, reason="Correction"
    )
    with pytest.raises(PermissionDenied):
        adjustment_approve(actor=Actor.for_user(analyst), adjustment=adjustment)
    with pytest.raises(PermissionDenied):
        adjustment_propose(actor=Actor.system("system"), worker=worker, kind="credit_add", amount_idr=1, reason="x")


def test_refund_cannot_exceed_credit_and_moves_credit_to_refunds(regions, branch_officer, administrator):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=20_000,
        payment_reference="R1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    assert member_credit_idr(worker_id=worker.pk) == 3_200
    too_much = adjustment_propose(
        actor=Actor.for_user(branch_officer), worker=worker, kind="refund", amount_idr=5_000, reason="Member asked"
    )
    with pytest.raises(Conflict):
        adjustment_approve(actor=Actor.for_user(administrator), adjustment=too_much)
    refund = adjustment_propose(
        actor=Actor.for_user(branch_officer), worker=worker, kind="refund", amount_idr=3_200, reason="Member asked"
    )
    adjustment_approve(actor=Actor.for_user(administrator), adjustment=refund)
    assert member_credit_idr(worker_id=worker.pk) == 0
    assert account_balance(code="refunds_payable", worker_id=worker.pk) == -3_200


def test_rejection_needs_a_note_and_moves_nothing(regions, branch_officer, administrator):
    worker = member()
    adjustment = adjustment_propose(
        actor=Actor.for_user(branch_officer), worker=worker, kind="credit_add", amount_idr=1_000, reason="Correction"
    )
    with pytest.raises(ValidationFailed):
        adjustment_reject(actor=Actor.for_user(administrator), adjustment=adjustment, note=" ")
    adjustment_reject(actor=Actor.for_user(administrator), adjustment=adjustment, note="No evidence")
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.REJECTED
    assert member_credit_idr(worker_id=worker.pk) == 0


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "field"),
    [("gift", 1, "x", "kind"), ("credit_add", 0, "x", "amount_idr"), ("credit_add", 1, " ", "reason")],
)
def test_proposal_is_validated(regions, branch_officer, kind, amount, reason, field):
    with pytest.raises(ValidationFailed) as exc:
        adjustment_propose(
            actor=Actor.for_user(branch_officer), worker=member(), kind=kind, amount_idr=amount, reason=reason
        )
    assert field in exc.value.fields
