"""Sponsor pages: sponsorships, their budget, members and monthly bills. Thin: selectors and services do the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation
from rangkul.partners.selectors import import_jobs_completed
from rangkul.sponsorships.forms import BillForm, EnrolForm, EnrolImportForm, SponsorshipForm, add_service_errors
from rangkul.sponsorships.handover import continuation_rate
from rangkul.sponsorships.incentive import regency_incentive
from rangkul.sponsorships.models import Sponsorship, SponsorshipStatus
from rangkul.sponsorships.payers import payer_lines, payers_csv
from rangkul.sponsorships.selectors import (
    candidates_for,
    sponsor_for_user,
    sponsorship_bills,
    sponsorship_figures,
    sponsorship_get,
    sponsorship_list,
    sponsorship_members,
)
from rangkul.sponsorships.services import (
    payer_kinds_for,
    sponsorship_bill_issue,
    sponsorship_create,
    sponsorship_end,
    sponsorship_enrol,
    sponsorship_enrol_import,
)
from rangkul.sponsorships.statement import statement_csv, statement_lines

PAGE_SIZE = 50
View = Callable[..., HttpResponseBase]


def sponsor_required(view: View) -> View:
    """A sponsor officer linked to a sponsor organisation."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organisation = sponsor_for_user(request.user)
        if organisation is None:
            raise DjangoPermissionDenied
        request.sponsor_organisation = organisation  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _organisation(request: HttpRequest) -> Organisation:
    return request.sponsor_organisation  # type: ignore[attr-defined,no-any-return]


