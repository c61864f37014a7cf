"""The agent's pages: plain forms that work without JavaScript, posting the same operations as the sync."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from rangkul.agents.forms import AgentRegisterForm, CollectForm, LookupForm, QuoteForm, new_operation_id
from rangkul.agents.models import Agent
from rangkul.agents.selectors import (
    agent_cash_held_idr,
    agent_collection_by_receipt,
    agent_collections_today,
    agent_for_user,
    agent_portfolio,
    agent_portfolio_get,
    agent_portfolio_snapshot,
    collection_quote,
)
from rangkul.agents.sync import APPLIED, DUPLICATE, operation_apply
from rangkul.contributions.selectors import worker_status
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.installable import manifest_response, service_worker_response

View = Callable[..., HttpResponseBase]
LOOKUP_LIMIT = 50
STATUS_LABELS = {
    "registered": gettext_lazy("Registered, nothing paid yet"),
    "active": gettext_lazy("Active (protected)"),
    "in_arrears": gettext_lazy("In arrears"),
    "ended": gettext_lazy("Ended (arrears too old)"),
}


def _geolocation_allowed(policy: str) -> str:
    """The site's Permissions-Policy with geolocation allowed for Rangkul's own pages: the agent app
    may ask the phone where work is recorded (the browser still asks the agent)."""
    if "geolocation=" not in policy:
        return policy
    return re.sub(r"geolocation=\([^)]*\)", "geolocation=(self)", policy)


def agent_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        agent = agent_for_user(request.user)
        if agent is None or not request.user.has_perm("accounts.collect_contributions"):
            raise DjangoPermissionDenied
        request.agent = agent  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        if settings.PERMISSIONS_POLICY:
            response.headers["Permissions-Policy"] = _geolocation_allowed(settings.PERMISSIONS_POLICY)
        return response

    return wrapper


def _agent(request: HttpRequest) -> Agent:
    return request.agent  # type: ignore[attr-defined,no-any-return]


def _operation(request: HttpRequest, op_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The operation a plain form posts, with where the phone was when the app's script could tell
    (hidden fields ``device`` and ``location`` = "lat,lon,accuracy"; empty without it)."""
    operation: dict[str, Any] = {"id": op_id, "kind": kind, "recorded_at": timezone.now().isoformat(), "data": data}
    device = request.POST.get("device", "")
    if device:
        operation["device"] = device
    parts = request.POST.get("location", "").split(",")
    if len(parts) in {2, 3}:
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if numbers:
            operation["location"] = dict(zip(("lat", "lon", "accuracy"), numbers, strict=False))
    return operation


def _apply_errors(form: Any, result: dict[str, Any]) -> None:
    errors = result.get("errors") or {}
    placed = False
    for name, texts in (errors.get("fields") or {}).items():
        target = name if name in form.fields else None
        for text in texts:
            form.add_error(target, text)
            placed = True
    if not placed:
        form.add_error(None, errors.get("message") or _("The operation was not accepted."))


@agent_required
def home(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    collections = list(agent_collections_today(agent=agent))
    registered = agent_portfolio(agent=agent).filter(registered_at__date=timezone.localdate())
    return render(
        request,
        "agents/home.html",
        {
            "agent": agent,
            "cash_held_idr": agent_cash_held_idr(agent=agent),
            "collections": collections,
            "collected_idr": sum(c.amount_idr for c in collections),
            "registered": list(registered),
        },
    )


@agent_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = AgentRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = operation_apply(
            agent=agent,
            operation=_operation(request, form.cleaned_data["operation_id"], "register", form.operation_data()),
        )
        number = result.get("membership_number")
        if result["status"] == APPLIED and number:
            messages.success(request, _("Registered: membership number %(number)s.") % {"number": number})
            return redirect("agents:member", membership_number=number)
        if result["status"] == DUPLICATE and number:
            messages.info(request, _("This person is already your member."))
            return redirect("agents:member", membership_number=number)
        _apply_errors(form, result)
    return render(request, "agents/register.html", {"form": form, "agent": agent, "months": range(1, 13)})


@agent_required
def lookup(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = LookupForm(request.GET or None)
    workers: list[Any] = []
    if form.is_valid() and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        portfolio = agent_portfolio(agent=agent)
        exact = portfolio.filter(membership_number=q)
        workers = list(exact if exact.exists() else portfolio.filter(full_name__icontains=q)[:LOOKUP_LIMIT])
    return render(
        request, "agents/lookup.html", {"form": form, "workers": workers, "agent": agent, "months": range(1, 13)}
    )


@agent_required
@require_http_methods(["GET", "POST"])
def member(request: HttpRequest, membership_number: str) -> HttpResponse:
    agent = _agent(request)
    try:
        worker = agent_portfolio_get(agent=agent, membership_number=membership_number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    quote_form = QuoteForm(request.GET if "months" in request.GET else None)
    quote = None
    collect_form: CollectForm | None = None
    if request.method == "POST":
        collect_form = CollectForm(request.POST)
        if collect_form.is_valid():
            data = collect_form.cleaned_data
            result = operation_apply(
                agent=agent,
                operation=_operation(
                    request,
                    data["operation_id"],
                    "collect",
                    {
                        "membership_number": worker.membership_number,
                        "months": data["months"],
                        "amount_idr": data["amount_idr"],
                        "first_month": data["first_month"],
                    },
                ),
            )
            if result["status"] == APPLIED:
                for notice in result.get("notices", []):
                    messages.warning(request, notice)
                return redirect("agents:receipt", number=result["receipt_number"])
            _apply_errors(collect_form, result)
    elif quote_form.is_bound and quote_form.is_valid():
        try:
            quote = collection_quote(worker=worker, months=quote_form.cleaned_data["months"])
        except ApplicationError as exc:
            exc.add_to_form(quote_form)
        else:
            collect_form = CollectForm(
                initial={
                    "operation_id": new_operation_id(),
                    "months": len(quote.periods),
                    "amount_idr": quote.amount_idr,
                    "first_month": str(quote.periods[0]),
                }
            )
    return render(
        request,
        "agents/member.html",
        {
            "agent": agent,
            "worker": worker,
            "status": worker_status(worker=worker),
            "status_label": STATUS_LABELS.get(worker_status(worker=worker).status, ""),
            "quote_form": quote_form,
            "quote": quote,
            "collect_form": collect_form,
        },
    )


@agent_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    agent = _agent(request)
    try:
        collection = agent_collection_by_receipt(agent=agent, number=number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render(request, "agents/receipt.html", {"agent": agent, "collection": collection})


@agent_required
@require_GET
def portfolio_data(request: HttpRequest) -> JsonResponse:
    """The agent's own members for the phone to keep, sealed, for lookups and collections offline."""
    response = JsonResponse(agent_portfolio_snapshot(agent=_agent(request)))
    response["Cache-Control"] = "no-store, private"
    return response


SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "agents" / "sw.js"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /agen/ so that its scope covers the agent's pages."""
    return service_worker_response(SERVICE_WORKER)


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    home = reverse("agents:home")
    return manifest_response(name="Rangkul Agen", short_name="Agen", start_url=home, scope=home)
