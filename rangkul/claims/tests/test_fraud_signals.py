"""Signals shown to the approver; they never change the assessment."""

from __future__ import annotations

import datetime as dt

import pytest

from rangkul.claims.fraud_signals import claim_signals
from rangkul.claims.services import ClaimantIn
from rangkul.claims.tests.factories import SPOUSE, file, insured

pytestmark = pytest.mark.django_db


def _codes(claim):
    return [s.code for s in claim_signals(claim=claim)]


def test_event_soon_after_the_first_payment(regions):
    worker = insured(paid_on=dt.date(2026, 1, 5))
    assert _codes(file(worker, event_date=dt.date(2026, 1, 20))) == ["early_event"]
    assert _codes(file(insured(paid_on=dt.date(2026, 1, 5)), event_date=dt.date(2026, 4, 20))) == []


def test_two_claims_for_one_death(regions):
    worker = insured()
    first = file(worker, event_date=dt.date(2026, 4, 20))
    second = file(worker, program="JKK", event_date=dt.date(2026, 4, 20))
    assert "two_death_claims" in _codes(second)
    assert first.number in claim_signals(claim=second)[-1].message


def test_claimant_phone_on_many_members_claims(regions, settings):
    settings.CLAIMS_SIGNAL_SHARED_PHONE = 2
    shared = ClaimantIn(SPOUSE, "spouse", "+6281377770000")
    claims = [file(insured(), event_date=dt.date(2026, 4, 20), claimant=shared) for _ in range(3)]
    assert "shared_phone" in _codes(claims[-1])


def test_heir_relationship_contradicts_the_family_data(regions):
    claim = file(insured(), event_date=dt.date(2026, 4, 20), claimant=ClaimantIn(SPOUSE, "child"))
    assert "heir_relationship_differs" in _codes(claim)
    assert claim.reasons[0]["code"] == "claimant_not_heir"  # the assessment stands on its own


def test_approver_sees_the_signals_on_the_claim_page(client, regions, approver):
    worker = insured(paid_on=dt.date(2026, 1, 5))
    claim = file(worker, event_date=dt.date(2026, 1, 20))
    client.force_login(approver)
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert 'data-signal="early_event"' in page


def test_month_of_the_event_paid_after_it(regions):
    worker = insured(paid_on=dt.date(2026, 3, 20), months=1)
    assert "paid_after_event" in _codes(file(worker, event_date=dt.date(2026, 3, 18)))


def test_bank_account_on_many_members_claims(regions, settings):
    settings.CLAIMS_SIGNAL_SHARED_PHONE = 2
    account = ClaimantIn(SPOUSE, "spouse", "", "", "BNI", "7770001234")
    claims = [file(insured(), event_date=dt.date(2026, 4, 20), claimant=account) for _ in range(3)]
    signal = next(s for s in claim_signals(claim=claims[-1]) if s.code == "shared_account")
    assert "•••• 1234" in signal.message and "7770001234" not in signal.message
    other = file(
        insured(), event_date=dt.date(2026, 4, 20), claimant=ClaimantIn(SPOUSE, "spouse", "", "", "BNI", "7770009999")
    )
    assert "shared_account" not in _codes(other)
