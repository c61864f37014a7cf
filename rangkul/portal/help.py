"""Bantuan: what the programmes cover, how to pay, what to do after an accident or a death, and
answers to the questions the reminder texts raise. A public page; every amount and rule comes from
the contribution rules in force, the branch offices from the database."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rangkul.accounts.models import BranchOffice
from rangkul.contributions.benefits import headline_benefits
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.errors import ApplicationError
from rangkul.core.periods import Period
from rangkul.outreach.education import HOTLINE


def _rules_context() -> dict[str, Any]:
    current = Period.of(timezone.localdate())
    try:
        rules = rulebook_for(current)
        quote = contribution_quote(
            declared_income_idr=rules.lowest_income_idr, jht=True, sector="non_transport", month=current
        )
    except ApplicationError:
        return {"rules": None}
    without_jht = sum(line.amount_idr for line in quote.lines if line.program != "JHT")
    return {
        "rules": rules,
        "quote": quote,
        "from_idr": without_jht,
        "benefits": headline_benefits(rules=rules, quote=quote),
    }


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    branches = BranchOffice.objects.filter(is_active=True).select_related("regency").order_by("name")
    context = {"branches": branches, "hotline": HOTLINE, **_rules_context()}
    return render(request, "portal/help.html", context)
