from __future__ import annotations

from rangkul.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ClaimInputInvalid(ValidationFailed):
    default_code = "claim_input_invalid"


class ClaimNotFound(NotFound):
    default_code = "claim_not_found"


class ClaimWrongStatus(Conflict):
    default_code = "claim_wrong_status"


class FourEyesRequired(PermissionDenied):
    default_code = "four_eyes_required"


class NotAllowed(PermissionDenied):
    default_code = "not_allowed"


class PayoutRefused(ValidationFailed):
    default_code = "payout_refused"
