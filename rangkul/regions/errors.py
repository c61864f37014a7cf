"""The regions app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class RegionErrorCode(StrEnum):
    """Every error code the regions app raises; a ``StrEnum`` member equals the code clients read."""

    REGION_NOT_FOUND = "region_not_found"
    WORKFORCE_FILE_INVALID = "workforce_file_invalid"
