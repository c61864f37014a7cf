"""Logging filters: request ids on every line, and no NIK or phone number in any log."""

from __future__ import annotations

import logging
import re

from rangkul.core import context

# 16 consecutive digits is how a NIK looks; Indonesian mobile numbers start 08 / +628 / 628.
_NIK_RE = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PHONE_RE = re.compile(r"(?<![\d])(?:\+?62|0)8\d{7,12}(?!\d)")


def redact(text: str) -> str:
    text = _NIK_RE.sub("[NIK]", text)
    return _PHONE_RE.sub("[PHONE]", text)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class RedactPersonalDataFilter(logging.Filter):
    """Defence in depth: services never log personal data, and this catches mistakes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        # Tracebacks can carry values too: format them now, redacted; formatters reuse exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