def _sponsorship(request: HttpRequest, code: str) -> Sponsorship:
    try:
        return sponsorship_get(organisation=_organisation(request), code=code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@sponsor_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    return render(
        request,
        "sponsorships/home.html",
        {"organisation": organisation, "sponsorships": sponsorship_list(organisation=organisation)},
    )


@sponsor_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponseBase:
    form = SponsorshipForm(request.POST or None, payer_kinds=payer_kinds_for(_organisation(request)))
    if request.method == "POST" and form.is_valid():
        try:
            sponsorship = sponsorship_create(
                actor=Actor.for_user(request.user), organisation=_organisation(request), data=form.to_input()
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Sponsorship %(code)s created.") % {"code": sponsorship.code})
            return redirect("sponsors:detail", code=sponsorship.code)
    return render(request, "sponsorships/create.html", {"form": form, "organisation": _organisation(request)})


def _detail_context(request: HttpRequest, sponsorship: Sponsorship, **extra: Any) -> dict[str, Any]:
    members = Paginator(sponsorship_members(sponsorship=sponsorship), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "organisation": _organisation(request),
        "sponsorship": sponsorship,
        "figures": sponsorship_figures(sponsorship=sponsorship),
        "bills": sponsorship_bills(sponsorship=sponsorship)[:24],
        "page": members,
        "bill_form": extra.pop("bill_form", None) or BillForm(sponsorship=sponsorship),
        "can_bill": sponsorship.status != SponsorshipStatus.ENDED,
        "continuation": continuation_rate(sponsorship=sponsorship, today=timezone.localdate()),
        **extra,
    }


@sponsor_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    sponsorship = _sponsorship(request, code)
    return render(request, "sponsorships/detail.html", _detail_context(request, sponsorship))


@sponsor_required
@require_POST
def bill(request: HttpRequest, code: str) -> HttpResponseBase:
    sponsorship = _sponsorship(request, code)
    form = BillForm(request.POST, sponsorship=sponsorship)
    if form.is_valid():
        try:
            record = sponsorship_bill_issue(
                actor=Actor.for_user(request.user),
                sponsorship=sponsorship,
                period=Period.parse(form.cleaned_data["month"]),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Bill for %(month)s issued: pay %(amount)s with payment code %(code)s.")
                % {
                    "month": form.cleaned_data["month"],
                    "amount": format_rupiah(record.amount_idr),
                    "code": record.bill.payment_code,
                },
            )
            return redirect("sponsors:detail", code=sponsorship.code)
    return render(
        request, "sponsorships/detail.html", _detail_context(request, sponsorship, bill_form=form), status=422
    )


@sponsor_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, code: str) -> HttpResponseBase:
    sponsorship = _sponsorship(request, code)
    candidates = candidates_for(sponsorship=sponsorship)
    by_id = {str(w.pk): w for w in candidates}
    choices = [(str(w.pk), f"{w.full_name} · {w.membership_number} · {w.occupation.name}") for w in candidates]
    jobs = {str(job.pk): job for job in import_jobs_completed(organisation=_organisation(request))[:50]}
    job_choices = [
        (pk, f"{job.original_name} · {job.imported} · {job.created_at:%Y-%m-%d}") for pk, job in jobs.items()
    ]
    from_file = request.method == "POST" and "import-job" in request.POST
    welfare = sponsorship.cohort_welfare_list
    form = EnrolForm(
        request.POST if request.method == "POST" and not from_file else None, choices=choices, welfare=welfare
    )
    import_form = EnrolImportForm(request.POST if from_file else None, jobs=job_choices, welfare=welfare)
    result = None
    try:
        if from_file and import_form.is_valid():
            result = sponsorship_enrol_import(
                actor=Actor.for_user(request.user),
                sponsorship=sponsorship,
                job=jobs[import_form.cleaned_data["job"]],
                welfare_attested=import_form.cleaned_data.get("welfare_attested", False),
            )
        elif request.method == "POST" and not from_file and form.is_valid():
            result = sponsorship_enrol(
                actor=Actor.for_user(request.user),
                sponsorship=sponsorship,
                workers=[by_id[pk] for pk in form.cleaned_data["workers"]],
                welfare_attested=form.cleaned_data.get("welfare_attested", False),
            )
    except ApplicationError as error:
        add_service_errors(import_form if from_file else form, error)
    if result is not None and not result.refused:
        messages.success(request, _("%(count)s members enrolled.") % {"count": len(result.added)})
        return redirect("sponsors:detail", code=sponsorship.code)
    return render(
        request,
        "sponsorships/enrol.html",
        {
            "organisation": _organisation(request),
            "sponsorship": sponsorship,
            "form": form,
            "import_form": import_form if jobs else None,
            "result": result,
            "has_candidates": bool(candidates),
        },
    )


@sponsor_required
@require_GET
def statement(request: HttpRequest, code: str) -> StreamingHttpResponse:
    sponsorship = _sponsorship(request, code)
    response = StreamingHttpResponse(
        statement_csv(statement_lines(sponsorship=sponsorship)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{sponsorship.code}-statement.csv"'
    return response


@sponsor_required
@require_GET
def payers(request: HttpRequest, code: str) -> StreamingHttpResponse:
    """Who paid each program of each sponsored member-month (``?anggota=`` for one member)."""
    sponsorship = _sponsorship(request, code)
    lines = payer_lines(sponsorship=sponsorship, membership_number=request.GET.get("anggota", "")[:40])
    response = StreamingHttpResponse(payers_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sponsorship.code}-payers.csv"'
    return response


@sponsor_required
@require_POST
def end(request: HttpRequest, code: str) -> HttpResponseBase:
    sponsorship = _sponsorship(request, code)
    try:
        sponsorship_end(actor=Actor.for_user(request.user), sponsorship=sponsorship)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Sponsorship %(code)s ended.") % {"code": sponsorship.code})
    return redirect("sponsors:detail", code=sponsorship.code)


@login_required
@require_GET
def region(request: HttpRequest, code: str = "") -> HttpResponse:
    """The incentive view of a regency: office staff choose any; a sponsor officer sees their organisation's."""
    office = request.user.has_perm("accounts.access_office")
    organisation = sponsor_for_user(request.user)
    own = organisation.region_id if organisation is not None else None
    if not office and own is None:
        raise DjangoPermissionDenied
    code = (code or request.GET.get("kode", "") or own or "").strip()[:5]
    if not office and code != own:
        raise DjangoPermissionDenied
    view = None
    if code:
        try:
            view = regency_incentive(regency_code=code, today=timezone.localdate())
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
    return render(request, "sponsorships/region.html", {"view": view, "code": code, "office": office})
