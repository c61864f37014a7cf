"""Back office: queue, verify and propose, decide, pay; plain forms that work without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.tests.factories import SPOUSE, file, insured

pytestmark = pytest.mark.django_db


def test_journey_from_filing_to_paid(client, regions, officer, approver):
    worker = insured()
    client.force_login(officer)
    response = client.post(
        f"/office/klaim/baru/{worker.membership_number}/",
        {
            "program": "JKM",
            "event": "death",
            "event_date": "2026-03-10",
            "months_unable": 1,
            "claimant_name": SPOUSE,
            "claimant_relationship": "spouse",
            "bank_code": "BRI",
            "bank_account_number": "1234567890",
        },
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/office/klaim/{claim.number}/"
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert 'data-testid="propose"' in page and "Rp42.000.000" in page
    client.post(f"/office/klaim/{claim.number}/usul/", {"decision": "approve", "note": "dokumen lengkap"})
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert 'data-testid="decide"' not in page  # an officer does not decide
    assert (
        client.post(f"/office/klaim/{claim.number}/putuskan/", {"decision": "approve", "note": "x"}).status_code == 403
    )

    client.force_login(approver)
    assert 'data-testid="decide"' in client.get(f"/office/klaim/{claim.number}/").content.decode()
    client.post(f"/office/klaim/{claim.number}/putuskan/", {"decision": "approve", "note": "sesuai"})
    client.post(f"/office/klaim/{claim.number}/bayar/")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert f"SBX-{claim.number}-1" in page


def test_the_approver_who_proposed_sees_no_decision_form(client, regions, approver):
    claim = file(insured())
    client.force_login(approver)
    client.post(f"/office/klaim/{claim.number}/usul/", {"decision": "approve", "note": "checked"})
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert 'data-testid="decide"' not in page
    client.post(f"/office/klaim/{claim.number}/putuskan/", {"decision": "approve", "note": "self"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PROPOSED


def test_queue_flags_claims_waiting_too_long(client, regions, officer, settings):
    settings.CLAIMS_PROMISED_DAYS = 14
    old = file(insured())
    Claim.objects.filter(pk=old.pk).update(filed_at=timezone.now() - dt.timedelta(days=20))
    fresh = file(insured())
    client.force_login(officer)
    page = client.get("/office/klaim/").content.decode()
    assert old.number in page and fresh.number in page
    assert page.count('data-testid="late"') == 1


def test_claims_outside_the_branch_region_are_not_found(client, regions, officer):
    claim = file(insured(village_code="33.22.01.2001"))
    client.force_login(officer)
    assert client.get(f"/office/klaim/{claim.number}/").status_code == 404
    assert claim.number not in client.get("/office/klaim/").content.decode()


def test_pages_need_the_claims_permission(client, regions, branch_officer):
    client.force_login(branch_officer)
    assert client.get("/office/klaim/").status_code == 403


def test_ineligible_claim_shows_its_reasons_and_only_rejection(client, regions, officer):
    claim = file(insured(), event_date=dt.date(2025, 12, 1))
    client.force_login(officer)
    page = client.get(f"/office/klaim/{claim.number}/").content.decode()
    assert "before_first_paid_month" in page
    assert 'value="approve"' not in page
