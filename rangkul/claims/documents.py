"""Claim documents: photos and PDFs kept privately, checked by content, read only by claim staff.

Files live under ``CLAIMS_DOCUMENT_ROOT`` — never under MEDIA_ROOT, never at a URL of their own.
They are served by a view that checks the reader's scope and writes an audit row for every
read: health documents and heirs' children's data are specific personal data (UU 27/2022).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimInputInvalid

# The leading bytes that identify each accepted type; the name and the browser's claim are not trusted.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


@deconstructible
class ClaimDocumentStorage(FileSystemStorage):
    """A file system storage rooted at ``CLAIMS_DOCUMENT_ROOT``, read at use (tests change it), without URLs."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.CLAIMS_DOCUMENT_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("claim documents have no public URL")


def document_storage() -> ClaimDocumentStorage:
    return ClaimDocumentStorage()


def sniff(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def document_check(upload: IO[bytes] | Any) -> tuple[str, str, int, str]:
    """``(content_type, extension, size, sha256)`` of an acceptable upload; refuses anything else."""
    size = int(getattr(upload, "size", 0) or 0)
    limit = settings.CLAIMS_DOCUMENT_MAX_BYTES
    if size <= 0:
        raise ClaimInputInvalid(_("The file is empty."), fields={"file": [_("Choose a photo or a PDF.")]})
    if size > limit:
        raise ClaimInputInvalid(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            fields={"file": [_("Take the photo again at a lower resolution.")]},
        )
    upload.seek(0)
    kind = sniff(upload.read(16))
    if kind is None:
        raise ClaimInputInvalid(
            _("Only photos (JPEG, PNG, WebP) and PDF files are accepted."),
            fields={"file": [_("Only photos (JPEG, PNG, WebP) and PDF files are accepted.")]},
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return kind[0], kind[1], size, digest.hexdigest()


def document_name(*, claim_number: str, extension: str) -> str:
    """A random name: the stored name reveals neither the person nor the kind of document."""
    return f"{claim_number}/{secrets.token_hex(16)}.{extension}"
