from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.group_bills import group_bill_issue, group_bill_pay
from rangkul.contributions.models import (
    BillStatus,
    ContributionMonth,
    JournalEntry,
    MemberStatus,
    MemberStatusChange,
)
from rangkul.contributions.selectors import ledger_totals, member_credit_idr, paid_months, rules_for_memo
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.services.status import _status_fields
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


def test_one_code_pays_for_many_members(regions):
    driver = member(occupation_code="ojek_online")
    trader = member()
    bill = group_bill_issue(actor=Actor.system("test"), workers=[driver, trader], months=3, today=dt.date(2026, 3, 2))
    assert bill.worker is None
    # Transport: March–May discounted (8,400). Non-transport: March in full, April and May discounted.
    assert bill.amount_idr == 3 * 8_400 + (16_800 + 2 * 8_400)
    assert {line.worker_id for line in bill.lines.all()} == {driver.pk, trader.pk}
    allocations = group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="GRP-1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 3)),
    )
    assert [a.months for a in allocations] == [(Period(2026, 3), Period(2026, 4), Period(2026, 5))] * 2
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert member_credit_idr(worker_id=driver.pk) == member_credit_idr(worker_id=trader.pk) == 0
    # Paying again moves nothing.
    again = group_bill_pay(
        actor=Actor.system("test"), bill=bill, amount_idr=bill.amount_idr, payment_reference="GRP-1", channel="sandbox"
    )
    assert not any(a.created for a in again)
    assert ContributionMonth.objects.count() == 12
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_a_month_paid_between_the_bill_and_its_payment_becomes_the_members_credit(regions):
    """The share's line the member paid meanwhile is settled by the share's entry, covered once
    (by the member's own payment) and its money kept as the member's credit; the other member's
    share pays as usual, and every entry balances."""
    from rangkul.contributions.models import BillLine, JournalLine

    driver = member(occupation_code="ojek_online")
    trader = member()
    bill = group_bill_issue(actor=Actor.system("test"), workers=[driver, trader], months=1, today=dt.date(2026, 3, 2))
    trader_share = sum(line.amount_idr for line in bill.lines.filter(worker=trader))
    payment_allocate(
        actor=Actor.system("test"),
        worker=trader,
        amount_idr=trader_share,
        payment_reference="OWN",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 2)),
    )
    allocations = group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="GRP-2",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 3)),
    )
    by_member = {
        JournalLine.objects.filter(entry_id=a.entry_id).exclude(worker=None)[0].worker_id: a for a in allocations
    }
    assert by_member[trader.pk].months == ()
    assert by_member[trader.pk].allocated_idr == 0
    assert by_member[trader.pk].credit_added_idr == trader_share
    assert by_member[driver.pk].months == (Period(2026, 3),)
    assert by_member[driver.pk].credit_added_idr == 0
    assert member_credit_idr(worker_id=trader.pk) == trader_share
    assert member_credit_idr(worker_id=driver.pk) == 0
    # Covered once, by the member's own payment; the group entry wrote no second month.
    assert ContributionMonth.objects.filter(worker=trader, period=Period(2026, 3)).count() == 2
    assert not ContributionMonth.objects.filter(worker=trader, entry_id=by_member[trader.pk].entry_id).exists()
    assert ContributionMonth.objects.filter(worker=driver, entry_id=by_member[driver.pk].entry_id).count() == 2
    # Every line of the bill is settled by its member's share entry (a reversal reopens exactly these).
    for line in BillLine.objects.filter(bill=bill):
        assert line.settled_at is not None
        assert line.settled_entry_id == by_member[line.worker_id].entry_id
    entry = JournalLine.objects.filter(entry_id=by_member[trader.pk].entry_id)
    assert sorted(entry.values_list("account__code", "debit_idr", "credit_idr")) == [
        ("clearing:sandbox", trader_share, 0),
        ("member_credit", 0, trader_share),
    ]
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_regional_budget_pays_in_full(regions):
    trader = member()
    bill = group_bill_issue(
        actor=Actor.system("test"),
        workers=[trader],
        months=2,
        sponsor_kind="regional_budget",
        today=dt.date(2026, 5, 2),
    )
    assert bill.amount_idr == 2 * 16_800 and bill.sponsor_kind == "regional_budget"
    group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="APBD",
        channel="bank",
        paid_at=at(dt.date(2026, 5, 3)),
    )
    may = ContributionMonth.objects.get(worker=trader, period=Period(2026, 5), program="JKK")
    assert (may.amount_idr, may.discount_idr) == (10_000, 0)
    assert member_credit_idr(worker_id=trader.pk) == 0


