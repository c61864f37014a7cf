"""Documents: photos and PDFs only, size-limited, stored privately, every read logged, staff only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.models import ClaimDocument
from rangkul.claims.services import document_add
from rangkul.claims.tests.factories import file, insured

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.CLAIMS_DOCUMENT_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.CLAIMS_DOCUMENT_ROOT


def test_photo_is_stored_outside_media_under_a_random_name(regions, private_root, settings):
    claim = file(insured())
    doc = document_add(
        actor=Actor.system("test"), claim=claim, kind="death_certificate", upload=SimpleUploadedFile("akta.jpg", JPEG)
    )
    assert doc.content_type == "image/jpeg" and doc.size_bytes == len(JPEG)
    path = private_root / doc.file.name
    assert path.read_bytes() == JPEG
    assert not settings.MEDIA_ROOT.exists()
    assert "akta" not in doc.file.name and doc.file.name.startswith(f"{claim.number}/")
    with pytest.raises(ValueError, match="no public URL"):
        doc.file.url  # noqa: B018  (no public URL exists)


def test_family_card_and_medical_documents_are_specific_data(regions):
    claim = file(insured())
    assert document_add(
        actor=Actor.system("test"), claim=claim, kind="family_card", upload=SimpleUploadedFile("kk.pdf", PDF)
    ).specific
    assert not document_add(
        actor=Actor.system("test"), claim=claim, kind="bank_book", upload=SimpleUploadedFile("b.pdf", PDF)
    ).specific


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script>", b"MZ\x90\x00" + b"\x00" * 50, b""],
)
def test_only_images_and_pdf_by_content(regions, content):
    claim = file(insured())
    with pytest.raises(ClaimInputInvalid) as error:
        document_add(
            actor=Actor.system("test"), claim=claim, kind="other", upload=SimpleUploadedFile("photo.jpg", content)
        )
    assert "file" in error.value.fields
    assert not ClaimDocument.objects.exists()


def test_size_is_limited(regions, settings):
    settings.CLAIMS_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ClaimInputInvalid):
        document_add(
            actor=Actor.system("test"), claim=file(insured()), kind="other", upload=SimpleUploadedFile("a.jpg", JPEG)
        )


def test_staff_upload_and_read_with_an_access_log(client, regions, officer):
    claim = file(insured())
    client.force_login(officer)
    response = client.post(
        f"/office/klaim/{claim.number}/dokumen/",
        {"kind": "ktp_heir", "file": SimpleUploadedFile("ktp.jpg", JPEG, content_type="image/jpeg")},
    )
    assert response.status_code == 302
    doc = ClaimDocument.objects.get()
    read = client.get(f"/office/klaim/{claim.number}/dokumen/{doc.pk}/")
    assert read.status_code == 200 and b"".join(read.streaming_content) == JPEG
    assert read["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="claim.document_view", actor_id=officer.pk).count() == 1


def test_documents_are_not_for_other_staff(client, regions, branch_officer):
    claim = file(insured())
    doc = document_add(actor=Actor.system("test"), claim=claim, kind="medical", upload=SimpleUploadedFile("m.pdf", PDF))
    client.force_login(branch_officer)
    assert client.get(f"/office/klaim/{claim.number}/dokumen/{doc.pk}/").status_code == 403
    client.logout()
    assert client.get(f"/office/klaim/{claim.number}/dokumen/{doc.pk}/").status_code == 302
