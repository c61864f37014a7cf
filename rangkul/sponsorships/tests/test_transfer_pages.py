"""The budget-transfer pages: a payments officer records, another officer approves or rejects (maker–checker)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import BranchOfficeFactory, UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import BillStatus, ContributionMonth
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.sponsorships.models import BudgetTransfer, TransferStatus
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_enrol
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = pytest.mark.django_db

MAY = Period(2026, 5)
LIST = "/office/transfer-anggaran/"


@pytest.fixture
def staff(roles, branch):
    # Officers of the branch serving the sponsor's regency (Kota Semarang).
    maker = UserFactory(username="maker", branch=branch)
    maker.groups.add(Group.objects.get(name=Role.PAYMENTS_OFFICER.value))
    checker = UserFactory(username="checker", branch=branch)
    checker.groups.add(Group.objects.get(name=Role.PAYMENTS_APPROVER.value))
    both = UserFactory(username="both", branch=branch)
    both.groups.add(Group.objects.get(name=Role.PAYMENTS_OFFICER.value))
    both.groups.add(Group.objects.get(name=Role.PAYMENTS_APPROVER.value))
    return maker, checker, both


@pytest.fixture
def group_bill(regions):
    org = sponsor()
    s = sponsorship(org, budget_idr=5_000_000)
    workers = [member(organisation_code=org.code, registered_on=dt.date(2026, 5, 1)) for _ in range(3)]
    sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=workers, today=TODAY)
    return sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=MAY), workers


def _record(client, record, amount, reference="SP2D-0001/2026", day="2026-05-02"):
    return client.post(
        LIST,
        {
            "payment_code": record.bill.payment_code,
            "amount_idr": amount,
            "reference": reference,
            "transferred_on": day,
        },
    )


def test_an_officer_records_a_transfer_and_another_approves_it(client, staff, group_bill):
    maker, checker, _both = staff
    record, _workers = group_bill
    client.force_login(maker)
    page = client.get(LIST)
    assert page.status_code == 200 and b'data-testid="transfer-record-form"' in page.content
    response = _record(client, record, record.amount_idr)
    transfer = BudgetTransfer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{LIST}{transfer.pk}/"
    assert transfer.status == TransferStatus.PROPOSED and transfer.proposed_by == maker
    assert not ContributionMonth.objects.exists()
    # Listed as pending; the maker cannot decide it, not even by posting.
    assert transfer.reference.encode() in client.get(LIST).content
    detail = client.get(f"{LIST}{transfer.pk}/")
    assert b'data-testid="transfer-decision-form"' not in detail.content
    assert client.post(f"{LIST}{transfer.pk}/", {"decision": "approve"}).status_code == 403

    client.force_login(checker)
    assert b'data-testid="transfer-decision-form"' in client.get(f"{LIST}{transfer.pk}/").content
    response = client.post(f"{LIST}{transfer.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    record.bill.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED and transfer.decided_by == checker
    assert record.bill.status == BillStatus.PAID
    assert ContributionMonth.objects.filter(period=MAY.first_day).values("worker").distinct().count() == 3
    assert transfer.reference.encode() not in client.get(LIST).content  # no longer pending
    assert AuditEvent.objects.filter(action="sponsorships.transfer_approved").count() == 1


def test_one_person_holding_both_roles_cannot_approve_their_own_transfer(client, staff, group_bill):
    _maker, _checker, both = staff
    record, _workers = group_bill
    client.force_login(both)
    _record(client, record, record.amount_idr)
    transfer = BudgetTransfer.objects.get()
    assert b'data-testid="transfer-decision-form"' not in client.get(f"{LIST}{transfer.pk}/").content
    response = client.post(f"{LIST}{transfer.pk}/", {"decision": "approve"})
    assert response.status_code == 422
    assert b'data-testid="form-errors"' in response.content
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PROPOSED
    assert not ContributionMonth.objects.exists()


def test_a_rejection_needs_a_reason_and_pays_nothing(client, staff, group_bill):
    maker, checker, _both = staff
    record, _workers = group_bill
    client.force_login(maker)
    _record(client, record, 10_000)
    transfer = BudgetTransfer.objects.get()
    client.force_login(checker)
    response = client.post(f"{LIST}{transfer.pk}/", {"decision": "reject", "note": "  "})
    assert response.status_code == 422
    assert b'data-testid="form-errors"' in response.content and b'href="#id_note"' in response.content
    response = client.post(f"{LIST}{transfer.pk}/", {"decision": "reject", "note": "Not on the bank statement"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REJECTED and transfer.decision_note == "Not on the bank statement"
    assert not ContributionMonth.objects.exists()
    assert b"Not on the bank statement" in client.get(f"{LIST}{transfer.pk}/").content


def test_a_part_transfer_pays_the_members_it_covers_in_order(client, staff, group_bill):
    maker, checker, _both = staff
    record, workers = group_bill
    client.force_login(maker)
    _record(client, record, 2 * 16_800 + 100)
    client.force_login(checker)
    client.post(f"{LIST}{BudgetTransfer.objects.get().pk}/", {"decision": "approve"})
    paid = set(ContributionMonth.objects.filter(period=MAY.first_day).values_list("worker_id", flat=True))
    assert paid == {workers[0].pk, workers[1].pk}
    record.bill.refresh_from_db()
    assert record.bill.status == BillStatus.OPEN


def test_errors_are_shown_in_the_summary_beside_the_fields(client, staff, group_bill):
    maker, _checker, _both = staff
    record, _workers = group_bill
    client.force_login(maker)
    response = client.post(LIST, {"payment_code": "NOPE", "amount_idr": "0", "reference": "", "transferred_on": "x"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="form-errors"' in body
    for field in ("amount_idr", "reference", "transferred_on"):
        assert f'href="#id_{field}"' in body
    response = client.post(
        LIST, {"payment_code": "NOPE", "amount_idr": "100", "reference": "R1", "transferred_on": "2026-05-01"}
    )
    assert response.status_code == 422 and 'href="#id_payment_code"' in response.content.decode()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _record(client, record, 100, reference="R2", day=tomorrow)
    assert response.status_code == 422 and 'href="#id_transferred_on"' in response.content.decode()
    _record(client, record, 100, reference="R3")
    response = _record(client, record, 100, reference="R3")
    assert response.status_code == 422 and BudgetTransfer.objects.count() == 1
    assert not BudgetTransfer.objects.filter(reference__in=["R1", "R2"]).exists()


def test_the_pages_are_for_payments_staff_only(client, roles, group_bill):
    assert client.get(LIST).status_code == 302  # to the login page
    clerk = UserFactory(username="clerk")
    client.force_login(clerk)
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {}).status_code == 403


def test_officers_of_another_region_neither_see_nor_act_on_a_transfer(client, staff, group_bill):
    maker, _checker, _both = staff
    record, _workers = group_bill
    client.force_login(maker)
    _record(client, record, 10_000, reference="SP2D-SMG-1")
    transfer = BudgetTransfer.objects.get()
    client.get(f"{LIST}{transfer.pk}/")  # shows (and uses up) the "recorded" message
    jakarta = BranchOfficeFactory(code="JKT-GMB", name="Jakarta Gambir", regency_id="31.71")
    officer = UserFactory(username="jkt-officer", branch=jakarta)
    officer.groups.add(Group.objects.get(name=Role.PAYMENTS_OFFICER.value))
    approver = UserFactory(username="jkt-approver", branch=jakarta)
    approver.groups.add(Group.objects.get(name=Role.PAYMENTS_APPROVER.value))

    for user in (officer, approver):
        client.force_login(user)
        for status in ("", TransferStatus.PROPOSED):
            page = client.get(LIST, {"status": status})
            assert page.status_code == 200 and b"SP2D-SMG-1" not in page.content
        assert client.get(f"{LIST}{transfer.pk}/").status_code == 404
        # Nor can they record a transfer against the bill (it is not found for them).
        response = _record(client, record, 10_000, reference=f"SP2D-{user.username}")
        assert response.status_code == 422 and 'href="#id_payment_code"' in response.content.decode()
    assert client.post(f"{LIST}{transfer.pk}/", {"decision": "approve"}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PROPOSED and BudgetTransfer.objects.count() == 1
    assert not ContributionMonth.objects.exists()

    # The region's own approver sees and approves it.
    _maker, checker, _both = staff
    client.force_login(checker)
    assert b"SP2D-SMG-1" in client.get(LIST).content
    assert client.post(f"{LIST}{transfer.pk}/", {"decision": "approve"}).status_code == 302
