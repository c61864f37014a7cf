"""The accounts app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class AccountErrorCode(StrEnum):
    """Every error code the accounts app raises; a ``StrEnum`` member equals the code clients read."""

    OTP_EXPIRED = "otp_expired"
    OTP_FORMAT = "otp_format"
    OTP_MISSING = "otp_missing"
    OTP_RESEND_TOO_SOON = "otp_resend_too_soon"
    OTP_TOO_MANY_ATTEMPTS = "otp_too_many_attempts"
    OTP_TOO_MANY_CODES = "otp_too_many_codes"
    OTP_TOO_MANY_FROM_CLIENT = "otp_too_many_from_client"
    OTP_WRONG = "otp_wrong"
