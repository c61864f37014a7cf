"""Claims' reads, scoped: a partner's key sees its members' claims, staff their branch region."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimNotFound
from rangkul.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimStatus, Payout, PayoutStatus
from rangkul.registry.selectors import worker_scope_for_api_key, worker_scope_for_user

OPEN_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.PROPOSED, ClaimStatus.AWAITING_SECOND, ClaimStatus.APPROVED)


def _claims() -> QuerySet[Claim]:
    return Claim.objects.select_related("worker", "proposed_by", "approved_by", "second_approved_by")


def claim_scope_for_user(user: Any) -> QuerySet[Claim]:
    if not getattr(user, "is_authenticated", False) or not user.has_perm("accounts.process_claims"):
        return Claim.objects.none()
    return _claims().filter(worker__in=worker_scope_for_user(user).values("pk"))


def claim_scope_for_api_key(api_key: Any) -> QuerySet[Claim]:
    return _claims().filter(worker__in=worker_scope_for_api_key(api_key).values("pk"))


def _one(qs: QuerySet[Claim], number: str) -> Claim:
    claim = qs.prefetch_related("history", "payouts").filter(number=number).first()
    if claim is None:
        raise ClaimNotFound(_("No claim with this number."))
    return claim


def claim_get_for_user(*, user: Any, number: str) -> Claim:
    return _one(claim_scope_for_user(user), number)


def claim_get_for_api_key(*, api_key: Any, number: str) -> Claim:
    return _one(claim_scope_for_api_key(api_key), number)


def claim_queue_for_user(*, user: Any, status: str = "") -> QuerySet[Claim]:
    """The staff's work list: open claims (or one status), oldest first."""
    qs = claim_scope_for_user(user)
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    return qs.order_by("filed_at")


def payout_exceptions_for_user(*, user: Any) -> QuerySet[Payout]:
    """Failed transfers waiting for staff: the exceptions list."""
    claims = claim_scope_for_user(user).filter(Q(status=ClaimStatus.PAYMENT_FAILED))
    return (
        Payout.objects.filter(status=PayoutStatus.FAILED, claim__in=claims.values("pk"))
        .select_related("claim")
        .order_by("created_at")
    )


def document_get_for_user(*, user: Any, number: str, document_id: int) -> ClaimDocument:
    """A claim's document for claim staff in scope only."""
    document = (
        ClaimDocument.objects.select_related("claim")
        .filter(pk=document_id, claim__number=number, claim__in=claim_scope_for_user(user).values("pk"))
        .first()
    )
    if document is None:
        raise ClaimNotFound(_("No such document."))
    return document


def scholarship_claims_for_user(*, user: Any) -> QuerySet[Claim]:
    """Approved scholarship claims in scope, for the list of later years due (their checks and payouts)."""
    return (
        claim_scope_for_user(user)
        .filter(
            event=ClaimEvent.SCHOLARSHIP,
            status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.PAYMENT_FAILED),
        )
        .prefetch_related("payouts")
        .order_by("filed_at")
    )
