"""The messaging app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class MessagingErrorCode(StrEnum):
    """Every error code the messaging app raises; a ``StrEnum`` member equals the code clients read."""

    BAD_SIGNATURE = "bad_signature"
    MALFORMED_JSON = "malformed_json"
    TOO_LARGE = "too_large"
    UNKNOWN_PROVIDER = "unknown_provider"
