"""An heir files a JKM claim on a phone with photos, follows it, and sees it paid with a receipt."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rangkul.audit.actors import Actor
from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.services import claim_approve, claim_propose, payout_send
from rangkul.claims.tests.factories import SPOUSE, insured

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.CLAIMS_DOCUMENT_ROOT = tmp_path / "private"


def _form(worker, **overrides):
    data = {
        "membership_number": worker.membership_number,
        "member_birth_date": worker.birth_date.isoformat(),
        "program": "JKM",
        "event": "death",
        "event_date": "2026-03-10",
        "claimant_name": SPOUSE,
        "claimant_relationship": "spouse",
        "claimant_phone": "0812-9999-0000",
        "bank_code": "BRI",
        "bank_account_number": "1234567890",
        "death_certificate": SimpleUploadedFile("akta.jpg", JPEG, content_type="image/jpeg"),
        "ktp_heir": SimpleUploadedFile("ktp.jpg", JPEG, content_type="image/jpeg"),
    }
    data.update(overrides)
    return data


def test_heir_files_follows_and_sees_the_payment(client, regions, officer, approver):
    worker = insured()
    response = client.post("/klaim/ajukan/", _form(worker))
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/klaim/{claim.number}/"
    assert claim.channel == "portal" and claim.eligible
    assert sorted(claim.documents.values_list("kind", flat=True)) == ["death_certificate", "ktp_heir"]
    page = client.get(f"/klaim/{claim.number}/").content.decode()
    assert 'data-testid="missing"' in page
    assert "Buku nikah" in page or "Marriage book" in page  # a spouse still owes the marriage book
    assert "Akta kematian" not in page.split('data-testid="missing"')[1].split("</ul>")[0]

    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="lengkap")
    claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")
    payout_send(actor=Actor.for_user(approver), claim=claim)
    page = client.get(f"/klaim/{claim.number}/").content.decode()
    assert 'data-testid="receipt"' in page and f"SBX-{claim.number}-1" in page
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_wrong_birth_date_files_nothing(client, regions):
    worker = insured()
    response = client.post("/klaim/ajukan/", _form(worker, member_birth_date="1970-01-01"))
    assert response.status_code == 200
    assert not Claim.objects.exists()


def test_a_bad_photo_is_refused_without_a_500(client, regions):
    worker = insured()
    bad = SimpleUploadedFile("akta.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg")
    response = client.post("/klaim/ajukan/", _form(worker, death_certificate=bad))
    assert response.status_code == 200
    assert not Claim.objects.exists()  # one transaction: the claim goes with its documents


def test_a_claim_is_followed_with_its_number_and_phone_only(client, regions):
    worker = insured()
    client.post("/klaim/ajukan/", _form(worker))
    number = Claim.objects.get().number
    other = client.__class__()
    assert other.get(f"/klaim/{number}/")["Location"] == "/klaim/lacak/"
    assert other.post("/klaim/lacak/", {"claim_number": number, "phone": "+6281200000000"}).status_code == 200
    response = other.post("/klaim/lacak/", {"claim_number": number, "phone": "+6281299990000"})
    assert response["Location"] == f"/klaim/{number}/"
    assert other.get(f"/klaim/{number}/").status_code == 200
