"""The sponsorships app's error codes, compared as enum members; a ``StrEnum`` member equals the code clients read."""

from __future__ import annotations

from enum import StrEnum


class SponsorshipErrorCode(StrEnum):
    """Every error code the sponsorships app raises; a ``StrEnum`` member equals the code clients read."""

    ALREADY_PAID = "already_paid"
    BILL_NOT_OPEN = "bill_not_open"
    BUDGET_EXCEEDED = "budget_exceeded"
    IMPORT_NOT_FINISHED = "import_not_finished"
    IMPORT_NOT_FOUND = "import_not_found"
    NO_MEMBERS = "no_members"
    REGENCY_NOT_FOUND = "regency_not_found"
    RUN_STOPPED = "run_stopped"
    SAME_PERSON = "same_person"
    SPONSORSHIP_ENDED = "sponsorship_ended"
    SPONSORSHIP_NOT_FOUND = "sponsorship_not_found"
    SPONSORSHIP_OVER = "sponsorship_over"
    TRANSFER_DECIDED = "transfer_decided"
    TRANSFER_DUPLICATE = "transfer_duplicate"
