"""Claimants' bank account numbers: normalised, sealed, hashed for lookup, masked for screens.

An account number is financial personal data (UU 27/2022). It is stored the way the NIK is
(rangkul/core/crypto.py): sealed under the NIK key ring with its own purpose bound as
associated data, a keyed hash to find claims paid to the same account, and the last four
digits for pages, receipts and messages. Only the disbursement adapter, at the moment of
sending, sees the plain number.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.models import BANK_ACCOUNT_PURPOSE
from rangkul.core.crypto import lookup_hash, seal

# Indonesian bank account numbers are 10 to 16 digits; virtual and older accounts vary a little.
_ACCOUNT = re.compile(r"^\d{6,20}$")
_SEPARATORS = re.compile(r"[\s.\-]+")


def account_normalize(raw: str, *, field: str = "bank_account_number") -> str:
    """Digits only (spaces, dots and dashes people type are dropped); empty stays empty."""
    value = _SEPARATORS.sub("", raw or "")
    if value and not _ACCOUNT.match(value):
        message = _("An account number is 6 to 20 digits.")
        raise ClaimInputInvalid(message, fields={field: [message]})
    return value


def account_hash(number: str) -> str:
    return lookup_hash(number, purpose=BANK_ACCOUNT_PURPOSE)


def account_columns(number: str) -> dict[str, str]:
    """The stored form of a normalised account number: sealed, hashed and its last four digits."""
    if not number:
        return {"bank_account_sealed": "", "bank_account_hash": "", "bank_account_last4": ""}
    return {
        "bank_account_sealed": seal(number, purpose=BANK_ACCOUNT_PURPOSE),
        "bank_account_hash": account_hash(number),
        "bank_account_last4": number[-4:],
    }
