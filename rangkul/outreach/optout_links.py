"""The member's own opt-out link: a signed member id (never a phone number or NIK) in the URL.

Every e-mail (campaigns and reminder copies) ends with it (``email_text``).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

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


def email_text(text: str, *, stop_link: str) -> str:
    """An e-mail's plain text: the message, then the member's own opt-out link (in the site language)."""
    with translation.override(settings.LANGUAGE_CODE):
        footer = gettext(
            "You receive this because you are a Rangkul member. To stop campaign messages and reminders, "
            "open this link: %(link)s"
        ) % {"link": stop_link}
    return f"{text}\n\n-- \n{footer}\n"
