"""Public payment pages: the sandbox cashier and the member's receipt."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from rangkul.core.errors import ApplicationError, NotFound
from rangkul.payments import contributions_port as port
from rangkul.payments.forms import PaymentCodeForm, SandboxPayForm
from rangkul.payments.models import Payment, Receipt
from rangkul.payments.receipt_pdf import receipt_pdf as receipt_document
from rangkul.payments.sandbox import SANDBOX, sandbox_bill, sandbox_pay
from rangkul.payments.selectors import payments_for_worker, receipt_get_for_viewer

PORTAL_SESSION_KEY = "portal_worker_id"  # set by the portal's log-in (rangkul.registry.sessions.SESSION_KEY)


def _sandbox_enabled() -> None:
    if not settings.PAYMENTS_SANDBOX_ENABLED:
        raise Http404


@require_http_methods(["GET", "POST"])
def sandbox_page(request: HttpRequest) -> HttpResponse:
    """Simulasi pembayaran: find a bill by its code, then pay it as at a minimarket or a bank."""
    _sandbox_enabled()
    context: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("step") == "pay":
        form: PaymentCodeForm = SandboxPayForm(request.POST)
        if form.is_valid():
            try:
                answer = sandbox_pay(payment_code=form.cleaned_data["payment_code"], place=form.cleaned_data["place"])
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                if answer.payment is not None:
                    return redirect("payments:sandbox_done", external_id=answer.payment.external_reference)
                form.add_error(None, str(answer.body.get("message", "")))
        context["bill"] = _bill_or_none(form)
    elif "payment_code" in request.GET or request.method == "POST":
        form = PaymentCodeForm(request.GET if request.method == "GET" else request.POST)
        bill = _bill_or_none(form)
        if bill is not None:
            context["bill"] = bill
            form = SandboxPayForm(initial={"payment_code": bill.payment_code, "place": "minimarket"})
    else:
        form = PaymentCodeForm()
    context["form"] = form
    return render(request, "payments/sandbox.html", context)


def _bill_or_none(form: PaymentCodeForm) -> Any:
    if not form.is_valid():
        return None
    try:
        return sandbox_bill(form.cleaned_data["payment_code"])
    except NotFound as exc:
        exc.add_to_form(form)
        return None


@require_GET
def sandbox_done(request: HttpRequest, external_id: str) -> HttpResponse:
    _sandbox_enabled()
    payment = (
        Payment.objects.select_related("receipt", "channel")
        .filter(channel__code=SANDBOX, external_reference=external_id)
        .first()
    )
    if payment is None:
        raise Http404
    return render(request, "payments/sandbox_done.html", {"payment": payment, "receipt": _receipt_of(payment)})


def _receipt_of(payment: Payment) -> Any:
    return getattr(payment, "receipt", None) if hasattr(payment, "receipt") else None


@require_GET
def my_payments(request: HttpRequest) -> HttpResponse:
    """The logged-in member's payments and receipts (the portal's worker session)."""
    worker_id = request.session.get(PORTAL_SESSION_KEY)
    if not worker_id:
        return redirect("portal:login")
    payments = payments_for_worker(worker_id=worker_id)[:100]
    return render(request, "payments/my_payments.html", {"payments": payments})


def _receipt_for(request: HttpRequest, number: str) -> Receipt:
    """The receipt for its own member (portal session) or staff of the member's region; else 404."""
    try:
        return receipt_get_for_viewer(
            number=number, user=request.user, portal_worker_id=request.session.get(PORTAL_SESSION_KEY)
        )
    except NotFound as exc:
        raise Http404 from exc


@require_GET
def receipt_view(request: HttpRequest, number: str) -> HttpResponse:
    """The member's receipt: printable (print styles), for its member or back-office staff only."""
    receipt = _receipt_for(request, number)
    payment = receipt.payment
    entry_id = payment.journal_entry_id
    months = port.months_for_entry(entry_id) if entry_id else []
    credit_used, credit_kept = port.credit_moves_for_entry(entry_id) if entry_id else (0, 0)
    context = {
        "receipt": receipt,
        "payment": payment,
        "worker": payment.worker,
        "months": months,
        "credit_used_idr": credit_used,
        "credit_kept_idr": credit_kept,
    }
    response = render(request, "payments/receipt.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The same receipt as a PDF, with the amount of each month and program; never cached."""
    receipt = _receipt_for(request, number)
    entry_id = receipt.payment.journal_entry_id
    lines = port.month_lines_for_entry(entry_id) if entry_id else []
    credit_used, credit_kept = port.credit_moves_for_entry(entry_id) if entry_id else (0, 0)
    document = receipt_document(receipt, lines=lines, credit_used_idr=credit_used, credit_kept_idr=credit_kept)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="kuitansi-{receipt.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
