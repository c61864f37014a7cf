"""The payments app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    MAKER_CHECKER = "maker_checker"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_PAYMENT_CODE = "unknown_payment_code"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
