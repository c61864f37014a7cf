"""Back office: budget transfers settling sponsorship group bills, with maker–checker (ADR 0030).

A payments officer records the treasurer's transfer against a group bill; a different officer
with approval rights approves it (the money is then allocated in the bill's order) or rejects it
with a reason. Thin: the settlement services check permissions and do the work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.money import format_rupiah
from rangkul.sponsorships.forms import TransferDecisionForm, TransferRecordForm, add_service_errors
from rangkul.sponsorships.models import TransferStatus
from rangkul.sponsorships.selectors import budget_transfer_get, budget_transfers, sponsorship_bill_by_payment_code
from rangkul.sponsorships.settlement import (
    APPROVE_PERMISSION,
    RECORD_PERMISSION,
    budget_transfer_approve,
    budget_transfer_record,
    budget_transfer_reject,
)


def _payments_staff(user: Any) -> bool:
    if not (user.has_perm(RECORD_PERMISSION) or user.has_perm(APPROVE_PERMISSION)):
        raise PermissionDenied
    return True


def _office(view: Any) -> Any:
    """Payments officers and approvers only (others get 403)."""
    return login_required(user_passes_test(_payments_staff)(view))


@_office
@require_http_methods(["GET", "POST"])
def transfers(request: HttpRequest) -> HttpResponseBase:
    """Pending transfers, and the form to record a new one (payments officers)."""
    can_record = request.user.has_perm(RECORD_PERMISSION)
    form = TransferRecordForm(request.POST or None)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = sponsorship_bill_by_payment_code(payment_code=data["payment_code"], user=request.user)
                transfer = budget_transfer_record(
                    actor=Actor.for_user(request.user),
                    sponsorship_bill=record,
                    amount_idr=data["amount_idr"],
                    reference=data["reference"],
                    transferred_on=data["transferred_on"],
                )
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Transfer %(reference)s of %(amount)s recorded. Another officer must approve it.")
                    % {"reference": transfer.reference, "amount": format_rupiah(transfer.amount_idr)},
                )
                return redirect("sponsor_transfers:detail", transfer_id=transfer.pk)
    status = request.GET.get("status", TransferStatus.PROPOSED)
    if status not in TransferStatus.values:
        status = ""
    page = Paginator(budget_transfers(status=status or None, user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sponsorships/office/transfers.html",
        {
            "form": form if can_record else None,
            "page": page,
            "status": status,
            "statuses": TransferStatus.choices,
        },
        status=422 if form.errors else 200,
    )


@_office
@require_http_methods(["GET", "POST"])
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponseBase:
    try:
        transfer = budget_transfer_get(transfer_id=transfer_id, user=request.user)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    can_decide = (
        request.user.has_perm(APPROVE_PERMISSION)
        and transfer.status == TransferStatus.PROPOSED
        and transfer.proposed_by_id != request.user.pk
    )
    form = TransferDecisionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    payment = budget_transfer_approve(actor=Actor.for_user(request.user), transfer=transfer)
                    messages.success(
                        request,
                        _("Approved: %(paid)s members paid, %(unpaid)s still unpaid.")
                        % {"paid": payment.members_paid, "unpaid": payment.unpaid_members},
                    )
                else:
                    budget_transfer_reject(
                        actor=Actor.for_user(request.user), transfer=transfer, note=form.cleaned_data["note"]
                    )
                    messages.success(request, _("Transfer rejected."))
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                return redirect("sponsor_transfers:detail", transfer_id=transfer.pk)
    return render(
        request,
        "sponsorships/office/transfer.html",
        {"transfer": transfer, "form": form, "can_decide": can_decide},
        status=422 if form.errors else 200,
    )
