from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from rangkul.audit.actors import Actor
from rangkul.contributions.models import AdjustmentStatus, LedgerAdjustment
from rangkul.contributions.selectors import member_credit_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rangkul.contributions.tests.urls_office")]


@pytest.fixture
def paid_member(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=20_000,
        payment_reference="OFF-1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 2, 10)),
    )
    return worker


def test_branch_officer_sees_a_members_contributions(client, branch_officer, paid_member):
    client.force_login(branch_officer)
    response = client.get(reverse("contributions_office:member", args=[paid_member.membership_number]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rp3.200" in body  # credit left after paying February
    assert 'data-testid="months"' in body and "2026-02" in body
    assert "clearing:sandbox" in body


def test_staff_outside_the_region_get_404(client, analyst, paid_member):
    client.force_login(analyst)
    response = client.get(reverse("contributions_office:member", args=[paid_member.membership_number]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, paid_member):
    response = client.get(reverse("contributions_office:member", args=[paid_member.membership_number]))
    assert response.status_code == 302


def test_maker_checker_through_the_pages(client, branch_officer, administrator, paid_member):
    client.force_login(branch_officer)
    url = reverse("contributions_office:member", args=[paid_member.membership_number])
    response = client.post(url, {"kind": "refund", "amount_idr": 3_200, "reason": "Member asked for the rest"})
    assert response.status_code == 302
    adjustment = LedgerAdjustment.objects.get()
    assert adjustment.status == AdjustmentStatus.PENDING
    # The proposer cannot open the approval queue.
    assert client.get(reverse("contributions_office:adjustments")).status_code == 403
    client.force_login(administrator)
    queue = client.get(reverse("contributions_office:adjustments"))
    assert b'data-testid="pending-adjustment"' in queue.content
    client.post(
        reverse("contributions_office:adjustment_decide", args=[adjustment.pk]), {"decision": "approve", "note": "ok"}
    )
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED
    assert member_credit_idr(worker_id=paid_member.pk) == 0


def test_invalid_proposal_shows_errors(client, branch_officer, paid_member):
    client.force_login(branch_officer)
    url = reverse("contributions_office:member", args=[paid_member.membership_number])
    response = client.post(url, {"kind": "credit_add", "amount_idr": 0, "reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not LedgerAdjustment.objects.exists()
