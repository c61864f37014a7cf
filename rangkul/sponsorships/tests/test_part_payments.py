"""Part payment of a sponsorship's group bill (enrolment order, whole shares) and settlement by budget transfer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.group_payments import group_bill_account, group_bill_pay_part, group_bill_unpaid
from rangkul.contributions.models import BillStatus, ContributionMonth, JournalLine
from rangkul.contributions.selectors import coverage_on, ledger_totals
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.core.periods import Period
from rangkul.sponsorships.models import TransferStatus
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_enrol
from rangkul.sponsorships.settlement import budget_transfer_approve, budget_transfer_record, budget_transfer_reject
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = pytest.mark.django_db

MAY = Period(2026, 5)


def _bill(programs=("JKK", "JKM"), jht=(False, False, False)):
    org = sponsor()
    s = sponsorship(org, programs=list(programs), budget_idr=5_000_000)
    workers = [member(organisation_code=org.code, registered_on=dt.date(2026, 5, 1), jht=j) for j in jht]
    # Enrolled in the reverse of their member ids: the order of payment is the enrolment order.
    enrolled = list(reversed(workers))
    sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=enrolled, today=TODAY)
    return sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=MAY), enrolled


def _pay(record, amount, reference):
    return group_bill_pay_part(
        actor=Actor.system("test"),
        bill=record.bill,
        amount_idr=amount,
        payment_reference=reference,
        channel="sandbox",
        paid_at=at(TODAY),
    )


def _paid(worker):
    return ContributionMonth.objects.filter(worker=worker, period=MAY.first_day).exists()


def test_a_part_payment_pays_members_in_enrolment_order_and_reports_who_is_unpaid(regions):
    record, enrolled = _bill()
    assert record.amount_idr == 3 * 16_800
    first = _pay(record, 40_000, "P1")
    assert (first.members_paid, first.allocated_idr, first.held_idr) == (2, 33_600, 6_400)
    assert [_paid(w) for w in enrolled] == [True, True, False]
    assert group_bill_unpaid(bill=record.bill) == [(enrolled[2].pk, 16_800)]
    assert (first.unpaid_members, first.unpaid_idr, first.bill_paid) == (1, 16_800, False)
    record.bill.refresh_from_db()
    assert record.bill.status == BillStatus.OPEN
    # The money held is used first by the next payment.
    second = _pay(record, 10_400, "P2")
    assert (second.members_paid, second.held_idr, second.bill_paid) == (1, 0, True)
    record.bill.refresh_from_db()
    assert record.bill.status == BillStatus.PAID
    assert all(coverage_on(w, dt.date(2026, 5, 20), "JKK") for w in enrolled)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    received = JournalLine.objects.filter(account__code="clearing:sandbox").aggregate(s=Sum("debit_idr"))["s"]
    assert received == 50_400 == sum(ContributionMonth.objects.values_list("amount_idr", flat=True))


def test_a_later_cheaper_member_never_overtakes_an_earlier_one(regions):
    # The first enrolled has JHT paid by the sponsor too (Rp36,800); the others Rp16,800.
    record, enrolled = _bill(programs=("JKK", "JKM", "JHT"), jht=(False, False, True))
    assert enrolled[0].jht
    result = _pay(record, 20_000, "P1")
    assert (result.members_paid, result.held_idr, result.unpaid_members) == (0, 20_000, 3)
    assert not any(_paid(w) for w in enrolled)
    assert (
        JournalLine.objects.filter(account__code=group_bill_account(record.bill)).aggregate(c=Sum("credit_idr"))["c"]
        == 20_000
    )


def test_a_repeated_part_payment_moves_no_money(regions):
    record, _enrolled = _bill()
    _pay(record, 20_000, "P1")
    before = ledger_totals()
    again = _pay(record, 20_000, "P1")
    assert not again.created and again.members_paid == 0
    assert ledger_totals() == before


@pytest.fixture
def officers(roles):
    maker = UserFactory(username="maker")
    maker.groups.add(Group.objects.get(name=Role.PAYMENTS_OFFICER.value))
    checker = UserFactory(username="checker")
    checker.groups.add(Group.objects.get(name=Role.PAYMENTS_APPROVER.value))
    return maker, checker


def test_a_budget_transfer_pays_the_bill_only_once_a_second_officer_approves(regions, officers):
    maker, checker = officers
    record, enrolled = _bill()
    transfer = budget_transfer_record(
        actor=Actor.for_user(maker),
        sponsorship_bill=record,
        amount_idr=record.amount_idr,
        reference="SP2D-0412",
        transferred_on=TODAY - dt.timedelta(days=1),
    )
    assert transfer.status == TransferStatus.PROPOSED
    assert not any(_paid(w) for w in enrolled)  # recorded, not yet paid
    with pytest.raises(PermissionDenied):
        budget_transfer_approve(actor=Actor.for_user(maker), transfer=transfer)  # no approval rights
    payment = budget_transfer_approve(actor=Actor.for_user(checker), transfer=transfer)
    assert payment.bill_paid and payment.members_paid == 3
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (TransferStatus.APPROVED, checker)
    assert all(_paid(w) for w in enrolled)
    assert (
        JournalLine.objects.filter(account__code="clearing:budget_transfer").aggregate(s=Sum("debit_idr"))["s"]
        == record.amount_idr
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="sponsorships.transfer").values_list("action", flat=True)
    )
    assert sorted(actions) == ["sponsorships.transfer_approved", "sponsorships.transfer_recorded"]
    with pytest.raises(Conflict):
        budget_transfer_approve(actor=Actor.for_user(checker), transfer=transfer)


def test_whoever_records_a_transfer_cannot_approve_it(regions, officers):
    _maker, checker = officers
    record, enrolled = _bill()
    transfer = budget_transfer_record(
        actor=Actor.for_user(checker),
        sponsorship_bill=record,
        amount_idr=30_000,
        reference="SP2D-1",
        transferred_on=TODAY,
    )
    with pytest.raises(PermissionDenied) as raised:
        budget_transfer_approve(actor=Actor.for_user(checker), transfer=transfer)
    assert raised.value.code == "same_person"
    assert not any(_paid(w) for w in enrolled)


def test_a_rejected_transfer_pays_nothing_and_references_are_unique(regions, officers):
    maker, checker = officers
    record, enrolled = _bill()
    transfer = budget_transfer_record(
        actor=Actor.for_user(maker),
        sponsorship_bill=record,
        amount_idr=30_000,
        reference="SP2D-2",
        transferred_on=TODAY,
    )
    with pytest.raises(ValidationFailed):
        budget_transfer_reject(actor=Actor.for_user(checker), transfer=transfer, note="")
    budget_transfer_reject(actor=Actor.for_user(checker), transfer=transfer, note="Not on the bank statement")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REJECTED
    assert not any(_paid(w) for w in enrolled)
    with pytest.raises(Conflict):
        budget_transfer_record(
            actor=Actor.for_user(maker),
            sponsorship_bill=record,
            amount_idr=30_000,
            reference="SP2D-2",
            transferred_on=TODAY,
        )