def test_group_payment_must_match_the_bill(regions):
    bill = group_bill_issue(actor=Actor.system("test"), workers=[member()], months=1, today=dt.date(2026, 3, 2))
    with pytest.raises(Conflict):
        group_bill_pay(
            actor=Actor.system("test"),
            bill=bill,
            amount_idr=bill.amount_idr - 1,
            payment_reference="X",
            channel="sandbox",
        )


def test_a_month_the_member_already_paid_is_skipped(regions):
    trader = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=trader,
        amount_idr=16_800,
        payment_reference="SELF",
        channel="sandbox",
        paid_at=at(dt.date(2026, 3, 1)),
    )
    bill = group_bill_issue(actor=Actor.system("test"), workers=[trader], months=1, today=dt.date(2026, 3, 2))
    assert [str(line.period) for line in bill.lines.all()] == ["2026-04", "2026-04"]


def test_paying_many_shares_at_once_leaves_each_member_as_paying_them_one_by_one_would(regions):
    """The set-based payment stores, per member, the status a refresh computes and one balanced entry."""
    day = dt.date(2026, 3, 2)
    fresh, regular, lapsed = (
        member(),
        member(registered_on=dt.date(2025, 9, 1)),
        member(registered_on=dt.date(2025, 6, 1)),
    )
    # The regular member paid Sep 2025–Feb 2026; the lapsed one paid Jun–Jul 2025 only.
    payment_allocate(
        actor=Actor.system("test"),
        worker=regular,
        amount_idr=16_800 * 6,
        payment_reference="R",
        channel="sandbox",
        paid_at=at(dt.date(2025, 9, 2)),
    )
    payment_allocate(
        actor=Actor.system("test"),
        worker=lapsed,
        amount_idr=16_800 * 2,
        payment_reference="L",
        channel="sandbox",
        paid_at=at(dt.date(2025, 6, 2)),
    )
    workers = [fresh, regular, lapsed]
    bill = group_bill_issue(actor=Actor.system("test"), workers=workers, months=2, today=day)
    group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="G",
        channel="sandbox",
        paid_at=at(day),
    )
    rules_for = rules_for_memo()
    for worker in workers:
        expected, history = _status_fields(
            registered_on=timezone.localdate(worker.registered_at),
            paid=paid_months(worker_id=worker.pk),
            today=day,
            rules_for=rules_for,
        )
        stored = MemberStatus.objects.get(worker=worker)
        assert {name: getattr(stored, name) for name in expected} == expected
        assert {(c.status, c.since) for c in history} <= set(
            MemberStatusChange.objects.filter(worker=worker).values_list("status", "since")
        )
        entry = JournalEntry.objects.get(reference=f"sandbox:G/{worker.pk}")
        assert sum(line.debit_idr for line in entry.lines.all()) == sum(line.credit_idr for line in entry.lines.all())
        assert (
            AuditEvent.objects.filter(
                action="contributions.payment_allocated", after__reference=f"sandbox:G/{worker.pk}"
            ).count()
            == 1
        )
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def _paid_state(workers: list, bill) -> list[tuple]:
    """Everything a group payment leaves per member, keyed by the member's place (not their key)."""
    from rangkul.contributions.models import BillLine, JournalLine

    state = []
    for place, worker in enumerate(workers):
        months = sorted(
            ContributionMonth.objects.filter(worker=worker).values_list(
                "period", "program", "amount_idr", "discount_idr", "covered_from", "payer_kind"
            )
        )
        ledger = sorted(
            JournalLine.objects.filter(worker=worker, entry__reference__startswith="sandbox:G").values_list(
                "account__code", "period", "program", "debit_idr", "credit_idr"
            )
        )
        status = MemberStatus.objects.filter(worker=worker).values_list(
            "status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on"
        )
        changes = sorted(MemberStatusChange.objects.filter(worker=worker).values_list("status", "since"))
        lines = sorted(
            (str(line.period), line.program, line.settled_at is not None, line.settled_entry_id is not None)
            for line in BillLine.objects.filter(bill=bill, worker=worker)
        )
        audit = AuditEvent.objects.filter(action="contributions.payment_allocated", subject_id=str(worker.pk))
        afters = [a.after or {} for a in audit]
        audits = sorted((a["amount_idr"], tuple(a["months"]), a["credit_added_idr"]) for a in afters)
        state.append((place, months, ledger, list(status), changes, lines, audits))
    return state


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=8),  # registered this many months before the bill
            st.integers(min_value=0, max_value=4),  # months the member paid on their own
            st.integers(min_value=0, max_value=27),  # the day of the month they paid them
        ),
        min_size=1,
        max_size=5,
    ),
    months=st.integers(min_value=1, max_value=3),
    pay_day=st.integers(min_value=1, max_value=27),
)
def test_the_bills_plain_row_payment_is_paying_each_member_one_by_one(regions, members, months, pay_day):
    """Differential: ``group_bill_pay`` (the bill read as plain rows, members in set statements)
    leaves exactly what paying each member's share alone, from model objects, leaves."""
    from django.db import transaction

    from rangkul.contributions.group_bills import _member_lines_pay
    from rangkul.contributions.models import BillLine
    from rangkul.contributions.services.billing import _rules_for_preloaded
    from rangkul.registry.models import Worker

    day = dt.date(2026, 3, pay_day)

    def scenario() -> tuple[list, object]:
        workers = []
        for registered_before, own, own_day in members:
            registered = (Period.of(day) - registered_before).first_day + dt.timedelta(days=2)
            worker = member(registered_on=registered)
            if own:
                payment_allocate(
                    actor=Actor.system("test"),
                    worker=worker,
                    amount_idr=16_800 * own,
                    payment_reference=f"own-{worker.pk}",
                    channel="sandbox",
                    paid_at=at(registered + dt.timedelta(days=own_day)),
                )
            workers.append(worker)
        try:
            bill = group_bill_issue(actor=Actor.system("test"), workers=workers, months=months, today=day)
        except Exception:  # nothing payable for anyone: nothing to compare
            return workers, None
        return workers, bill

    states = []
    for one_by_one in (False, True):
        with transaction.atomic():
            workers, bill = scenario()
            if bill is not None:
                if one_by_one:
                    rules_for = _rules_for_preloaded()
                    for worker in sorted(workers, key=lambda w: w.pk):
                        lines = list(BillLine.objects.filter(bill=bill, worker=worker).order_by("period", "program"))
                        if sum(line.amount_idr for line in lines):
                            _member_lines_pay(
                                actor=Actor.system("test"),
                                worker=Worker.objects.get(pk=worker.pk),
                                lines=lines,
                                reference=f"sandbox:G/{worker.pk}",
                                channel="sandbox",
                                paid_at=at(day),
                                rules_for=rules_for,
                                payer_kind=bill.sponsor_kind,
                            )
                else:
                    group_bill_pay(
                        actor=Actor.system("test"),
                        bill=bill,
                        amount_idr=bill.amount_idr,
                        payment_reference="G",
                        channel="sandbox",
                        paid_at=at(day),
                    )
                states.append(_paid_state(workers, bill))
                totals = ledger_totals()
                assert totals["debit_idr"] == totals["credit_idr"]
            transaction.set_rollback(True)
    if states:
        assert states[0] == states[1]
