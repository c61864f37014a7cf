"""Errors the contribution rules raise; each is an ``ApplicationError`` mapped once per interface."""

from __future__ import annotations

from rangkul.core.errors import Conflict, NotFound, ValidationFailed


class NoRulesForMonth(ValidationFailed):
    default_code = "no_rules_for_month"


class IncomeBelowMinimum(ValidationFailed):
    default_code = "income_below_minimum"


class ProgramNotAvailable(ValidationFailed):
    default_code = "program_not_available"


class UnknownSector(ValidationFailed):
    default_code = "unknown_sector"


class InvalidMonths(ValidationFailed):
    default_code = "invalid_months"


class UnbalancedEntry(ValidationFailed):
    default_code = "unbalanced_entry"


class BillNotFound(NotFound):
    default_code = "bill_not_found"


class NothingPayable(Conflict):
    default_code = "nothing_payable"
