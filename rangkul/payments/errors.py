"""The payments app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    UNSUPPORTED_CURRENCY = "unsupported_currency"
