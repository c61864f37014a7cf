"""Prints messages to standard output with the number masked (development)."""

from __future__ import annotations

import sys
from typing import TextIO

from rangkul.core.crypto import mask_phone


class SmsBackend:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send_sms(self, *, to: str, body: str, purpose: str) -> None:
        stream = self.stream or sys.stdout
        # The body is shown so a developer can read the one-time code; the number is not.
        stream.write(f"[SMS {purpose}] to {mask_phone(to)}: {body}\n")
        stream.flush()
