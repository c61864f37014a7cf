"""The registry's error codes, compared as enum members (``exc.code == RegistryErrorCode.NIK_REGISTERED``).

A ``StrEnum`` member equals its string, so the codes clients read in API errors stay the same.
"""

from __future__ import annotations

from enum import StrEnum


class RegistryErrorCode(StrEnum):
    ALREADY_ANONYMISED = "already_anonymised"
    ALREADY_MERGED = "already_merged"
    DUPLICATE_RESOLVED = "duplicate_resolved"
    ERASURE_BLOCKED = "erasure_blocked"
    ERASURE_DECIDED = "erasure_decided"
    ERASURE_PENDING = "erasure_pending"
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    NIK_REGISTERED = "nik_registered"
    NOT_ACTIVE = "not_active"
    NUMBER_EXHAUSTED = "number_exhausted"
