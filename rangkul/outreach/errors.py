"""The outreach app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class OutreachErrorCode(StrEnum):
    """Every error code the outreach app raises; a ``StrEnum`` member equals the code clients read."""

    CAMPAIGN_NOT_ALLOWED = "campaign_not_allowed"
    CAMPAIGN_STATE = "campaign_state"
