"""Payout receipts: one PDF per paid instalment, with masked data only, for the claimant and staff only."""

from __future__ import annotations

import pytest

from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.receipts import payout_receipt_pdf
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, payout_send
from rangkul.claims.tests.factories import file, insured
from rangkul.core.pdf import page_text
from rangkul.messaging.backends import locmem
from rangkul.registry.sessions import SESSION_KEY as MEMBER_SESSION

pytestmark = pytest.mark.django_db

PHONE = "+6281299990000"


def _paid(officer, approver, claim):
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")
    payout = payout_send(actor=Actor.for_user(approver), claim=claim)
    assert payout.status == "sent"
    return payout


def _track(client, claim, phone=PHONE):
    response = client.post("/klaim/lacak/", {"claim_number": claim.number, "phone": phone})
    assert response.status_code == 302


def test_the_receipt_says_amount_claim_and_masked_nik_only(regions, officer, approver):
    worker = insured()
    payout = _paid(officer, approver, file(worker))
    # reportlab writes the bullet of the mask as WinAnsi code 127 (drawn as a bullet), which
    # page_text reads as cp1252's control character.
    text = page_text(payout_receipt_pdf(payout)).replace("\x7f", "•")
    assert payout.claim.number in text and f"{payout.claim.number}-1" in text
    assert "Rp42.151.200" in text  # JKM 42,000,000 and the refund of months paid after the death
    assert worker.nik_masked in text and worker.nik[4:] not in text.replace(" ", "")
    assert worker.nik not in text
    assert "1234567890" not in text and "7890" in text
    assert payout.external_reference in text


def test_the_receipt_is_the_same_bytes_at_every_download(regions, officer, approver):
    payout = _paid(officer, approver, file(insured()))
    assert payout_receipt_pdf(payout) == payout_receipt_pdf(payout)


def test_the_payment_sms_says_where_the_receipt_is(regions, officer, approver, django_capture_on_commit_callbacks):
    locmem.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payout = _paid(officer, approver, file(insured()))
    last = locmem.messages_to(PHONE)[-1].body
    assert payout.claim.number in last and "/klaim/lacak/" in last and "7890" in last
    assert "1234567890" not in last


def test_the_claimant_who_tracked_the_claim_downloads_it(client, regions, officer, approver):
    payout = _paid(officer, approver, file(insured()))
    url = f"/klaim/{payout.claim.number}/kuitansi/1/"
    assert client.get(url).status_code == 404  # no tracking details given in this browser
    _track(client, payout.claim)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF") and payout.claim.number in page_text(response.content)
    assert 'kuitansi/1/"' in client.get(f"/klaim/{payout.claim.number}/").content.decode()
    assert AuditEvent.objects.filter(action="claim.receipt_download", subject_label=payout.claim.number).count() == 1


def test_another_claims_tracking_does_not_open_this_receipt(client, regions, officer, approver):
    payout = _paid(officer, approver, file(insured()))
    other = file(insured(), claimant=ClaimantIn("Budi", "spouse", "+6281311112222", "", "BRI", "1234567890"))
    _track(client, other, "+6281311112222")
    assert client.get(f"/klaim/{payout.claim.number}/kuitansi/1/").status_code == 404
    assert client.get(f"/klaim/{other.number}/kuitansi/1/").status_code == 404  # not paid yet


def test_the_member_signed_in_to_the_portal_downloads_their_own(client, regions, officer, approver):
    worker = insured()
    claim = file(
        worker,
        program="JKK",
        event="accident",
        months_unable=2,
        claimant=ClaimantIn(worker.full_name, "self", "", "", "BRI", "1234567890"),
    )
    payout = _paid(officer, approver, claim)
    session = client.session
    session[MEMBER_SESSION] = insured().pk  # someone else
    session.save()
    assert client.get(f"/klaim/{claim.number}/kuitansi/1/").status_code == 404
    session[MEMBER_SESSION] = worker.pk
    session.save()
    response = client.get(f"/klaim/{claim.number}/kuitansi/1/")
    assert response.status_code == 200 and f"{payout.amount_idr:,}".replace(",", ".") in page_text(response.content)


def test_staff_in_scope_download_it_and_others_do_not(client, regions, officer, approver, roles):
    payout = _paid(officer, approver, file(insured()))
    url = f"/office/klaim/{payout.claim.number}/kuitansi/1/"
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(f"/office/klaim/{payout.claim.number}/kuitansi/2/").status_code == 404
    detail = client.get(f"/office/klaim/{payout.claim.number}/").content.decode()
    assert url in detail
    client.force_login(UserFactory(username="clerk"))
    assert client.get(url).status_code == 403
