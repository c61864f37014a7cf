from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.errors import UnbalancedEntry
from rangkul.contributions.ledger import Line, clearing_account, journal_post
from rangkul.contributions.models import Account, JournalEntry, JournalLine
from rangkul.contributions.selectors import account_balance, ledger_totals
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

ACCOUNTS = ["member_credit", "contribution:JKK", "contribution:JKM", "contribution:JHT", clearing_account("sandbox")]


def test_chart_of_accounts_is_seeded():
    assert Account.objects.get(code="member_credit").kind == Account.Kind.LIABILITY
    assert Account.objects.get(code="contribution:JKK").kind == Account.Kind.INCOME


def test_balanced_entry_is_posted_once_per_reference(administrator):
    lines = [
        Line(clearing_account("sandbox"), debit_idr=16_800),
        Line("contribution:JKK", credit_idr=10_000, period=Period(2026, 3), program="JKK"),
        Line("contribution:JKM", credit_idr=6_800, period=Period(2026, 3), program="JKM"),
    ]
    entry, created = journal_post(actor=Actor.for_user(administrator), kind="payment", reference="PAY-1", lines=lines)
    assert created and entry.created_by == administrator
    again, created_again = journal_post(
        actor=Actor.for_user(administrator), kind="payment", reference="PAY-1", lines=lines
    )
    assert again.pk == entry.pk and not created_again
    assert JournalLine.objects.filter(entry=entry).count() == 3
    assert JournalLine.objects.get(entry=entry, program="JKK").period == Period(2026, 3)
    assert account_balance(code=clearing_account("sandbox")) == 16_800
    # The same reference under another kind is a different entry.
    _other, created_other = journal_post(actor=Actor.system("system"), kind="refund", reference="PAY-1", lines=lines)
    assert created_other


@pytest.mark.parametrize(
    "lines",
    [
        [Line("member_credit", debit_idr=100), Line("contribution:JKK", credit_idr=99)],
        [Line("member_credit", debit_idr=100)],
        [Line("member_credit", debit_idr=100, credit_idr=100), Line("contribution:JKK", credit_idr=0)],
        [Line("member_credit", debit_idr=-5), Line("contribution:JKK", credit_idr=-5)],
        [Line("member_credit", debit_idr=0), Line("contribution:JKK", credit_idr=0)],
    ],
)
def test_unbalanced_or_malformed_entries_are_refused(lines):
    with pytest.raises(UnbalancedEntry):
        journal_post(actor=Actor.system("system"), kind="test", reference="X", lines=lines)
    assert not JournalEntry.objects.filter(reference="X").exists()


def test_unknown_account_is_refused():
    with pytest.raises(UnbalancedEntry):
        journal_post(
            actor=Actor.system("system"),
            kind="t",
            reference="Y",
            lines=[Line("nope", debit_idr=1), Line("member_credit", credit_idr=1)],
        )


def test_database_refuses_a_line_with_both_sides():
    entry, _ = journal_post(
        actor=Actor.system("system"),
        kind="t",
        reference="Z",
        lines=[Line("member_credit", debit_idr=1), Line("contribution:JKK", credit_idr=1)],
    )
    account = Account.objects.get(code="member_credit")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=account, debit_idr=5, credit_idr=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=account, debit_idr=-5, credit_idr=0)


def test_database_refuses_a_duplicate_reference():
    JournalEntry.objects.create(occurred_at="2026-01-01T00:00:00Z", kind="k", reference="R")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(occurred_at="2026-01-01T00:00:00Z", kind="k", reference="R")


amounts = st.integers(min_value=1, max_value=50_000_000)


@st.composite
def entries(draw):
    """A random balanced entry: some debits, and credits that split the same total."""
    debits = draw(st.lists(amounts, min_size=1, max_size=4))
    total = sum(debits)
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), max_size=3, unique=True))) if total > 1 else []
    credits = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    lines = [Line(draw(st.sampled_from(ACCOUNTS)), debit_idr=d) for d in debits]
    lines += [Line(draw(st.sampled_from(ACCOUNTS)), credit_idr=c) for c in credits]
    return draw(st.permutations(lines))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(batch=st.lists(st.tuples(entries(), st.text("ABC123", min_size=1, max_size=3)), min_size=1, max_size=5))
def test_ledger_always_balances(db, batch):
    for lines, reference in batch:
        journal_post(actor=Actor.system("system"), kind="property", reference=reference, lines=lines)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Per entry as well: a query that finds no unbalanced entry.
    unbalanced = (
        JournalLine.objects.values("entry_id").annotate(d=Sum("debit_idr"), c=Sum("credit_idr")).exclude(d=F("c"))
    )
    assert not unbalanced.exists()
