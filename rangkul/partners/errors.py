"""The partners app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class PartnerErrorCode(StrEnum):
    """Every error code the partners app raises; a ``StrEnum`` member equals the code clients read."""

    CONSENT_GIVEN = "consent_given"
    IMPORT_FINISHED = "import_finished"
    IMPORT_RUNNING = "import_running"
