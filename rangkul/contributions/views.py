from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from rangkul.contributions.benefits import headline_benefits
from rangkul.contributions.forms import SimulatorForm
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.errors import ApplicationError
from rangkul.core.htmx import render_page_or_fragment
from rangkul.core.periods import Period, period_range

PREPAY_CHOICES = (1, 3, 6, 12)


@require_GET
def simulator(request: HttpRequest) -> HttpResponse:
    """Berapa iuran saya dan apa manfaatnya? A public page; the result updates live with htmx."""
    current = Period.of(timezone.localdate())
    try:
        rules = rulebook_for(current)
    except ApplicationError as exc:
        # No rule version covers this month (the system check reports it to operators).
        return render_page_or_fragment(
            request,
            page="contributions/simulator.html",
            fragment="contributions/_simulator_result.html",
            context={"unavailable": exc.message},
            status=503,
        )
    data = request.GET if "declared_income_idr" in request.GET else None
    form = SimulatorForm(data, rules=rules)
    if data is None:
        # The page opens with the lowest level's answer, so the amount shows without a click.
        form = SimulatorForm(
            {"declared_income_idr": rules.lowest_income_idr, "sector": "non_transport", "jht": "no", "month": current},
            rules=rules,
        )
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        try:
            context.update(_simulate(**form.cleaned_data))
        except ApplicationError as exc:
            exc.add_to_form(form)
    return render_page_or_fragment(
        request,
        page="contributions/simulator.html",
        fragment="contributions/_simulator_result.html",
        context=context,
    )


def _simulate(*, declared_income_idr: int, sector: str, jht: bool, month: Period) -> dict[str, Any]:
    quotes = [
        contribution_quote(declared_income_idr=declared_income_idr, jht=jht, sector=sector, month=period)
        for period in period_range(month, max(PREPAY_CHOICES))
    ]
    first = quotes[0]
    totals = [
        {
            "months": n,
            "total_idr": sum(q.total_idr for q in quotes[:n]),
            "discount_idr": sum(q.discount_idr for q in quotes[:n]),
            "last": quotes[n - 1].period,
        }
        for n in PREPAY_CHOICES
    ]
    discount_lines = [line for line in first.lines if line.discount_idr]
    return {
        "quote": first,
        "totals": totals,
        "discount_lines": discount_lines,
        "discount_ends": _discount_end(rulebook_for(month), first),
        "benefits": headline_benefits(rules=rulebook_for(month), quote=first),
    }


def _discount_end(rules: Any, quote: Any) -> Period | None:
    codes = {line.discount_code for line in quote.lines if line.discount_code}
    ends = [d.to_period for d in rules.discounts if d.code in codes]
    return max(ends) if ends else None
