"""Bank transfers for payouts, behind one adapter interface.

An adapter answers two questions: whose name is on an account (checked against the claimant
before anything is sent), and "transfer this amount" with an idempotency key, so a transfer
retried after a crash is not paid twice by the bank. The sandbox adapter moves no money;
its behaviour is steered by the account number, for demos and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimErrorCode, PayoutRefused


@dataclass(frozen=True)
class TransferResult:
    ok: bool
    reference: str = ""
    failure_code: str = ""
    failure_message: str = ""


class DisbursementAdapter(Protocol):
    code: str

    def account_holder(self, *, bank_code: str, account_number: str, expected_name: str) -> str | None:
        """The name on the account (a bank's account inquiry), or None when there is no such account.

        ``expected_name`` is only for the sandbox, which has no accounts of its own."""

    def transfer(
        self, *, idempotency_key: str, bank_code: str, account_number: str, amount_idr: int
    ) -> TransferResult: ...


class SandboxAdapter:
    """Accounts ``000…`` do not exist, ``888…`` belong to someone else, ``999…`` refuse transfers."""

    code = "sandbox"

    def account_holder(self, *, bank_code: str, account_number: str, expected_name: str) -> str | None:
        if not account_number or account_number.startswith("000"):
            return None
        return "Pemilik Lain" if account_number.startswith("888") else expected_name

    def transfer(self, *, idempotency_key: str, bank_code: str, account_number: str, amount_idr: int) -> TransferResult:
        if account_number.startswith("999"):
            return TransferResult(False, failure_code="rejected_by_bank", failure_message="account blocked")
        return TransferResult(True, reference=f"SBX-{idempotency_key}")


_ADAPTERS: dict[str, DisbursementAdapter] = {"sandbox": SandboxAdapter()}


class NoAdapter(PayoutRefused):
    default_code = ClaimErrorCode.NO_DISBURSEMENT_ADAPTER


def disbursement_adapter(code: str | None = None) -> DisbursementAdapter:
    chosen = code or settings.CLAIMS_DISBURSEMENT_ADAPTER
    adapter = _ADAPTERS.get(chosen)
    if adapter is None:
        raise NoAdapter(_("No bank-transfer adapter is configured for payouts."))
    return adapter


_NOT_LETTERS = re.compile(r"[^a-z ]+")


def names_match(account_holder: str, claimant: str) -> bool:
    """The same name, ignoring case, punctuation, titles' dots and spacing."""

    def norm(name: str) -> str:
        return " ".join(_NOT_LETTERS.sub(" ", name.casefold()).split())

    return bool(norm(account_holder)) and norm(account_holder) == norm(claimant)
