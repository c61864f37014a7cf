"""Contribution writes, split by sub-domain; every public name stays importable from here.

- ``billing``: bills with payment codes (and the pricing helpers the others share);
- ``allocation``: payments and member credit allocated to whole months, repricing;
- ``status``: the member's status after a payment and in the daily review;
- ``adjustments``: manual ledger corrections (maker–checker);
- ``shares``: programs of member-months a sponsor takes on (split payers).
"""

from rangkul.contributions.services.adjustments import adjustment_approve, adjustment_propose, adjustment_reject
from rangkul.contributions.services.allocation import (
    PAYMENT_KIND,
    Allocation,
    credit_apply,
    paid_months_reprice,
    payment_allocate,
)
from rangkul.contributions.services.billing import bill_issue, month_due, owed_periods, payment_code_ttl
from rangkul.contributions.services.shares import ShareItem, month_shares_release, month_shares_take
from rangkul.contributions.services.status import member_status_refresh, member_statuses_review

__all__ = [
    "PAYMENT_KIND",
    "Allocation",
    "ShareItem",
    "adjustment_approve",
    "adjustment_propose",
    "adjustment_reject",
    "bill_issue",
    "credit_apply",
    "member_status_refresh",
    "member_statuses_review",
    "month_due",
    "month_shares_release",
    "month_shares_take",
    "owed_periods",
    "paid_months_reprice",
    "payment_allocate",
    "payment_code_ttl",
]
