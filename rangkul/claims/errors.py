from __future__ import annotations

from enum import StrEnum

from rangkul.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ClaimErrorCode(StrEnum):
    """Every error code the claims app raises; a ``StrEnum`` member equals the code clients read."""

    BENEFIT_INPUT_INVALID = "benefit_input_invalid"
    CLAIM_INPUT_INVALID = "claim_input_invalid"
    CLAIM_NOT_FOUND = "claim_not_found"
    CLAIM_WRONG_STATUS = "claim_wrong_status"
    CLAIMS_FORM_TOO_MANY_TRIES = "claims_form_too_many_tries"
    FOUR_EYES_REQUIRED = "four_eyes_required"
    JHT_RATE_NOT_DECLARED = "jht_rate_not_declared"
    NO_CLAIM_RULES = "no_claim_rules"
    NO_DISBURSEMENT_ADAPTER = "no_disbursement_adapter"
    NOT_ALLOWED = "not_allowed"
    PAYOUT_REFUSED = "payout_refused"
    SCHOLARSHIP_CHECK_MISSING = "scholarship_check_missing"
    SCHOLARSHIP_NOT_DUE = "scholarship_not_due"


class ClaimInputInvalid(ValidationFailed):
    default_code = ClaimErrorCode.CLAIM_INPUT_INVALID


class ClaimNotFound(NotFound):
    default_code = ClaimErrorCode.CLAIM_NOT_FOUND


class ClaimWrongStatus(Conflict):
    default_code = ClaimErrorCode.CLAIM_WRONG_STATUS


class FourEyesRequired(PermissionDenied):
    default_code = ClaimErrorCode.FOUR_EYES_REQUIRED


class NotAllowed(PermissionDenied):
    default_code = ClaimErrorCode.NOT_ALLOWED


class PayoutRefused(ValidationFailed):
    default_code = ClaimErrorCode.PAYOUT_REFUSED
