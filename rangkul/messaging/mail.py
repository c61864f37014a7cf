"""E-mail through Django's e-mail framework: one plain-text message per queued row.

The backend is Django's ``EMAIL_BACKEND`` (the console in development, SMTP configured from
``RANGKUL_EMAIL_*`` in production, in-memory in tests). A refusal becomes an
``EmailDeliveryError`` (an ``SmsDeliveryError``, so the queue retries it like any other
refused send); an address the server refuses for good (a 5xx answer for every recipient)
is ``permanent`` and is not tried again. Errors never carry the address or the text.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from rangkul.messaging.backends import SmsDeliveryError

DEFAULT_SUBJECT = "Rangkul"


class EmailDeliveryError(SmsDeliveryError):
    """The mail server did not accept the message."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def email_connection() -> Any:
    """One connection for a delivery run (SMTP opens it on the first message)."""
    return get_connection(fail_silently=False)


def email_send(*, connection: Any, to: str, subject: str, body: str, unsubscribe_url: str = "") -> None:
    """Send one plain-text message. ``unsubscribe_url`` becomes the ``List-Unsubscribe`` header,
    which mail programs show as an "unsubscribe" button leading to the same confirmation page."""
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>"} if unsubscribe_url else {}
    message = EmailMessage(
        subject=" ".join((subject or DEFAULT_SUBJECT).split())[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=connection,
    )
    try:
        sent = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reason in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        raise EmailDeliveryError(
            f"mail server refused the address (SMTP {min(codes, default=0)})", permanent=permanent
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise EmailDeliveryError(f"mail server refused the message (SMTP {exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailDeliveryError(f"mail server unreachable: {type(exc).__name__}") from None
    if sent != 1:
        raise EmailDeliveryError("mail server accepted no message")
