"""Errors the contribution rules raise; each is an ``ApplicationError`` mapped once per interface."""

from __future__ import annotations

from enum import StrEnum

from rangkul.core.errors import Conflict, NotFound, ValidationFailed


class ContributionErrorCode(StrEnum):
    """Every error code the contributions app raises; a ``StrEnum`` member equals the code clients read."""

    ADJUSTMENT_DECIDED = "adjustment_decided"
    AMOUNT_MISMATCH = "amount_mismatch"
    BILL_CANCELLED = "bill_cancelled"
    BILL_NOT_FOUND = "bill_not_found"
    CREDIT_COVERS = "credit_covers"
    CREDIT_TOO_SMALL = "credit_too_small"
    INCOME_BELOW_MINIMUM = "income_below_minimum"
    INVALID_MONTHS = "invalid_months"
    NO_RULES_FOR_MONTH = "no_rules_for_month"
    NOT_A_GROUP_BILL = "not_a_group_bill"
    NOTHING_PAYABLE = "nothing_payable"
    PAYMENT_CODE_CANCELLED = "payment_code_cancelled"
    PAYMENT_CODE_EXPIRED = "payment_code_expired"
    PAYMENT_CODE_INVALID = "payment_code_invalid"
    PAYMENT_CODE_PAID = "payment_code_paid"
    PROGRAM_NOT_AVAILABLE = "program_not_available"
    RULE_FILE_INVALID = "rule_file_invalid"
    RULE_VERSION_LOCKED = "rule_version_locked"
    UNBALANCED_ENTRY = "unbalanced_entry"
    UNKNOWN_SECTOR = "unknown_sector"
    WORKER_MERGED = "worker_merged"


class NoRulesForMonth(ValidationFailed):
    default_code = ContributionErrorCode.NO_RULES_FOR_MONTH


class IncomeBelowMinimum(ValidationFailed):
    default_code = ContributionErrorCode.INCOME_BELOW_MINIMUM


class ProgramNotAvailable(ValidationFailed):
    default_code = ContributionErrorCode.PROGRAM_NOT_AVAILABLE


class UnknownSector(ValidationFailed):
    default_code = ContributionErrorCode.UNKNOWN_SECTOR


class InvalidMonths(ValidationFailed):
    default_code = ContributionErrorCode.INVALID_MONTHS


class UnbalancedEntry(ValidationFailed):
    default_code = ContributionErrorCode.UNBALANCED_ENTRY


class BillNotFound(NotFound):
    default_code = ContributionErrorCode.BILL_NOT_FOUND


class NothingPayable(Conflict):
    default_code = ContributionErrorCode.NOTHING_PAYABLE
