"""The member's own opt-out link: a signed member id (never a phone number or NIK) in the URL."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "rangkul.outreach.optout"


def optout_url(worker_id: int) -> str:
    path = reverse("outreach_member:unsubscribe", args=[signing.dumps(worker_id, salt=SALT, compress=True)])
    return settings.OUTREACH_LINK_URL.rstrip("/") + path


def optout_worker_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
