"""Reads: a member's payments, receipts with their access rule, the exceptions queue, settlement files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from rangkul.core.errors import NotFound
from rangkul.payments.models import (
    CallbackEvent,
    Payment,
    PaymentException,
    PaymentStatus,
    Receipt,
    SettlementFile,
)
from rangkul.registry.selectors import worker_scope_for_user


def payments_for_worker(*, worker_id: int) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(worker_id=worker_id)
        .select_related("channel", "receipt", "bill")
        .order_by("-paid_at", "-id")
    )


def payments_reversed_among(*, payment_ids: Iterable[int]) -> set[int]:
    """Those of these payments that were reversed (the money taken back by the gateway)."""
    return set(
        Payment.objects.filter(pk__in=list(payment_ids), status=PaymentStatus.REVERSED).values_list("pk", flat=True)
    )


def receipt_get_for_viewer(*, number: str, user: Any, portal_worker_id: int | None) -> Receipt:
    """The receipt, for its own member (portal session) or back-office staff; otherwise not found.

    Not found rather than forbidden: a stranger learns nothing about which numbers exist.
    """
    receipt = (
        Receipt.objects.select_related("payment__worker", "payment__channel", "payment__bill")
        .filter(number=number)
        .first()
    )
    if receipt is None:
        raise NotFound(_("Receipt not found."))
    is_owner = portal_worker_id is not None and receipt.payment.worker_id == portal_worker_id
    if not (is_owner or _staff_may_see(user, receipt.payment.worker_id)):
        raise NotFound(_("Receipt not found."))
    return receipt


def _staff_may_see(user: Any, worker_id: int | None) -> bool:
    """Back-office staff see receipts of members in their region (group payments: any staff)."""
    if not (getattr(user, "is_authenticated", False) and user.has_perm("accounts.access_office")):
        return False
    return worker_id is None or worker_scope_for_user(user).filter(pk=worker_id).exists()


def may_handle_payments(user: Any) -> bool:
    """Settlement files and payment exceptions are for payments staff only (officer or approver)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.has_perm("accounts.handle_payments") or user.has_perm("accounts.approve_payments"))
    )


def _exception_scope(queryset: QuerySet[PaymentException], user: Any) -> QuerySet[PaymentException]:
    """Where an exception names a member (the payer, or the member proposed), it is the member's region's."""
    if user.has_perm("accounts.view_all_regions"):
        return queryset
    members = worker_scope_for_user(user).values("pk")
    return queryset.filter(Q(payment__worker__isnull=True) | Q(payment__worker__in=members)).filter(
        Q(proposed_worker__isnull=True) | Q(proposed_worker__in=members)
    )


def exception_list(*, status: str | None = None, user: Any = None) -> QuerySet[PaymentException]:
    """The exceptions queue; with ``user``, only what that staff member may handle."""
    queryset = PaymentException.objects.select_related(
        "payment__channel", "payment__bill", "proposed_worker", "proposed_by", "approved_by"
    )
    if user is not None:
        queryset = _exception_scope(queryset, user) if may_handle_payments(user) else queryset.none()
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def exception_get(*, exception_id: int, user: Any = None) -> PaymentException:
    """One exception; not found when it names a member outside ``user``'s region."""
    exc = exception_list(user=user).filter(pk=exception_id).first()
    if exc is None:
        raise NotFound(_("Payment exception not found."))
    return exc


def exception_evidence(*, exception: PaymentException) -> QuerySet[CallbackEvent]:
    return CallbackEvent.objects.filter(payment_id=exception.payment_id).order_by("received_at", "id")


def settlement_file_list() -> QuerySet[SettlementFile]:
    return SettlementFile.objects.select_related("channel", "created_by").order_by("-created_at", "-id")


def settlement_file_get(*, file_id: int) -> SettlementFile:
    file = settlement_file_list().filter(pk=file_id).first()
    if file is None:
        raise NotFound(_("Settlement file not found."))
    return file


def payments_unsettled(*, channel_code: str | None = None) -> QuerySet[Payment]:
    queryset = Payment.objects.filter(unsettled_flagged_at__isnull=False, settled_by__isnull=True)
    if channel_code:
        queryset = queryset.filter(channel__code=channel_code)
    return queryset.select_related("channel")
