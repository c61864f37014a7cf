"""The double-entry ledger: every movement of money is one balanced journal entry.

``journal_post`` is the only way to write the ledger. It refuses an unbalanced
entry and is idempotent on ``(kind, reference)``: posting the same reference
twice returns the first entry (the database's unique constraint decides races).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.contributions.errors import UnbalancedEntry
from rangkul.contributions.models import Account, JournalEntry, JournalLine
from rangkul.core.bulk import insert_unless_conflict
from rangkul.core.periods import Period

# The chart of accounts. Member-keyed accounts are single rows; each journal line names
# the member, so balances per member are an indexed sum over that member's lines.
CHART: dict[str, tuple[str, str, bool]] = {
    "member_receivable": ("Member contributions receivable", Account.Kind.ASSET, True),
    "member_credit": ("Member credit (paid, not yet allocated)", Account.Kind.LIABILITY, True),
    "refunds_payable": ("Refunds payable to members", Account.Kind.LIABILITY, True),
    "contribution:JKK": ("Contribution income, work accident (JKK)", Account.Kind.INCOME, False),
    "contribution:JKM": ("Contribution income, death (JKM)", Account.Kind.INCOME, False),
    # JHT contributions are the member's own savings: owed back to the member.
    "contribution:JHT": ("Old-age savings contributions (JHT)", Account.Kind.LIABILITY, True),
    "adjustments": ("Manual adjustments", Account.Kind.EXPENSE, False),
    # Claims: benefits paid from each program's fund; JHT returns (the contributions part of a
    # JHT payout comes out of the member's savings, contribution:JHT); the payout bank account.
    "benefit:JKK": ("Benefits paid, work accident (JKK)", Account.Kind.EXPENSE, False),
    "benefit:JKM": ("Benefits paid, death (JKM)", Account.Kind.EXPENSE, False),
    "benefit:JHT": ("Returns paid on old-age savings (JHT)", Account.Kind.EXPENSE, False),
    "payout_bank": ("Bank account for benefit payouts", Account.Kind.ASSET, False),
    "agent_commissions": ("Field agents' commissions", Account.Kind.EXPENSE, False),
}
CLEARING_PREFIX = "clearing:"
# Money owed to someone outside the member ledger (an agent, a host organisation), one account each.
PAYABLE_PREFIX = "payable:"


def contribution_account(program: str) -> str:
    return f"contribution:{program}"


def clearing_account(channel: str) -> str:
    """Money received through a channel and not yet settled by it (one account per channel)."""
    return f"{CLEARING_PREFIX}{channel}"


def _account_spec(code: str) -> tuple[str, str, bool]:
    """(name, kind, per member) of a chart account or a channel clearing account; refuses any other code."""
    if code in CHART:
        return CHART[code]
    if code.startswith(CLEARING_PREFIX):
        return f"Payment clearing, {code.removeprefix(CLEARING_PREFIX)}", Account.Kind.ASSET, False
    if code.startswith(PAYABLE_PREFIX) and len(code) > len(PAYABLE_PREFIX):
        return f"Payable to {code.removeprefix(PAYABLE_PREFIX)}", Account.Kind.LIABILITY, False
    raise UnbalancedEntry(_("Unknown ledger account %(code)s.") % {"code": code})


def account_get(code: str) -> Account:
    """The account with this code, created from the chart (or as a channel clearing account)."""
    name, kind, per_member = _account_spec(code)
    account, _created = Account.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "per_member": per_member}
    )
    return account


def accounts_get(codes: Iterable[str]) -> dict[str, int]:
    """Account ids by code in one query; an account not there yet is created from the chart."""
    wanted = set(codes)
    for code in wanted:
        _account_spec(code)
    ids = dict(Account.objects.filter(code__in=wanted).values_list("code", "pk"))
    for code in wanted - ids.keys():
        ids[code] = account_get(code).pk
    return ids


@dataclass(frozen=True)
class Line:
    account: str
    debit_idr: int = 0
    credit_idr: int = 0
    worker_id: int | None = None
    period: Period | None = None
    program: str = ""


def _validate(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedEntry(_("A journal entry needs at least two lines."))
    for line in lines:
        if line.debit_idr < 0 or line.credit_idr < 0 or (line.debit_idr > 0) == (line.credit_idr > 0):
            raise UnbalancedEntry(_("Each journal line must have either a positive debit or a positive credit."))
    debits = sum(line.debit_idr for line in lines)
    credits = sum(line.credit_idr for line in lines)
    if debits != credits:
        raise UnbalancedEntry(
            _("The journal entry does not balance: debits %(debits)s, credits %(credits)s.")
            % {"debits": debits, "credits": credits}
        )


def journal_post(
    *,
    actor: Actor,
    kind: str,
    reference: str,
    lines: Sequence[Line],
    memo: str = "",
    occurred_at: dt.datetime | None = None,
) -> tuple[JournalEntry, bool]:
    """Post one balanced entry; returns ``(entry, created)``.

    The same ``(kind, reference)`` posted again returns the existing entry with
    ``created=False`` and writes nothing. The entry is inserted with ``ON CONFLICT DO
    NOTHING`` on that unique pair: the database decides between concurrent posts, without
    a read before or a savepoint around the insert. An entry is refused (nothing written)
    before any statement when it does not balance or names an unknown account.
    """
    _validate(lines)
    codes = {line.account for line in lines}
    for code in codes:
        _account_spec(code)
    # No savepoint: a failure below leaves nothing worth keeping in the caller's transaction.
    with transaction.atomic(savepoint=False):
        entry = JournalEntry(
            occurred_at=occurred_at or timezone.now(),
            kind=kind,
            reference=reference,
            memo=memo[:255],
            created_by=actor.user,
        )
        if not _entry_insert(entry):
            # Posted before, or by a concurrent post that committed first: return that entry.
            return JournalEntry.objects.get(kind=kind, reference=reference), False
        accounts = accounts_get(codes)
        JournalLine.objects.bulk_create(
            JournalLine(
                entry_id=entry.pk,
                account_id=accounts[line.account],
                worker_id=line.worker_id,
                period=line.period,  # type: ignore[misc]  # PeriodField takes a Period
                program=line.program,
                debit_idr=line.debit_idr,
                credit_idr=line.credit_idr,
            )
            for line in lines
        )
    return entry, True


def _entry_insert(entry: JournalEntry) -> bool:
    """Insert the entry unless one with its (kind, reference) exists; True when this call inserted it."""
    return insert_unless_conflict(entry, conflict=["kind", "reference"])
