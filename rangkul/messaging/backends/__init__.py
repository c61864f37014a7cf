"""SMS backends: one interface, ``send_sms(*, to, body, purpose)``, chosen by RANGKUL_SMS_BACKEND.

Like Django's e-mail backends: ``console`` for development, ``file`` for demos and
browser journeys, ``locmem`` for tests and ``http`` for a real provider.
"""

from __future__ import annotations

from typing import Protocol


class SmsBackend(Protocol):
    def send_sms(self, *, to: str, body: str, purpose: str) -> None: ...


class SmsDeliveryError(Exception):
    """The provider did not accept the message. Never carries the number or the text."""
