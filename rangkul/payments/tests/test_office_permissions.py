"""Who may move money: payments officers propose and upload, approvers approve, nobody else; by region."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.audit.actors import Actor
from rangkul.core.errors import PermissionDenied
from rangkul.payments.exceptions import exception_approve, exception_propose
from rangkul.payments.models import ExceptionStatus, PaymentException, Resolution, SettlementFile
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _exception(client) -> PaymentException:
    post_callback(client, sandbox_body(payment_code="8800000000000000", amount_idr=16_800))
    return PaymentException.objects.get()


@pytest.mark.parametrize("persona", ["analyst", "claims_officer", "claims_approver", "branch_officer"])
def test_staff_without_a_payments_role_get_403(client, regions, persona, request, tmp_path):
    user = request.getfixturevalue(persona)
    exc = _exception(client)
    file = SettlementFile.objects.create(
        channel_id=exc.payment.channel_id, sha256="0" * 64, filename="s.csv", created_at=timezone.now()
    )
    client.login(username=user.username, password=PASSWORD)
    for url in (
        reverse("payments_office:exceptions"),
        reverse("payments_office:exception", args=[exc.pk]),
        reverse("payments_office:settlements"),
        reverse("payments_office:settlement", args=[file.pk]),
        reverse("payments_office:settlement_report", args=[file.pk]),
    ):
        assert client.get(url).status_code == 403, url
    upload = tmp_path / "s.csv"
    upload.write_text("x\n")
    with upload.open("rb") as handle:
        assert (
            client.post(reverse("payments_office:settlements"), {"channel": "sandbox", "file": handle}).status_code
            == 403
        )
    detail = reverse("payments_office:exception", args=[exc.pk])
    assert client.post(detail, {"decision": "propose", "action": "write_off", "note": "x"}).status_code == 403
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN and SettlementFile.objects.count() == 1
    with pytest.raises(PermissionDenied):
        exception_propose(actor=Actor.for_user(user), exception_id=exc.pk, action=Resolution.WRITE_OFF, note="x")


def test_officer_proposes_approver_approves_never_the_same_person(client, regions, payments_officer, payments_approver):
    exc = _exception(client)
    detail = reverse("payments_office:exception", args=[exc.pk])
    client.login(username=payments_officer.username, password=PASSWORD)
    assert (
        client.post(detail, {"decision": "propose", "action": "write_off", "note": "test payment"}).status_code == 302
    )
    assert client.post(detail, {"decision": "approve"}).status_code == 403  # an officer never approves
    client.logout()
    client.login(username=payments_approver.username, password=PASSWORD)
    assert client.post(detail, {"decision": "approve"}).status_code == 302
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.RESOLVED and exc.approved_by == payments_approver

    # An approver may propose too, but never approve their own proposal.
    post_callback(client, sandbox_body(payment_code="8800000000000001", amount_idr=16_800))
    second = PaymentException.objects.exclude(pk=exc.pk).get()
    exception_propose(
        actor=Actor.for_user(payments_approver), exception_id=second.pk, action=Resolution.WRITE_OFF, note="test"
    )
    with pytest.raises(PermissionDenied):
        exception_approve(actor=Actor.for_user(payments_approver), exception_id=second.pk)


def test_a_member_outside_the_staff_members_region_cannot_be_named(
    client, regions, payments_officer, payments_approver, administrator
):
    jakarta, _bill = billed_member(village_code="31.71.01.1001")
    exc = _exception(client)
    detail = reverse("payments_office:exception", args=[exc.pk])
    client.login(username=payments_officer.username, password=PASSWORD)
    page = client.post(
        detail, {"decision": "propose", "action": "assign", "membership_number": jakarta.membership_number}
    )
    assert page.status_code == 200 and "membership_number" in page.context["form"].errors
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN

    # Once an exception names a Jakarta member, Semarang's payments staff neither see nor approve it.
    exception_propose(
        actor=Actor.for_user(administrator), exception_id=exc.pk, action=Resolution.ASSIGN, worker=jakarta
    )
    client.logout()
    client.login(username=payments_approver.username, password=PASSWORD)
    assert str(exc.pk) not in [str(e.pk) for e in client.get(reverse("payments_office:exceptions")).context["page"]]
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"decision": "approve"}).status_code == 404
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.PROPOSED
