"""Races on real PostgreSQL: two approvers approving and paying one claim at once pay it once."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from rangkul.accounts.roles import Role, roles_sync
from rangkul.audit.actors import Actor
from rangkul.claims.errors import ClaimWrongStatus, FourEyesRequired
from rangkul.claims.models import Claim, ClaimStatus, Payout
from rangkul.claims.services import claim_approve, claim_propose, payout_send
from rangkul.claims.tests.conftest import staff
from rangkul.claims.tests.factories import file, insured
from rangkul.contributions.models import JournalEntry
from rangkul.contributions.selectors import ledger_totals
from rangkul.contributions.tests.factories import ensure_reference_data
from rangkul.core.tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_approvals_and_payouts_pay_once(regions, branch):
    ensure_reference_data()
    roles_sync()
    officer = staff(Role.CLAIMS_OFFICER, "officer", branch)
    approvers = [staff(Role.CLAIMS_APPROVER, f"approver{i}", branch) for i in range(3)]
    claim = file(insured(paid_on=dt.date(2026, 1, 5)))
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="documents checked")

    def approve_and_pay(user):
        def go():
            with contextlib.suppress(ClaimWrongStatus, FourEyesRequired):  # another approver decided first
                claim_approve(actor=Actor.for_user(user), claim=Claim.objects.get(pk=claim.pk), note="approve")
            payout_send(actor=Actor.for_user(user), claim=Claim.objects.get(pk=claim.pk))

        return go

    assert race([approve_and_pay(u) for u in approvers] + [approve_and_pay(approvers[0])]) == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert Payout.objects.filter(claim=claim).count() == 1
    assert JournalEntry.objects.filter(kind="claim_payout").count() == 1
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
