"""Keeps messages in memory, like Django's ``mail.outbox`` (tests and browser journeys)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    purpose: str
    sent_at: object


# Module-level so that the test and a live server thread in the same process share it.
outbox: list[SmsMessage] = []
_lock = threading.Lock()


class SmsBackend:
    def send_sms(self, *, to: str, body: str, purpose: str) -> None:
        with _lock:
            outbox.append(SmsMessage(to=to, body=body, purpose=purpose, sent_at=timezone.now()))


def clear() -> None:
    with _lock:
        outbox.clear()


def messages_to(phone: str) -> list[SmsMessage]:
    with _lock:
        return [message for message in outbox if message.to == phone]
