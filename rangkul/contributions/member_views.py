"""Member pages (portal log-in): Status saya, Bayar iuran with its payment code, and the membership card."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from rangkul.contributions.card_pdf import card_qr_data, membership_card_pdf
from rangkul.contributions.models import Bill, MemberStatusValue
from rangkul.contributions.payment_codes import member_payment_code, payment_code_format
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.schedule import due_date, payable_periods
from rangkul.contributions.selectors import (
    bill_latest_for_worker,
    bill_open_for_worker,
    contribution_months_all,
    member_credit_idr,
    paid_months,
    pay_options_for_worker,
    rules_for_memo,
    worker_status,
)
from rangkul.contributions.services import bill_issue
from rangkul.core.errors import ApplicationError
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_for_card
from rangkul.registry.sessions import worker_actor, worker_required

MONTH_CHOICES = [(n, n) for n in range(1, 13)]


class PayForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("How many months do you want to pay?"),
        choices=MONTH_CHOICES,
        coerce=int,
        initial=1,
        help_text=gettext_lazy("Channels commonly take 1, 3, 6 or 12 months."),
    )


def _open_bill(worker: Worker) -> Bill | None:
    return bill_open_for_worker(worker_id=worker.pk)


def _next_due(worker: Worker) -> dict[str, Any] | None:
    today = timezone.localdate()
    rules_for = rules_for_memo()
    periods = payable_periods(
        registered_on=timezone.localdate(worker.registered_at),
        paid=paid_months(worker_id=worker.pk),
        today=today,
        rules_for=rules_for,
        months=1,
    )
    if not periods:
        return None
    period = periods[0]
    quote = contribution_quote(
        declared_income_idr=worker.declared_income_idr, jht=worker.jht, sector=worker.occupation.sector, month=period
    )
    due = due_date(period, rules=rules_for(period))
    return {"period": period, "due_date": due, "overdue": due < today, "quote": quote}


@worker_required
@require_GET
def my_status(request: HttpRequest) -> HttpResponse:
    """Status saya: active until, the next due date and amount, arrears and month-by-month history."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    today = timezone.localdate()
    info = worker_status(worker=worker, today=today)
    paid = {(m.period, m.program): m for m in contribution_months_all(worker_id=worker.pk)}
    current = Period.of(today)
    last = max([current, *(p for p, _program in paid)])
    first = max(Period.of(timezone.localdate(worker.registered_at)), current - 11)
    months = []
    period = last
    while period >= first:
        rows = [m for (p, _program), m in paid.items() if p == period]
        months.append(
            {
                "period": period,
                "paid": bool(rows),
                "amount_idr": sum(r.amount_idr for r in rows),
                "covered_from": min((r.covered_from for r in rows), default=None),
                "future": period > current,
            }
        )
        period -= 1
    try:
        next_due = _next_due(worker)
    except ApplicationError:
        next_due = None
    context = {
        "worker": worker,
        "status": info,
        "status_label": dict(MemberStatusValue.choices).get(info.status, info.status),
        "credit_idr": member_credit_idr(worker_id=worker.pk),
        "next_due": next_due,
        "months": months,
        "open_bill": _open_bill(worker),
    }
    return render(request, "contributions/my_status.html", context)


def _month_price_label(option: dict[str, Any]) -> str:
    return ngettext("%(months)s month — %(total)s", "%(months)s months — %(total)s", option["months"]) % {
        "months": option["months"],
        "total": format_rupiah(option["total_idr"]),
    }


@worker_required
@require_http_methods(["GET", "POST"])
def my_pay(request: HttpRequest) -> HttpResponse:
    """Bayar iuran: choose 1–12 months, get a bill with its payment code."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    form = PayForm(request.POST or None, initial={"months": worker.payment_period_months})
    try:
        prices = pay_options_for_worker(worker=worker, lengths=range(1, 13))
    except ApplicationError:
        prices = {"monthly": None, "options": [], "credit_idr": 0}
    if prices["options"]:
        # Each choice says what it costs, so the member sees the price before asking for a code.
        field = form.fields["months"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101  (narrowing for the type checker)
        field.choices = [(option["months"], _month_price_label(option)) for option in prices["options"]]
    if request.method == "POST" and form.is_valid():
        try:
            bill_issue(actor=worker_actor(worker), worker=worker, months=form.cleaned_data["months"])
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            return redirect("contributions:my_bill")
    context = {
        "worker": worker,
        "form": form,
        "monthly": prices["monthly"],
        "common": [o for o in prices["options"] if o["months"] in {1, 3, 6, 12}],
        "credit_idr": prices["credit_idr"],
    }
    return render(request, "contributions/my_pay.html", context)


@worker_required
@require_GET
def my_bill(request: HttpRequest) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    bill = _open_bill(worker)
    if bill is None:
        return redirect("contributions:my_pay")
    months = sorted({line.period for line in bill.lines.all()})
    context = {
        "worker": worker,
        "bill": bill,
        "payment_code": payment_code_format(bill.payment_code),
        "sandbox_enabled": settings.PAYMENTS_SANDBOX_ENABLED,
        "first": months[0],
        "last": months[-1],
        "count": len(months),
    }
    return render(request, "contributions/my_bill.html", context)


@worker_required
@require_GET
def my_card(request: HttpRequest) -> HttpResponse:
    """The digital membership card, printable; the QR code carries the membership number only."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    qr = segno.make(card_qr_data(worker), error="m")
    info = worker_status(worker=worker)
    context = {
        "worker": worker,
        "qr_svg": qr.svg_inline(
            scale=5, title=_("Membership number %(number)s") % {"number": worker.membership_number}
        ),
        "status": info,
        "status_label": dict(MemberStatusValue.choices).get(info.status, info.status),
        "programs": worker.programs,
        # Kept with the card for use without signal: the code of the member's latest bill.
        "last_bill": (last_bill := bill_latest_for_worker(worker_id=worker.pk)),
        "last_payment_code": payment_code_format(last_bill.payment_code) if last_bill else "",
        "standing_code": payment_code_format(member_payment_code(worker.membership_number)),
    }
    response = render(request, "contributions/my_card.html", context)
    # The portal's service worker keeps only a page marked as the signed-in member's own card.
    response["X-Rangkul-Offline"] = "member-card"
    response["Cache-Control"] = "private, no-cache"
    return response


@worker_required
@require_GET
def my_card_pdf(request: HttpRequest) -> HttpResponse:
    """The membership card as a PDF to print or keep on the phone; never cached on shared devices."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    worker = worker_for_card(worker_id=worker.pk)
    response = HttpResponse(membership_card_pdf(worker), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="kartu-{worker.membership_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
