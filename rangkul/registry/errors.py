"""The registry's error codes, compared as enum members (``exc.code == RegistryErrorCode.NIK_REGISTERED``).

A ``StrEnum`` member equals its string, so the codes clients read in API errors stay the same.
"""

from __future__ import annotations

from enum import StrEnum


class RegistryErrorCode(StrEnum):
    NIK_REGISTERED = "nik_registered"
